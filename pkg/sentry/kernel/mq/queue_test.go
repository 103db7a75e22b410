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
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/limits"
)

type nopImpl struct{}

func (nopImpl) Bind(*Registry)              {}
func (nopImpl) Destroy(ctx context.Context) {}

// recordingTarget counts notifications delivered to one fake process.
type recordingTarget struct {
	fired   int
	removed int
	exited  bool

	// released counts Release calls; releasedLocked those made while
	// queue's lock was held (set queue to check).
	released       int
	releasedLocked int
	queue          *Queue
}

func (r *recordingTarget) IsCaller(ctx context.Context) bool     { return ctx.Value(callerKey{}) == r }
func (r *recordingTarget) PIDIn(context.Context) int32           { return 7 }
func (r *recordingTarget) Notify(context.Context, *Registration) { r.fired++ }
func (r *recordingTarget) Exited() bool                          { return r.exited }
func (r *recordingTarget) Removed(context.Context)               { r.removed++ }

func (r *recordingTarget) Release(context.Context) {
	r.released++
	if r.queue != nil {
		if r.queue.mu.TryLock() {
			r.queue.mu.Unlock()
		} else {
			r.releasedLocked++
		}
	}
}

type callerKey struct{}

var testUserNS = auth.NewRootUserNamespace()

// testContext is a root task's context in testUserNS.
func testContext() context.Context {
	return auth.ContextWithCredentials(context.Background(), auth.NewRootCredentials(testUserNS))
}

func newTestQueue(t *testing.T, maxMsgs, size int64) (*Registry, *Queue) {
	t.Helper()
	r := NewRegistry(testUserNS, nopImpl{})
	ctx := testContext()
	q, err := r.NewQueue(ctx, "q", &Attr{MaxMessages: maxMsgs, MaxMessageSize: size})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	return r, q
}

func TestSendReceiveLimits(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 2, 8)
	if err := q.Send(ctx, Message{Data: make([]byte, 9)}, nil); !linuxerr.Equals(linuxerr.EMSGSIZE, err) {
		t.Fatalf("oversized send: %v, want EMSGSIZE", err)
	}
	for i := 0; i < 2; i++ {
		if err := q.Send(ctx, Message{Priority: uint32(i), Data: []byte{byte(i)}}, nil); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := q.Send(ctx, Message{}, nil); !linuxerr.Equals(linuxerr.EAGAIN, err) {
		t.Fatalf("send on full queue: %v, want EAGAIN", err)
	}
	if _, err := q.Receive(ctx, 7, nil); !linuxerr.Equals(linuxerr.EMSGSIZE, err) {
		t.Fatalf("receive with small buffer: %v, want EMSGSIZE", err)
	}
	m, err := q.Receive(ctx, 8, nil)
	if err != nil || m.Priority != 1 {
		t.Fatalf("receive = %+v, %v; want priority 1", m, err)
	}
}

func TestBlockedReceiverGetsMessageWithoutNotification(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 4, 8)
	target := &recordingTarget{}
	if err := q.Notify(ctx, &Registration{Target: target, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	w := NewWaiter()
	if _, err := q.Receive(ctx, 8, w); err != ErrWaiting {
		t.Fatalf("Receive on empty queue: %v, want ErrWaiting", err)
	}
	if err := q.Send(ctx, Message{Priority: 3, Data: []byte("hi")}, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	<-w.C()
	m, ok := q.FinishReceive(w)
	if !ok || string(m.Data) != "hi" {
		t.Fatalf("FinishReceive = %+v, %v", m, ok)
	}
	if n, _ := q.Stat(); n != 0 || target.fired != 0 {
		t.Fatalf("handed-over message queued (%d) or notified (%d)", n, target.fired)
	}
	// The registration stayed: the next message into the empty queue fires it, once.
	_ = q.Send(ctx, Message{Data: []byte("a")}, nil)
	_ = q.Send(ctx, Message{Data: []byte("b")}, nil)
	if target.fired != 1 {
		t.Fatalf("fired %d times, want 1", target.fired)
	}
}

func TestBlockedSenderTakesFreedSlot(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 1, 8)
	_ = q.Send(ctx, Message{Data: []byte("first")}, nil)
	w := NewWaiter()
	if err := q.Send(ctx, Message{Data: []byte("second")}, w); err != ErrWaiting {
		t.Fatalf("Send on full queue: %v, want ErrWaiting", err)
	}
	if m, _ := q.Receive(ctx, 8, nil); string(m.Data) != "first" {
		t.Fatalf("got %q", m.Data)
	}
	<-w.C()
	if !q.FinishSend(w) {
		t.Fatalf("sender not completed")
	}
	if m, _ := q.Receive(ctx, 8, nil); string(m.Data) != "second" {
		t.Fatalf("got %q, want second", m.Data)
	}
}

func TestCancelledWaiterIsWithdrawn(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 1, 8)
	w := NewWaiter()
	_, _ = q.Receive(ctx, 8, w)
	if _, ok := q.FinishReceive(w); ok {
		t.Fatalf("timed-out receiver got a message")
	}
	_ = q.Send(ctx, Message{Data: []byte("x")}, nil)
	if n, _ := q.Stat(); n != 1 {
		t.Fatalf("message went to a withdrawn waiter: count %d", n)
	}
}

