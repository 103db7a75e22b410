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

// Benchmarks of the queue core (no syscall layer). `make bench` runs them
// with -benchmem; test/bench/driver prints them with the C benchmarks.
//
// Payload buffers are allocated once outside the timed loops unless a
// benchmark's name says otherwise, so allocs/op counts only what the core
// itself allocates. The syscall layer allocates one payload buffer per send
// (MqTimedsend's make([]byte, msgLen)); the "PayloadAlloc" variant models
// that and should show exactly one allocation per pair.

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
)

// benchImpl is a RegistryImpl that names nothing.
type benchImpl struct{}

func (benchImpl) Bind(*Registry)          {}
func (benchImpl) Destroy(context.Context) {}

var benchUserNS = auth.NewRootUserNamespace()

// benchContext is a root task's context (root has CAP_SYS_RESOURCE, so
// queues may hold up to MsgMaxHard messages; no limit set means no
// RLIMIT_MSGQUEUE check).
func benchContext() context.Context {
	return auth.ContextWithCredentials(context.Background(), auth.NewRootCredentials(benchUserNS))
}

func benchQueue(b *testing.B, maxMsgs, size int64) (context.Context, *Queue) {
	b.Helper()
	ctx := benchContext()
	r := NewRegistry(benchUserNS, benchImpl{})
	q, err := r.NewQueue(ctx, "q", &Attr{MaxMessages: maxMsgs, MaxMessageSize: size})
	if err != nil {
		b.Fatalf("NewQueue: %v", err)
	}
	return ctx, q
}

func mustSend(b *testing.B, ctx context.Context, q *Queue, m Message) {
	if err := q.Send(ctx, m, nil); err != nil {
		b.Fatalf("Send: %v", err)
	}
}

func mustReceive(b *testing.B, ctx context.Context, q *Queue, bufSize int64) Message {
	m, err := q.Receive(ctx, bufSize, nil)
	if err != nil {
		b.Fatalf("Receive: %v", err)
	}
	return m
}

var payloadSizes = []struct {
	name string
	size int
}{{"16B", 16}, {"1KiB", 1024}, {"8KiB", 8192}}

// BenchmarkSendReceive is one Send followed by one Receive on an otherwise
// empty queue, reusing the same payload buffer: the core's steady state.
func BenchmarkSendReceive(b *testing.B) {
	for _, ps := range payloadSizes {
		b.Run(ps.name, func(b *testing.B) {
			ctx, q := benchQueue(b, 10, int64(ps.size))
			data := make([]byte, ps.size)
			out := make([]byte, ps.size)
			b.SetBytes(int64(ps.size))
			b.ReportAllocs()
			for b.Loop() {
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
				m := mustReceive(b, ctx, q, int64(ps.size))
				copy(out, m.Data)
			}
		})
	}
}

// BenchmarkSendReceivePayloadAlloc allocates and fills the payload per send
// as MqTimedsend does: the syscall layer's cost model minus the copies
// across the address space.
func BenchmarkSendReceivePayloadAlloc(b *testing.B) {
	for _, ps := range payloadSizes {
		b.Run(ps.name, func(b *testing.B) {
			ctx, q := benchQueue(b, 10, int64(ps.size))
			src := make([]byte, ps.size)
			out := make([]byte, ps.size)
			b.SetBytes(int64(ps.size))
			b.ReportAllocs()
			for b.Loop() {
				data := make([]byte, len(src))
				copy(data, src)
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
				m := mustReceive(b, ctx, q, int64(ps.size))
				copy(out, m.Data)
			}
		})
	}
}

// BenchmarkSendReceiveBlockingFD models what MqTimedsend and
// MqTimedreceive do on a descriptor without O_NONBLOCK: besides the payload
// buffer, each call makes a Waiter (and its channel) up front, although the
// queue only needs one when the call must block.
func BenchmarkSendReceiveBlockingFD(b *testing.B) {
	ctx, q := benchQueue(b, 10, 16)
	src := make([]byte, 16)
	out := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		data := make([]byte, len(src))
		copy(data, src)
		if err := q.Send(ctx, Message{Priority: 1, Data: data}, NewWaiter()); err != nil {
			b.Fatalf("Send: %v", err)
		}
		m, err := q.Receive(ctx, 16, NewWaiter())
		if err != nil {
			b.Fatalf("Receive: %v", err)
		}
		copy(out, m.Data)
	}
}

