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

package mq

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/metric"
)

// stats are the sandbox's totals over every IPC namespace, which the
// /ipc/mqueue/* metrics export. They are updated where a queue already
// changes its own counts, with one atomic add each: no lock, no
// allocation. They are not saved: a restored queue adds its messages and
// itself again (Queue.afterLoad, Registry.restoreCharge), so the gauges are
// the sums over the restored queues, while the counters (sent, received)
// start again from zero in the restored sandbox, as gVisor's own metrics
// do (a counter reset to Prometheus).
var stats struct {
	queues         atomic.Int64
	messages       atomic.Int64
	bytes          atomic.Int64
	sent           atomic.Uint64
	received       atomic.Uint64
	blockedSend    atomic.Int64
	blockedReceive atomic.Int64
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

// Registration must precede metric.Initialize, which runsc's boot calls
// after every package's init.
func init() {
	for _, m := range []struct {
		name, desc string
		v          *atomic.Int64
	}{
		{"/ipc/mqueue/queues", "POSIX message queues that exist (named, or unlinked but still open).", &stats.queues},
		{"/ipc/mqueue/messages", "Messages queued in POSIX message queues.", &stats.messages},
		{"/ipc/mqueue/bytes", "Bytes of message text queued in POSIX message queues (the sum of QSIZE).", &stats.bytes},
	} {
		v := m.v
		metric.MustRegisterCustomUint64Metric(m.name, metric.Uint64Metadata{
			Description: m.desc,
		}, func(...*metric.FieldValue) uint64 { return gauge(v) })
	}
	for _, m := range []struct {
		name, desc string
		v          *atomic.Uint64
	}{
		{"/ipc/mqueue/sent", "Messages sent to POSIX message queues since the sandbox started.", &stats.sent},
		{"/ipc/mqueue/received", "Messages received from POSIX message queues since the sandbox started.", &stats.received},
	} {
		v := m.v
		metric.MustRegisterCustomUint64Metric(m.name, metric.Uint64Metadata{
			Cumulative:  true,
			Description: m.desc,
		}, func(...*metric.FieldValue) uint64 { return v.Load() })
	}
	metric.MustRegisterCustomUint64Metric("/ipc/mqueue/blocked", metric.Uint64Metadata{
		Description: "Tasks blocked in mq_timedsend (op=send) or mq_timedreceive (op=receive).",
		Fields:      []metric.Field{metric.NewField("op", &opSend, &opReceive)},
	}, func(fields ...*metric.FieldValue) uint64 {
		if fields[0] == &opSend {
			return gauge(&stats.blockedSend)
		}
		return gauge(&stats.blockedReceive)
	})
}

// addMessages counts n messages of size bytes in or (negative) out of the
// queued totals.
func addMessages(n int64, size int64) {
	stats.messages.Add(n)
	stats.bytes.Add(size)
}
