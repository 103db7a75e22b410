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

package msgqueue

import (
	"bytes"
	stdctx "context"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/state"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats/queuestatstest"
)

// snapshot is what the /ipc/msg/* metrics read.
type snapshot = queuestats.Snapshot

// wantDelta checks the totals moved from base by want.
func wantDelta(t *testing.T, step string, base, want snapshot) {
	t.Helper()
	queuestatstest.WantDelta(t, &stats, step, base, want)
}

func TestMetricsAccounting(t *testing.T) {
	base := stats.Snapshot()
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	wantDelta(t, "create", base, snapshot{Queues: 1})
	setQbytes(t, r, q, 8)
	send(t, q, 1, "abc")
	send(t, q, 2, "defgh")
	wantDelta(t, "2 sends", base, snapshot{Queues: 1, Messages: 2, Bytes: 8, Sent: 2})

	// MSG_COPY reads without receiving.
	if _, err := recv(q, 0, linux.MSG_COPY|linux.IPC_NOWAIT, 64); err != nil {
		t.Fatalf("MSG_COPY: %v", err)
	}
	wantDelta(t, "MSG_COPY", base, snapshot{Queues: 1, Messages: 2, Bytes: 8, Sent: 2})

	// A full queue blocks a send; a receive admits it.
	ws := NewWaiter()
	if err := q.Send(ctx, rootCaller(1), &Message{Type: 3, Text: []byte("ij")}, ws); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	wantDelta(t, "blocked send", base, snapshot{Queues: 1, Messages: 2, Bytes: 8, Sent: 2, BlockedSend: 1})
	wantMsg(t, q, 1, 0, 1, "abc")
	if done, err := q.FinishSend(ws); !done || err != nil {
		t.Fatalf("FinishSend = %v, %v", done, err)
	}
	wantDelta(t, "receive admits sender", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1})

	// A blocked send that gives up.
	ws2 := NewWaiter()
	if err := q.Send(ctx, rootCaller(1), &Message{Type: 3, Text: []byte("klmno")}, ws2); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	if done, _ := q.FinishSend(ws2); done {
		t.Fatalf("withdrawn sender was admitted")
	}
	wantDelta(t, "withdrawn send", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1})

	// A blocked receive that gives up, then one a send is handed to.
	wr := NewWaiter()
	req := ReceiveRequest{Type: 9, MaxSize: 64}
	if _, err := q.Receive(ctx, rootCaller(2), req, wr); err != ErrWaiting {
		t.Fatalf("Receive of an absent type: %v", err)
	}
	wantDelta(t, "blocked receive", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1, BlockedReceive: 1})
	if _, done, _ := q.FinishReceive(wr); done {
		t.Fatalf("withdrawn receiver got a message")
	}
	wantDelta(t, "withdrawn receive", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 3, Received: 1})
	if _, err := q.Receive(ctx, rootCaller(2), req, wr); err != ErrWaiting {
		t.Fatalf("Receive of an absent type: %v", err)
	}
	send(t, q, 9, "x")
	if m, done, err := q.FinishReceive(wr); !done || err != nil || string(m.Text) != "x" {
		t.Fatalf("FinishReceive = %v, %v, %v", m, done, err)
	}
	wantDelta(t, "hand-over", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 4, Received: 2})

	// IPC_RMID drops the queue, its messages and its blocked tasks.
	wr2, ws3 := NewWaiter(), NewWaiter()
	if _, err := q.Receive(ctx, rootCaller(2), req, wr2); err != ErrWaiting {
		t.Fatalf("Receive of an absent type: %v", err)
	}
	if err := q.Send(ctx, rootCaller(1), &Message{Type: 3, Text: []byte("klmno")}, ws3); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v", err)
	}
	wantDelta(t, "before RMID", base, snapshot{Queues: 1, Messages: 2, Bytes: 7, Sent: 4, Received: 2, BlockedSend: 1, BlockedReceive: 1})
	if err := r.Remove(auth.NewRootCredentials(userNS), q.ID()); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	wantDelta(t, "RMID", base, snapshot{Sent: 4, Received: 2})
}

// TestMetricsAfterRestore checks that a restored registry's live queues add
// themselves and their messages to the gauges, and that the counters are
// not restored.
func TestMetricsAfterRestore(t *testing.T) {
	r, _, _ := newRestoreRegistry(t) // 2 queues, 2 messages, 6 bytes
	base := stats.Snapshot()
	var buf bytes.Buffer
	if _, err := state.Save(stdctx.Background(), &buf, r); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(Registry)
	if _, err := state.Load(stdctx.Background(), &buf, out); err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantDelta(t, "restored", base, snapshot{Queues: 2, Messages: 2, Bytes: 6})
	for _, reg := range []*Registry{r, out} {
		for _, q := range reg.Queues() {
			// The owner: root of userNS has no capability in the
			// restored copy of the namespace.
			if err := reg.Remove(userCreds(1000, 1000), q.ID()); err != nil {
				t.Fatalf("Remove: %v", err)
			}
		}
	}
	wantDelta(t, "all removed", base, snapshot{Queues: -2, Messages: -2, Bytes: -6})
}