// BenchmarkMixedPriority keeps 64 messages queued with priorities spread
// over 0..32767 (many Fenwick blocks) and a hot set of low priorities; each
// op is one send and one receive.
func BenchmarkMixedPriority(b *testing.B) {
	const depth = 64
	ctx, q := benchQueue(b, 1024, 16)
	rng := rand.New(rand.NewSource(1))
	prios := make([]uint32, 4096)
	for i := range prios {
		if i%4 == 0 {
			prios[i] = uint32(rng.Intn(linux.MQ_PRIO_MAX))
		} else {
			prios[i] = uint32(rng.Intn(8))
		}
	}
	data := make([]byte, 16)
	for i := 0; i < depth; i++ {
		mustSend(b, ctx, q, Message{Priority: prios[i], Data: data})
	}
	// One untimed pass over the priorities allocates every block and FIFO
	// they use, so that the timed loop sees the steady state.
	i := depth
	for ; i < depth+len(prios); i++ {
		mustSend(b, ctx, q, Message{Priority: prios[i%len(prios)], Data: data})
		mustReceive(b, ctx, q, 16)
	}
	b.ReportAllocs()
	for b.Loop() {
		mustSend(b, ctx, q, Message{Priority: prios[i%len(prios)], Data: data})
		mustReceive(b, ctx, q, 16)
		i++
	}
}

const bigQueue = 65000

// fillBig queues bigQueue 16-byte messages: a few hot priorities and one in
// eight spread over the whole range, so peeks cross Fenwick blocks.
func fillBig(b *testing.B, ctx context.Context, q *Queue) {
	rng := rand.New(rand.NewSource(2))
	data := make([]byte, 16)
	for i := 0; i < bigQueue; i++ {
		p := uint32(rng.Intn(4))
		if i%8 == 0 {
			p = uint32(rng.Intn(linux.MQ_PRIO_MAX))
		}
		mustSend(b, ctx, q, Message{Priority: p, Data: data})
	}
}

// BenchmarkPeek peeks (copying the 16-byte payload out) at depth 1, 1000
// and 65000 of a queue holding 65000 messages.
func BenchmarkPeek(b *testing.B) {
	ctx, q := benchQueue(b, bigQueue, 16)
	fillBig(b, ctx, q)
	out := make([]byte, 16)
	copyOut := func(d []byte) (int, error) { return copy(out, d), nil }
	for _, depth := range []int64{1, 1000, bigQueue} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := q.Peek(depth-1, copyOut); err != nil {
					b.Fatalf("Peek: %v", err)
				}
			}
		})
	}
}

// BenchmarkDump65000 compares reading all 65000 messages by Peek (index 0..n-1,
// the queue left intact) with draining them by Receive. One op is one dump
// plus one drain; the queue is refilled untimed. Metrics: peek-ns/msg,
// drain-ns/msg and peek/drain (the goal is <= 2).
func BenchmarkDump65000(b *testing.B) {
	ctx, q := benchQueue(b, bigQueue, 16)
	out := make([]byte, 16)
	copyOut := func(d []byte) (int, error) { return copy(out, d), nil }
	var peekTotal, drainTotal time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fillBig(b, ctx, q)
		b.StartTimer()
		start := time.Now()
		for i := int64(0); i < bigQueue; i++ {
			if _, _, err := q.Peek(i, copyOut); err != nil {
				b.Fatalf("Peek(%d): %v", i, err)
			}
		}
		mid := time.Now()
		for i := 0; i < bigQueue; i++ {
			copy(out, mustReceive(b, ctx, q, 16).Data)
		}
		end := time.Now()
		peekTotal += mid.Sub(start)
		drainTotal += end.Sub(mid)
	}
	n := float64(b.N) * bigQueue
	b.ReportMetric(float64(peekTotal.Nanoseconds())/n, "peek-ns/msg")
	b.ReportMetric(float64(drainTotal.Nanoseconds())/n, "drain-ns/msg")
	b.ReportMetric(float64(peekTotal)/float64(drainTotal), "peek/drain")
}

