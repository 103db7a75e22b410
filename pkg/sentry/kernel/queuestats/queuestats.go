// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package queuestats keeps the sandbox-wide totals of one message queue
// family (POSIX queues in package mq, System V queues in package msgqueue)
// and exports them through gVisor's pkg/metric as
// PREFIX/{queues,messages,bytes,sent,received,blocked}, which runsc
// export-metrics prints in Prometheus form. Linux has no counterpart.
//
// The totals are updated where a queue already changes its own counts, with
// one atomic add each: no lock, no allocation on the message path. They are
// not saved: a restored queue adds itself and its messages again, so the
// gauges are the sums over the restored queues, while the counters (sent,
// received) start again from zero in the restored sandbox, as gVisor's own
// metrics do (a counter reset to Prometheus).
package queuestats

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/metric"
)

// Totals are one family's totals over every IPC namespace of the sandbox.
type Totals struct {
	Queues, Messages, Bytes     atomic.Int64
	Sent, Received              atomic.Uint64
	BlockedSend, BlockedReceive atomic.Int64
}

// AddMessages counts n messages of size bytes in or (negative) out of the
// queued totals.
func (t *Totals) AddMessages(n, size int64) {
	t.Messages.Add(n)
	t.Bytes.Add(size)
}

// Descriptions are the HELP texts of a family's metrics.
type Descriptions struct {
	Queues, Messages, Bytes, Sent, Received, Blocked string
}

// The values of the blocked gauge's op field.
var (
	opSend    = metric.FieldValue{Value: "send"}
	opReceive = metric.FieldValue{Value: "receive"}
)

// gauge reads a total that is never negative once every change of it is
// done; a read between the halves of a move may see a transient negative,
// which reads as zero.
func gauge(v *atomic.Int64) uint64 {
	if n := v.Load(); n > 0 {
		return uint64(n)
	}
	return 0
}

// MustRegister registers t's metrics under prefix. It must be called from
// an init function: registration must precede metric.Initialize, which
// runsc's boot calls after every package's init.
func (t *Totals) MustRegister(prefix string, d Descriptions) {
	for _, m := range []struct {
		name, desc string
		v          *atomic.Int64
	}{
		{"/queues", d.Queues, &t.Queues},
		{"/messages", d.Messages, &t.Messages},
		{"/bytes", d.Bytes, &t.Bytes},
	} {
		v := m.v
		metric.MustRegisterCustomUint64Metric(prefix+m.name, metric.Uint64Metadata{
			Description: m.desc,
		}, func(...*metric.FieldValue) uint64 { return gauge(v) })
	}
	for _, m := range []struct {
		name, desc string
		v          *atomic.Uint64
	}{
		{"/sent", d.Sent, &t.Sent},
		{"/received", d.Received, &t.Received},
	} {
		v := m.v
		metric.MustRegisterCustomUint64Metric(prefix+m.name, metric.Uint64Metadata{
			Cumulative:  true,
			Description: m.desc,
		}, func(...*metric.FieldValue) uint64 { return v.Load() })
	}
	metric.MustRegisterCustomUint64Metric(prefix+"/blocked", metric.Uint64Metadata{
		Description: d.Blocked,
		Fields:      []metric.Field{metric.NewField("op", &opSend, &opReceive)},
	}, func(fields ...*metric.FieldValue) uint64 {
		if fields[0] == &opSend {
			return gauge(&t.BlockedSend)
		}
		return gauge(&t.BlockedReceive)
	})
}

// Snapshot is what the metrics read at one moment, for tests.
type Snapshot struct {
	Queues, Messages, Bytes, Sent, Received, BlockedSend, BlockedReceive int64
}

// Snapshot reads t.
func (t *Totals) Snapshot() Snapshot {
	return Snapshot{
		Queues:         t.Queues.Load(),
		Messages:       t.Messages.Load(),
		Bytes:          t.Bytes.Load(),
		Sent:           int64(t.Sent.Load()),
		Received:       int64(t.Received.Load()),
		BlockedSend:    t.BlockedSend.Load(),
		BlockedReceive: t.BlockedReceive.Load(),
	}
}

// Since returns how far each total moved from base to s.
func (s Snapshot) Since(base Snapshot) Snapshot {
	return Snapshot{
		s.Queues - base.Queues, s.Messages - base.Messages, s.Bytes - base.Bytes,
		s.Sent - base.Sent, s.Received - base.Received,
		s.BlockedSend - base.BlockedSend, s.BlockedReceive - base.BlockedReceive,
	}
}
