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
	"sync"

	"gvisor.dev/gvisor/pkg/ilist"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
)

// Waiter is a task blocked in msgsnd or msgrcv. The syscall layer owns the
// blocking (it waits on C()); the queue completes the waiter under its lock
// — handing a receiver its message, queueing a sender's message, or failing
// either with EIDRM, EACCES or E2BIG — so an outcome is never lost even when
// the block is interrupted at the same moment: FinishSend and FinishReceive
// report it.
//
// Blocked tasks are interrupted before a checkpoint saves the kernel, so
// waiters are never saved (Queue's lists are state:"zerovalue": a save
// checks it).
type Waiter struct {
	ready chan struct{}

	// Set by Send or Receive when the waiter is queued.
	creds *auth.Credentials
	pid   int32
	// Receivers: what they wait for.
	mode    searchMode
	mtype   int64
	maxSize uint64
	// msg is a blocked sender's message, or the message handed to a
	// receiver.
	msg *Message

	// Set when the waiter completes.
	done bool
	err  error

	// Entry links the waiter into its queue's senders or receivers while
	// queued is set.
	ilist.Entry
	queued bool
}

// NewWaiter returns a Waiter; one may be reused for successive calls.
func NewWaiter() *Waiter {
	return &Waiter{ready: make(chan struct{}, 1)}
}

var waiterPool = sync.Pool{New: func() any { return NewWaiter() }}

// GetWaiter returns a Waiter from a pool, to be given back with PutWaiter
// once the operation it was passed to has finished (Send or Receive did not
// return ErrWaiting, or FinishSend or FinishReceive returned).
func GetWaiter() *Waiter { return waiterPool.Get().(*Waiter) }

// PutWaiter returns w to the pool.
//
// Preconditions: no queue holds w (see GetWaiter).
func PutWaiter(w *Waiter) {
	w.creds, w.msg, w.err = nil, nil, nil
	waiterPool.Put(w)
}

// C is signalled when the waiter's operation completed.
func (w *Waiter) C() <-chan struct{} { return w.ready }

func (w *Waiter) reset(creds *auth.Credentials, pid int32) {
	w.creds, w.pid = creds, pid
	w.msg, w.done, w.err = nil, false, nil
	select {
	case <-w.ready:
	default:
	}
}

// complete records the outcome and wakes the task.
//
// Preconditions: the queue's mu is held; w has been removed from its list.
func (w *Waiter) complete(msg *Message, err error) {
	w.msg, w.err, w.done = msg, err, true
	w.ready <- struct{}{}
}

// waiterList is a FIFO of blocked tasks.
type waiterList struct {
	ilist.List
}

func (l *waiterList) empty() bool { return l.Empty() }

func (l *waiterList) front() *Waiter { return asWaiter(l.Front()) }

func (l *waiterList) pushBack(w *Waiter) {
	w.queued = true
	l.PushBack(w)
}

func (l *waiterList) remove(w *Waiter) {
	l.Remove(w)
	w.queued = false
}

// nextWaiter returns the waiter after w in its list.
func (w *Waiter) nextWaiter() *Waiter { return asWaiter(w.Next()) }

func asWaiter(e ilist.Element) *Waiter {
	if e == nil {
		return nil
	}
	return e.(*Waiter)
}