// BenchmarkManyQueues is one send+receive per op, round-robin over 1, 100
// and 10000 queues: the per-op cost should stay flat (it grows only as the
// queues' state falls out of the CPU caches; see BenchmarkNewQueue for the
// footprint of one queue).
func BenchmarkManyQueues(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("queues=%d", n), func(b *testing.B) {
			ctx := benchContext()
			r := NewRegistry(benchUserNS, benchImpl{})
			qs := make([]*Queue, n)
			data := make([]byte, 16)
			for i := range qs {
				q, err := r.NewQueue(ctx, "q", &Attr{MaxMessages: 10, MaxMessageSize: 16})
				if err != nil {
					b.Fatalf("NewQueue %d: %v", i, err)
				}
				qs[i] = q
				// First use allocates the queue's priority block.
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
				mustReceive(b, ctx, q, 16)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := qs[i%n]
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
				mustReceive(b, ctx, q, 16)
				i++
			}
		})
	}
}

// BenchmarkNewQueue creates a queue, uses it and releases its name: B/op is
// the heap one queue allocates over its life. "used" carries one message at
// priority 1; "128prios" carries one message in each of the 128 blocks of
// 256 priorities at once and is then drained, and retained-B is what its
// message store still holds after the drain (emptied FIFOs and blocks are
// freed but for a few spares).
func BenchmarkNewQueue(b *testing.B) {
	data := make([]byte, 16)
	for _, c := range []struct {
		name  string
		prios []uint32
	}{
		{"empty", nil},
		{"used", []uint32{1}},
		{"128prios", func() []uint32 {
			p := make([]uint32, slotBlocks)
			for i := range p {
				p[i] = uint32(i * slotsPerBlock)
			}
			return p
		}()},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := benchContext()
			r := NewRegistry(benchUserNS, benchImpl{})
			b.ReportAllocs()
			var retained uintptr
			for b.Loop() {
				q, err := r.NewQueue(ctx, "q", &Attr{MaxMessages: int64(max(1, len(c.prios))), MaxMessageSize: 16})
				if err != nil {
					b.Fatalf("NewQueue: %v", err)
				}
				for _, p := range c.prios {
					mustSend(b, ctx, q, Message{Priority: p, Data: data})
				}
				for range c.prios {
					mustReceive(b, ctx, q, 16)
				}
				retained = storeHeapBytes(&q.messages) // +checklocksignore: q is this goroutine's.
				q.Unlinked()
			}
			b.ReportMetric(float64(retained), "retained-B")
		})
	}
}

// BenchmarkDepth is one send+receive per op with 1..65000 messages already
// queued (one priority: the pair touches the FIFO's both ends).
func BenchmarkDepth(b *testing.B) {
	for _, depth := range []int{1, 100, 10000, bigQueue} {
		b.Run(fmt.Sprintf("queued=%d", depth), func(b *testing.B) {
			ctx, q := benchQueue(b, bigQueue+1, 16)
			data := make([]byte, 16)
			for i := 0; i < depth; i++ {
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
			}
			b.ReportAllocs()
			for b.Loop() {
				mustSend(b, ctx, q, Message{Priority: 1, Data: data})
				mustReceive(b, ctx, q, 16)
			}
		})
	}
}

// BenchmarkHandOff is a ping-pong between two goroutines through a blocked
// receiver's Waiter (the path a blocking mq_timedreceive takes when a sender
// arrives). Waiters are reused, as the syscall layer could.
func BenchmarkHandOff(b *testing.B) {
	ctx, q := benchQueue(b, 10, 16)
	ctx2, back := benchQueue(b, 10, 16)
	data := make([]byte, 16)
	recv := func(ctx context.Context, q *Queue, w *Waiter) {
		if _, err := q.Receive(ctx, 16, w); err == ErrWaiting {
			<-w.C()
			if _, ok := q.FinishReceive(w); !ok {
				panic("hand-off lost")
			}
		} else if err != nil {
			panic(err)
		}
	}
	done := make(chan struct{})
	n := b.N
	go func() {
		w := NewWaiter()
		for i := 0; i < n; i++ {
			recv(ctx2, q, w)
			if err := back.Send(ctx2, Message{Data: data}, nil); err != nil {
				panic(err)
			}
		}
		close(done)
	}()
	w := NewWaiter()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		mustSend(b, ctx, q, Message{Data: data})
		recv(ctx, back, w)
	}
	<-done
}
