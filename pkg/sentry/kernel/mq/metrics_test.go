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

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats/queuestatstest"
)

// snapshot is what the /ipc/mqueue/* metrics read.
type snapshot = queuestats.Snapshot

// wantDelta checks the totals moved from base by want.
func wantDelta(t *testing.T, step string, base, want snapshot) {
	t.Helper()
	queuestatstest.WantDelta(t, &stats, step, base, want)
}

func TestMetricsAccounting(t *testing.T) {
	ctx := testContext()
	base := stats.Snapshot()
	r, q := newTestQueue(t, 2, 16)
	q.Opened()
	wantDelta(t, "create", base, snapshot{Queues: 1})

	for _, m := range []string{"abc", "defgh"} {
		if err := q.Send(ctx, Message{Data: []byte(m)}, nil); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	wantDelta(t, "2 sends", base, snapshot{Queues: 1, Messages: 2, Bytes: 8, Sent: 2})

	// A third send blocks; a receive admits it.
	ws := NewWaiter()
	if err := q.Send(ctx, Message{Data: []byte("ij")}, ws); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	wantDelta(t, "blocked send", base, snapshot{Queues: 1, Messages: 2, Bytes: 8, Sent: 2, BlockedSend: 1})
	if _, err := q.Receive(ctx, 16, nil); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if !q.FinishSend(ws) {
		t.Fatalf("blocked sender not admitted")
	}
	wantDelta(t, "receive admits sender", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1})

	// A blocked send that gives up.
	ws2 := NewWaiter()
	if err := q.Send(ctx, Message{Data: []byte("x")}, ws2); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	if q.FinishSend(ws2) {
		t.Fatalf("withdrawn sender was admitted")
	}
	wantDelta(t, "withdrawn send", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1})

	for i := 0; i < 2; i++ {
		if _, err := q.Receive(ctx, 16, nil); err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
	wantDelta(t, "drained", base, snapshot{Queues: 1, Sent: 3, Received: 3})

	// A blocked receive that gives up, then one a send is handed to.
	wr := NewWaiter()
	if _, err := q.Receive(ctx, 16, wr); err != ErrWaiting {
		t.Fatalf("Receive on an empty queue: %v", err)
	}
	wantDelta(t, "blocked receive", base, snapshot{Queues: 1, Sent: 3, Received: 3, BlockedReceive: 1})
	if _, ok := q.FinishReceive(wr); ok {
		t.Fatalf("withdrawn receiver got a message")
	}
	wantDelta(t, "withdrawn receive", base, snapshot{Queues: 1, Sent: 3, Received: 3})
	if _, err := q.Receive(ctx, 16, wr); err != ErrWaiting {
		t.Fatalf("Receive on an empty queue: %v", err)
	}
	if err := q.Send(ctx, Message{Data: []byte("hand")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m, ok := q.FinishReceive(wr); !ok || string(m.Data) != "hand" {
		t.Fatalf("handed-over message = %q, %v", m.Data, ok)
	}
	wantDelta(t, "hand-over", base, snapshot{Queues: 1, Sent: 4, Received: 4})

	// Unlinked but open: still a queue with its messages; the last close
	// frees both.
	if err := q.Send(ctx, Message{Data: []byte("left")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	q.Unlinked()
	wantDelta(t, "unlinked, open", base, snapshot{Queues: 1, Messages: 1, Bytes: 4, Sent: 5, Received: 4})
	q.Closed()
	wantDelta(t, "closed", base, snapshot{Sent: 5, Received: 4})

	// Named but closed: a queue until unlinked.
	q2, err := r.NewQueue(ctx, "q2", &Attr{MaxMessages: 2, MaxMessageSize: 16})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	if err := q2.Send(ctx, Message{Data: []byte("z")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantDelta(t, "named, closed", base, snapshot{Queues: 1, Messages: 1, Bytes: 1, Sent: 6, Received: 4})
	q2.Unlinked()
	wantDelta(t, "unlinked", base, snapshot{Sent: 6, Received: 4})
}

// TestMetricsAfterRestore checks that a restored queue adds itself and its
// messages to the gauges, and that the counters are not restored.
func TestMetricsAfterRestore(t *testing.T) {
	in := newImage(t) // one named queue, 3 messages, 15 bytes
	base := stats.Snapshot()
	out, err := saveLoad(t, in)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantDelta(t, "restored", base, snapshot{Queues: 1, Messages: 3, Bytes: 15})
	out.queues[0].Unlinked()
	in.queues[0].Unlinked()
	wantDelta(t, "both unlinked", base, snapshot{Queues: -1, Messages: -3, Bytes: -15})
}