func TestNotifyRegistration(t *testing.T) {
	_, q := newTestQueue(t, 4, 8)
	a, b := &recordingTarget{}, &recordingTarget{}
	ctxA := context.WithValue(testContext(), callerKey{}, a)
	ctxB := context.WithValue(testContext(), callerKey{}, b)
	if err := q.Notify(ctxA, &Registration{Target: a, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatal(err)
	}
	if err := q.Notify(ctxB, &Registration{Target: b, Method: linux.SIGEV_SIGNAL, Signo: 10}); !linuxerr.Equals(linuxerr.EBUSY, err) {
		t.Fatalf("second registration: %v, want EBUSY", err)
	}
	if err := q.Notify(ctxB, nil); err != nil {
		t.Fatalf("unregister by non-registrant: %v", err)
	}
	q.Flush(ctxB)
	_ = q.Send(ctxB, Message{Data: []byte("x")}, nil)
	if a.fired != 1 {
		t.Fatalf("registrant notified %d times, want 1", a.fired)
	}
	_, _ = q.Receive(ctxB, 8, nil)
	if err := q.Notify(ctxA, &Registration{Target: a, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatal(err)
	}
	q.Flush(ctxA)
	if a.removed != 1 {
		t.Fatalf("closing the registrant's descriptor reported %d removals, want 1", a.removed)
	}
	_ = q.Send(ctxB, Message{Data: []byte("y")}, nil)
	if a.fired != 1 {
		t.Fatalf("notification fired after the registrant closed its descriptor")
	}

	// A registrant that exited no longer blocks others.
	_, _ = q.Receive(ctxB, 8, nil)
	if err := q.Notify(ctxA, &Registration{Target: a, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatal(err)
	}
	a.exited = true
	if err := q.Notify(ctxB, &Registration{Target: b, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatalf("registering after the registrant exited: %v", err)
	}
}

func TestRegistryLimits(t *testing.T) {
	r := NewRegistry(testUserNS, nopImpl{})
	root := testContext()
	if _, err := r.NewQueue(root, "q", &Attr{MaxMessages: 0, MaxMessageSize: 1}); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Fatalf("maxmsg 0: %v", err)
	}
	if _, err := r.NewQueue(root, "q", &Attr{MaxMessages: MsgMaxHard + 1, MaxMessageSize: 1}); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Fatalf("above the hard ceiling: %v", err)
	}
	// Root has CAP_SYS_RESOURCE: above msg_max is fine below the ceiling.
	if _, err := r.NewQueue(root, "q", &Attr{MaxMessages: 100, MaxMessageSize: 1}); err != nil {
		t.Fatalf("root above msg_max: %v", err)
	}
	q, err := r.NewQueue(root, "q", nil)
	if err != nil || q.Attr() != (Attr{MaxMessages: 10, MaxMessageSize: 8192}) {
		t.Fatalf("defaults: %+v, %v", q.Attr(), err)
	}

	user := auth.NewUserCredentials(1000, 1000, nil, nil, testUserNS)
	userCtx := auth.ContextWithCredentials(testContext(), user)
	if _, err := r.NewQueue(userCtx, "q", &Attr{MaxMessages: 11, MaxMessageSize: 1}); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Fatalf("user above msg_max: %v", err)
	}
	live := r.QueueCount()
	if err := r.UpdateLimits(func(l *Limits) { l.QueuesMax = live }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewQueue(userCtx, "q", nil); !linuxerr.Equals(linuxerr.ENOSPC, err) {
		t.Fatalf("queues_max: %v, want ENOSPC", err)
	}
	_ = r.UpdateLimits(func(l *Limits) { l.QueuesMax = 1000 })
	if err := r.UpdateLimits(func(l *Limits) { l.MsgMax = MsgMaxHard + 1 }); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Fatalf("msg_max above the ceiling: %v, want EINVAL", err)
	}

	ls := limits.NewLimitSet()
	ls.SetUnchecked(limits.MessageQueueBytes, limits.Limit{Cur: 100000, Max: 100000})
	limited := context.WithValue(userCtx, limits.CtxLimits, ls)
	q1, err := r.NewQueue(limited, "q", nil)
	if err != nil {
		t.Fatalf("first queue within RLIMIT_MSGQUEUE: %v", err)
	}
	if _, err := r.NewQueue(limited, "q", nil); !linuxerr.Equals(linuxerr.EMFILE, err) {
		t.Fatalf("RLIMIT_MSGQUEUE: %v, want EMFILE", err)
	}
	// The charge comes back when the queue dies.
	q1.Unlinked()
	if _, err := r.NewQueue(limited, "q", nil); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// TestReleaseAfterUnlock checks that every way a registration ends (fired
// by a send, removed by its process, by a close, or dropped because its
// process exited) releases it once, after the queue's lock is released.
func TestReleaseAfterUnlock(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 4, 8)
	for _, tc := range []struct {
		name   string
		method int32
		end    func(target *recordingTarget)
	}{
		{"fired", linux.SIGEV_SIGNAL, func(*recordingTarget) { _ = q.Send(ctx, Message{Data: []byte("x")}, nil) }},
		{"fired SIGEV_NONE", linux.SIGEV_NONE, func(*recordingTarget) { _ = q.Send(ctx, Message{Data: []byte("x")}, nil) }},
		{"unregistered", linux.SIGEV_THREAD, func(target *recordingTarget) {
			_ = q.Notify(context.WithValue(ctx, callerKey{}, target), nil)
		}},
		{"flushed", linux.SIGEV_THREAD, func(target *recordingTarget) { q.Flush(context.WithValue(ctx, callerKey{}, target)) }},
		{"exited", linux.SIGEV_SIGNAL, func(target *recordingTarget) {
			target.exited = true
			var buf bytes.Buffer
			q.WriteStatus(ctx, &buf)
		}},
	} {
		// Start from an empty queue so that a send fires.
		for {
			if _, err := q.Receive(ctx, 8, nil); err != nil {
				break
			}
		}
		target := &recordingTarget{queue: q}
		if err := q.Notify(ctx, &Registration{Target: target, Method: tc.method, Signo: 10}); err != nil {
			t.Fatalf("%s: Notify: %v", tc.name, err)
		}
		if target.released != 0 {
			t.Fatalf("%s: released %d times while registered", tc.name, target.released)
		}
		tc.end(target)
		if target.released != 1 || target.releasedLocked != 0 {
			t.Errorf("%s: released %d times, %d of them under the queue's lock; want once, unlocked", tc.name, target.released, target.releasedLocked)
		}
		// The registration is gone: another process may register.
		if err := q.Notify(ctx, &Registration{Target: &recordingTarget{}, Method: linux.SIGEV_NONE}); err != nil {
			t.Errorf("%s: Notify after the end: %v", tc.name, err)
		}
		_ = q.Notify(ctx, nil)
		q.mu.Lock()
		q.registration = nil
		q.mu.Unlock()
	}
}

// TestPeekCopiesOutUnlocked checks that F_MQ_PEEK's copy to user memory runs
// without the queue's lock, and still gives the message at the index.
func TestPeekCopiesOutUnlocked(t *testing.T) {
	ctx := testContext()
	_, q := newTestQueue(t, 4, 8)
	for i, s := range []string{"low", "high"} {
		if err := q.Send(ctx, Message{Priority: uint32(i), Data: []byte(s)}, nil); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	var got string
	prio, n, err := q.Peek(1, func(data []byte) (int, error) {
		if !q.mu.TryLock() {
			t.Error("copyOut runs under the queue's lock")
		} else {
			q.mu.Unlock()
		}
		got = string(data)
		return len(data), nil
	})
	if err != nil || prio != 0 || n != 3 || got != "low" {
		t.Errorf("Peek(1) = %d, %d, %v, data %q; want 0, 3, nil, \"low\"", prio, n, err, got)
	}
}
