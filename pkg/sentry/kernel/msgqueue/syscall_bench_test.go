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

// benchSend and benchRecv do what Msgsnd and Msgrcv do around the syscall
// layer's copies: the msgmax check, the lookup by id, a blocking-capable
// waiter, and the queue operation.
func benchSend(b *testing.B, r *Registry, id sysvipc.ID, c Caller, size int) {
	if uint64(size) > uint64(r.MsgMax()) {
		b.Fatal("size")
	}
	m := &Message{Type: 1, Text: make([]byte, size)}
	q, err := r.FindByID(id)
	if err != nil {
		b.Fatal(err)
	}
	w := GetWaiter()
	if err := q.Send(ctx, c, m, w); err != nil {
		b.Fatal(err)
	}
	PutWaiter(w)
}

func benchRecv(b *testing.B, r *Registry, id sysvipc.ID, c Caller, size int) *Message {
	q, err := r.FindByID(id)
	if err != nil {
		b.Fatal(err)
	}
	w := GetWaiter()
	m, err := q.Receive(ctx, c, ReceiveRequest{MaxSize: uint64(size)}, w)
	if err != nil {
		b.Fatal(err)
	}
	PutWaiter(w)
	return m
}

// BenchmarkSyscallPair is the core of mqbench's sysv_pair: msgsnd then
// msgrcv of a 16-byte message on an otherwise empty queue.
func BenchmarkSyscallPair(b *testing.B) {
	r := NewRegistry(userNS)
	q, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	if err != nil {
		b.Fatal(err)
	}
	id := q.ID()
	c := rootCaller(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchSend(b, r, id, c, 16)
		benchRecv(b, r, id, c, 16)
	}
}

// BenchmarkSyscallPairDeep is the same with 1000 messages of other types
// queued before.
func BenchmarkSyscallPairDeep(b *testing.B) {
	r := NewRegistry(userNS)
	q, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	if err != nil {
		b.Fatal(err)
	}
	q.qbytes = 1 << 30 // +checklocksignore: the queue is not shared yet.
	c := rootCaller(1)
	for i := 0; i < 1000; i++ {
		if err := q.Send(ctx, c, &Message{Type: int64(2 + i%10), Text: make([]byte, 16)}, nil); err != nil {
			b.Fatal(err)
		}
	}
	id := q.ID()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchSend(b, r, id, c, 16)
		if _, err := q.Receive(ctx, c, ReceiveRequest{Type: 1, MaxSize: 16}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCorePair is send+receive on the queue alone, with the message
// reused: the core must not allocate.
func BenchmarkCorePair(b *testing.B) {
	r := NewRegistry(userNS)
	q, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	if err != nil {
		b.Fatal(err)
	}
	c := rootCaller(1)
	m := &Message{Type: 1, Text: make([]byte, 16)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := q.Send(ctx, c, m, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := q.Receive(ctx, c, ReceiveRequest{MaxSize: 16}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParallelPairs runs pairs on one queue from several goroutines
// (sysv_nxm's contention on the registry and the queue).
func BenchmarkParallelPairs(b *testing.B) {
	r := NewRegistry(userNS)
	q, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	if err != nil {
		b.Fatal(err)
	}
	id := q.ID()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := rootCaller(1)
		for pb.Next() {
			benchSend(b, r, id, c, 16)
			benchRecv(b, r, id, c, 16)
		}
	})
}
