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
	"testing"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// BenchmarkManyQueues is mqbench's sysv_manyq in the core: create 10000
// private queues, send one message to each, receive it, remove the queue;
// per queue and phase.
func BenchmarkManyQueues(b *testing.B) {
	const n = 10000
	c := rootCaller(1)
	qs := make([]*Queue, n)
	m := &Message{Type: 1, Text: make([]byte, 16)}
	for b.Loop() {
		r := NewRegistry(userNS)
		r.limits.MsgMni = n // +checklocksignore: r is this goroutine's.
		for i := range qs {
			q, err := r.Get(ctx, c.Creds, sysvipc.IPCPrivate, 0600)
			if err != nil {
				b.Fatal(err)
			}
			qs[i] = q
		}
		for _, q := range qs {
			if err := q.Send(ctx, c, m, nil); err != nil {
				b.Fatal(err)
			}
		}
		for _, q := range qs {
			if _, err := q.Receive(ctx, c, ReceiveRequest{MaxSize: 16}, nil); err != nil {
				b.Fatal(err)
			}
		}
		for _, q := range qs {
			if err := r.Remove(c.Creds, q.ID()); err != nil {
				b.Fatal(err)
			}
		}
	}
}
