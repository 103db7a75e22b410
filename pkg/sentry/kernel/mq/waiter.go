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

import "gvisor.dev/gvisor/pkg/ilist"

// Waiter is a task blocked in send or receive on a queue. The syscall layer
// owns the blocking (it waits on C()); the queue fills in the outcome under
// its lock, so a message handed over is never lost even if the waiter's
// block is interrupted at the same moment.
type Waiter struct {
	ready chan struct{}
	// msg is the message a blocked sender wants queued, or the message
	// handed to a blocked receiver.
	msg  Message
	done bool

	// Entry links the waiter into its queue's senders or receivers while
	// it is blocked (done is false).
	ilist.Entry
}

// NewWaiter returns a Waiter; one may be reused for successive calls.
func NewWaiter() *Waiter {
	return &Waiter{ready: make(chan struct{}, 1)}
}

// C is signalled when the waiter's operation completed.
func (w *Waiter) C() <-chan struct{} { return w.ready }

func (w *Waiter) reset(m Message) {
	w.msg, w.done = m, false
	select {
	case <-w.ready:
	default:
	}
}

func (w *Waiter) complete() {
	w.done = true
	w.ready <- struct{}{}
}

// waiterList is a FIFO of blocked tasks. Blocked tasks are interrupted by a
// checkpoint before state is saved, so the list is always empty when saved
// (Queue's fields are state:"zerovalue": a save checks it).
type waiterList struct {
	ilist.List
}

func (l *waiterList) popFront() *Waiter {
	w := l.Front().(*Waiter)
	l.Remove(w)
	return w
}
