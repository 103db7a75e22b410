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
	"testing"

	"gvisor.dev/gvisor/pkg/metric"
)

// snapshot is what the /ipc/mqueue/* metrics read.
type snapshot struct {
	queues, messages, bytes, sent, received, blockedSend, blockedReceive int64
}

func takeSnapshot() snapshot {
	return snapshot{
		queues:         stats.queues.Load(),
		messages:       stats.messages.Load(),
		bytes:          stats.bytes.Load(),
		sent:           int64(stats.sent.Load()),
		received:       int64(stats.received.Load()),
		blockedSend:    stats.blockedSend.Load(),
		blockedReceive: stats.blockedReceive.Load(),
	}
}

// wantDelta checks the totals moved from base by want. Other tests of the
// package leave queues behind, so only the changes are checked; the test
// does not run in parallel with them.
func wantDelta(t *testing.T, step string, base, want snapshot) {
	t.Helper()
	now := takeSnapshot()
	got := snapshot{
		now.queues - base.queues, now.messages - base.messages, now.bytes - base.bytes,
		now.sent - base.sent, now.received - base.received,
		now.blockedSend - base.blockedSend, now.blockedReceive - base.blockedReceive,
	}
	if got != want {
		t.Errorf("%s: totals moved by %+v, want %+v", step, got, want)
	}
}

func TestMetricsAccounting(t *testing.T) {
	ctx := testContext()
	base := takeSnapshot()
	r, q := newTestQueue(t, 2, 16)
	q.Opened()
	wantDelta(t, "create", base, snapshot{queues: 1})

	for _, m := range []string{"abc", "defgh"} {
		if err := q.Send(ctx, Message{Data: []byte(m)}, nil); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	wantDelta(t, "2 sends", base, snapshot{queues: 1, messages: 2, bytes: 8, sent: 2})

	// A third send blocks; a receive admits it.
	ws := NewWaiter()
	if err := q.Send(ctx, Message{Data: []byte("ij")}, ws); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	wantDelta(t, "blocked send", base, snapshot{queues: 1, messages: 2, bytes: 8, sent: 2, blockedSend: 1})
	if _, err := q.Receive(ctx, 16, nil); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if !q.FinishSend(ws) {
		t.Fatalf("blocked sender not admitted")
	}
	wantDelta(t, "receive admits sender", base, snapshot{queues: 1, messages: 2, bytes: 7, sent: 3, received: 1})

	// A blocked send that gives up.
	ws2 := NewWaiter()
	if err := q.Send(ctx, Message{Data: []byte("x")}, ws2); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	if q.FinishSend(ws2) {
		t.Fatalf("withdrawn sender was admitted")
	}
	wantDelta(t, "withdrawn send", base, snapshot{queues: 1, messages: 2, bytes: 7, sent: 3, received: 1})

	for i := 0; i < 2; i++ {
		if _, err := q.Receive(ctx, 16, nil); err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
	wantDelta(t, "drained", base, snapshot{queues: 1, sent: 3, received: 3})

	// A blocked receive that gives up, then one a send is handed to.
	wr := NewWaiter()
	if _, err := q.Receive(ctx, 16, wr); err != ErrWaiting {
		t.Fatalf("Receive on an empty queue: %v", err)
	}
	wantDelta(t, "blocked receive", base, snapshot{queues: 1, sent: 3, received: 3, blockedReceive: 1})
	if _, ok := q.FinishReceive(wr); ok {
		t.Fatalf("withdrawn receiver got a message")
	}
	wantDelta(t, "withdrawn receive", base, snapshot{queues: 1, sent: 3, received: 3})
	if _, err := q.Receive(ctx, 16, wr); err != ErrWaiting {
		t.Fatalf("Receive on an empty queue: %v", err)
	}
	if err := q.Send(ctx, Message{Data: []byte("hand")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m, ok := q.FinishReceive(wr); !ok || string(m.Data) != "hand" {
		t.Fatalf("handed-over message = %q, %v", m.Data, ok)
	}
	wantDelta(t, "hand-over", base, snapshot{queues: 1, sent: 4, received: 4})

	// Unlinked but open: still a queue with its messages; the last close
	// frees both.
	if err := q.Send(ctx, Message{Data: []byte("left")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	q.Unlinked()
	wantDelta(t, "unlinked, open", base, snapshot{queues: 1, messages: 1, bytes: 4, sent: 5, received: 4})
	q.Closed()
	wantDelta(t, "closed", base, snapshot{sent: 5, received: 4})

	// Named but closed: a queue until unlinked.
	q2, err := r.NewQueue(ctx, "q2", &Attr{MaxMessages: 2, MaxMessageSize: 16})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	if err := q2.Send(ctx, Message{Data: []byte("z")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantDelta(t, "named, closed", base, snapshot{queues: 1, messages: 1, bytes: 1, sent: 6, received: 4})
	q2.Unlinked()
	wantDelta(t, "unlinked", base, snapshot{sent: 6, received: 4})
}

// TestMetricsAfterRestore checks that a restored queue adds itself and its
// messages to the gauges, and that the counters are not restored.
func TestMetricsAfterRestore(t *testing.T) {
	in := newImage(t) // one named queue, 3 messages, 15 bytes
	base := takeSnapshot()
	out, err := saveLoad(t, in)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantDelta(t, "restored", base, snapshot{queues: 1, messages: 3, bytes: 15})
	out.queues[0].Unlinked()
	in.queues[0].Unlinked()
	wantDelta(t, "both unlinked", base, snapshot{queues: -1, messages: -3, bytes: -15})
}

// TestMetricsRegistered checks the metrics' names and kinds as runsc
// exports them.
func TestMetricsRegistered(t *testing.T) {
	if err := metric.Initialize(); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	reg, err := metric.GetMetricRegistration()
	if err != nil {
		t.Fatalf("GetMetricRegistration: %v", err)
	}
	want := map[string]bool{
		"/ipc/mqueue/queues": false, "/ipc/mqueue/messages": false, "/ipc/mqueue/bytes": false,
		"/ipc/mqueue/sent": true, "/ipc/mqueue/received": true, "/ipc/mqueue/blocked": false,
	}
	for _, m := range reg.GetMetrics() {
		cumulative, ok := want[m.GetName()]
		if !ok {
			continue
		}
		delete(want, m.GetName())
		if m.GetCumulative() != cumulative {
			t.Errorf("%s: cumulative = %v, want %v", m.GetName(), m.GetCumulative(), cumulative)
		}
		if m.GetName() == "/ipc/mqueue/blocked" {
			if f := m.GetFields(); len(f) != 1 || f[0].GetFieldName() != "op" {
				t.Errorf("%s: fields %v, want op", m.GetName(), f)
			}
		}
	}
	for name := range want {
		t.Errorf("%s is not registered", name)
	}
}
