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
	stdctx "context"
	"fmt"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sync"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// ErrWaiting means the caller's Waiter was queued and it must block.
var ErrWaiting = linuxerr.ErrWouldBlock

// Queue is one POSIX message queue (Linux's struct mqueue_inode_info without
// the inode, which mqfs provides).
//
// A queue lives while it is linked in its namespace or any descriptor of it
// is open.
//
// +stateify savable
type Queue struct {
	registry *Registry
	// name is the queue's name in its namespace (without the leading
	// slash), kept after unlink: it names the queue in errors about a
	// checkpoint image.
	name string
	attr Attr
	// chargedTo is the user whose RLIMIT_MSGQUEUE pays for the queue.
	chargedTo auth.KUID

	// mu protects everything below. It is never held together with
	// Registry.mu; see the package comment for what runs under it.
	mu sync.Mutex `state:"nosave"`
	// +checklocks:mu
	messages messageStore `state:".([]Message)"`
	// receivers and senders are the tasks blocked in mq_timedreceive and
	// mq_timedsend. A checkpoint interrupts every blocked call, which then
	// withdraws its waiter (FinishReceive, FinishSend) before its task
	// stops and the kernel is saved: both are empty at save, which fails
	// otherwise.
	// +checklocks:mu
	receivers waiterList `state:"zerovalue"`
	// +checklocks:mu
	senders waiterList `state:"zerovalue"`
	// +checklocks:mu
	registration *Registration
	// ended is the registration that ended (fired or removed) in the
	// critical section under way, whose Target.Release runs once mu is
	// unlocked (see unlock). A critical section ends at most one: so it is
	// nil whenever mu is unlocked, at save as well.
	// +checklocks:mu
	ended *Registration `state:"zerovalue"`
	// +checklocks:mu
	events waiter.Queue
	// watchers counts events' entries (poll, epoll, select), so that send
	// and receive skip the notification when nobody watches.
	// +checklocks:mu
	watchers int
	// +checklocks:mu
	linked bool
	// +checklocks:mu
	openFDs int64
}

// unlock unlocks q.mu, then releases what a registration that ended under
// it holds: its SIGEV_THREAD socket's last reference may be dropped there,
// which runs the socket's release and must not happen under q.mu.
//
// +checklocksrelease:q.mu
func (q *Queue) unlock(ctx context.Context) {
	ended := q.ended
	q.ended = nil
	q.mu.Unlock()
	if ended != nil {
		ended.Target.Release(ctx)
	}
}

// saveMessages returns the queued messages in receive order: the image
// holds the messages, not the store's index.
//
// +checklocksignore: the kernel is stopped while it is saved.
func (q *Queue) saveMessages() []Message {
	msgs := make([]Message, q.messages.count)
	for i := range msgs {
		msgs[i] = *q.messages.peek(int64(i))
	}
	return msgs
}

// loadMessages queues the saved messages again, once the queue's geometry
// and the messages are checked against each other: the store's index is
// rebuilt from them, its counters (curmsgs, QSIZE) with it.
//
// +checklocksignore: nothing else uses the queue while it is loaded.
func (q *Queue) loadMessages(_ stdctx.Context, msgs []Message) {
	q.checkLoadedAttr()
	if int64(len(msgs)) > q.attr.MaxMessages {
		loadcheck.FailLoad(q.imageName(), "curmsgs", "%d messages above maxmsg %d", len(msgs), q.attr.MaxMessages)
	}
	for i, m := range msgs {
		if m.Priority >= linux.MQ_PRIO_MAX {
			loadcheck.FailLoad(q.imageName(), fmt.Sprintf("messages[%d].priority", i), "%d is not below MQ_PRIO_MAX (%d)", m.Priority, linux.MQ_PRIO_MAX)
		}
		if int64(len(m.Data)) > q.attr.MaxMessageSize {
			loadcheck.FailLoad(q.imageName(), fmt.Sprintf("messages[%d].size", i), "%d bytes above msgsize %d", len(m.Data), q.attr.MaxMessageSize)
		}
	}
	for _, m := range msgs {
		q.messages.push(m)
	}
}

// checkLoadedAttr fails the load unless the queue's geometry is one
// mq_open can give: both positive and within the hard limits, which bound
// every namespace's limits and CAP_SYS_RESOURCE's exemption.
func (q *Queue) checkLoadedAttr() {
	if a := q.attr; a.MaxMessages <= 0 || a.MaxMessages > MsgMaxHard {
		loadcheck.FailLoad(q.imageName(), "maxmsg", "%d out of range [1, %d]", a.MaxMessages, MsgMaxHard)
	}
	if a := q.attr; a.MaxMessageSize <= 0 || a.MaxMessageSize > MsgSizeMaxHard {
		loadcheck.FailLoad(q.imageName(), "msgsize", "%d out of range [1, %d]", a.MaxMessageSize, MsgSizeMaxHard)
	}
}

// afterLoad checks the queue's other fields and charges a live queue to
// its registry again: the namespace's queue count and its users'
// RLIMIT_MSGQUEUE usage are rebuilt from the queues, as their sum.
//
// +checklocksignore: nothing else uses the queue while it is loaded.
func (q *Queue) afterLoad(stdctx.Context) {
	if q.registry == nil {
		loadcheck.FailLoad(q.imageName(), "registry", "missing")
	}
	if !q.chargedTo.Ok() {
		loadcheck.FailLoad(q.imageName(), "chargedTo", "no user")
	}
	if q.openFDs < 0 {
		loadcheck.FailLoad(q.imageName(), "openFDs", "%d is negative", q.openFDs)
	}
	if q.watchers < 0 {
		loadcheck.FailLoad(q.imageName(), "watchers", "%d is negative", q.watchers)
	}
	if reg := q.registration; reg != nil {
		q.checkLoadedRegistration(reg)
	}
	if q.linked || q.openFDs > 0 {
		q.registry.restoreCharge(q)
		stats.AddMessages(q.messages.count, int64(q.messages.bytes))
	}
	// Otherwise the queue was released, its charge returned, though the
	// image still holds it (an unlinked file can outlive its last
	// descriptor in the filesystem's caches): it counts no more.
}

// checkLoadedRegistration fails the load unless reg is a registration
// mq_notify accepts (see the syscall layer's decodeSigevent), with a
// process to notify.
func (q *Queue) checkLoadedRegistration(reg *Registration) {
	if reg.Target == nil {
		loadcheck.FailLoad(q.imageName(), "registration.Target", "missing")
	}
	switch reg.Method {
	case linux.SIGEV_NONE, linux.SIGEV_THREAD:
	case linux.SIGEV_SIGNAL:
		if reg.Signo < 0 || reg.Signo > linux.SignalMaximum {
			loadcheck.FailLoad(q.imageName(), "registration.Signo", "%d out of range [0, %d]", reg.Signo, linux.SignalMaximum)
		}
	default:
		loadcheck.FailLoad(q.imageName(), "registration.Method", "%d is not SIGEV_NONE, SIGEV_SIGNAL or SIGEV_THREAD", reg.Method)
	}
}

// imageName names the queue in errors about a checkpoint image.
//
// +checklocksignore: it runs while the queue is loaded.
func (q *Queue) imageName() string {
	name := fmt.Sprintf("POSIX message queue %q", "/"+q.name)
	if !q.linked {
		name += " (unlinked)"
	}
	return name
}

// Attr returns the queue's fixed geometry.
func (q *Queue) Attr() Attr { return q.attr }

// Stat returns the number of queued messages and their payload bytes.
func (q *Queue) Stat() (messages int64, bytes uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.messages.count, q.messages.bytes
}

// Send queues m, handing it straight to the longest-blocked receiver if
// there is one. When the queue is full it returns EAGAIN if w is nil, or
// queues w as a blocked sender and returns ErrWaiting; the caller then
// blocks on w.C() and calls FinishSend.
func (q *Queue) Send(ctx context.Context, m Message, w *Waiter) error {
	if int64(len(m.Data)) > q.attr.MaxMessageSize {
		return linuxerr.EMSGSIZE
	}
	q.mu.Lock()
	defer q.unlock(ctx)
	if q.messages.count >= q.attr.MaxMessages {
		if w == nil {
			return linuxerr.EAGAIN
		}
		w.reset(m)
		q.senders.PushBack(w)
		stats.BlockedSend.Add(1)
		return ErrWaiting
	}
	q.deliverLocked(ctx, m)
	return nil
}

// deliverLocked puts m where the next receiver will find it.
//
// +checklocks:q.mu
func (q *Queue) deliverLocked(ctx context.Context, m Message) {
	stats.Sent.Add(1)
	if !q.receivers.Empty() {
		// A blocked receiver implies an empty queue; Linux hands the message
		// over without queueing it and without notifying.
		r := q.receivers.popFront()
		stats.BlockedReceive.Add(-1)
		stats.Received.Add(1)
		r.msg = m
		r.complete()
		return
	}
	q.messages.push(m)
	stats.AddMessages(1, int64(len(m.Data)))
	if q.messages.count == 1 && q.registration != nil {
		q.fireLocked(ctx)
	}
	q.notifyWatchersLocked(waiter.ReadableEvents)
}

// notifyWatchersLocked wakes poll/epoll/select waiters interested in mask.
//
// +checklocks:q.mu
func (q *Queue) notifyWatchersLocked(mask waiter.EventMask) {
	if q.watchers > 0 {
		q.events.Notify(mask)
	}
}

// FinishSend resolves a blocked send after the wait ended for any reason. It
// reports whether the message was queued; if not, w is withdrawn.
func (q *Queue) FinishSend(w *Waiter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !w.done {
		q.senders.Remove(w)
		stats.BlockedSend.Add(-1)
	}
	return w.done
}

// Receive removes the next message in priority order. bufSize is the
// caller's buffer length (EMSGSIZE when smaller than the queue's message
// size). When the queue is empty it returns EAGAIN if w is nil, or queues w
// as a blocked receiver and returns ErrWaiting; the caller then blocks on
// w.C() and calls FinishReceive.
func (q *Queue) Receive(ctx context.Context, bufSize int64, w *Waiter) (Message, error) {
	if bufSize < q.attr.MaxMessageSize {
		return Message{}, linuxerr.EMSGSIZE
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.messages.count == 0 {
		if w == nil {
			return Message{}, linuxerr.EAGAIN
		}
		w.reset(Message{})
		q.receivers.PushBack(w)
		stats.BlockedReceive.Add(1)
		return Message{}, ErrWaiting
	}
	m := q.messages.pop()
	stats.Received.Add(1)
	stats.AddMessages(-1, -int64(len(m.Data)))
	if !q.senders.Empty() {
		// The freed slot goes to the longest-blocked sender.
		s := q.senders.popFront()
		stats.BlockedSend.Add(-1)
		stats.Sent.Add(1)
		q.messages.push(s.msg)
		stats.AddMessages(1, int64(len(s.msg.Data)))
		s.msg = Message{}
		s.complete()
	} else {
		q.notifyWatchersLocked(waiter.WritableEvents)
	}
	return m, nil
}

// FinishReceive resolves a blocked receive after the wait ended for any
// reason: it returns the message handed over, if one was.
func (q *Queue) FinishReceive(w *Waiter) (Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !w.done {
		q.receivers.Remove(w)
		stats.BlockedReceive.Add(-1)
		return Message{}, false
	}
	m := w.msg
	w.msg = Message{}
	return m, true
}

// Peek copies the message at index i in receive order out with copyOut
// without removing it (F_MQ_PEEK). It returns the priority and the bytes
// copied. copyOut runs without q.mu, as Linux copies a received message
// after unlocking: a queued message's data is never written to, so the
// copy is the message as it was at index i even if it is received
// meanwhile.
func (q *Queue) Peek(i int64, copyOut func(data []byte) (int, error)) (uint32, int, error) {
	q.mu.Lock()
	var m Message
	p := q.messages.peek(i)
	if p != nil {
		m = *p
	}
	q.mu.Unlock()
	if p == nil {
		return 0, 0, linuxerr.ENOMSG
	}
	n, err := copyOut(m.Data)
	return m.Priority, n, err
}

// Readiness implements waiter.Waitable.Readiness.
func (q *Queue) Readiness(mask waiter.EventMask) waiter.EventMask {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ready waiter.EventMask
	if q.messages.count > 0 {
		ready |= waiter.ReadableEvents
	}
	if q.messages.count < q.attr.MaxMessages {
		ready |= waiter.WritableEvents
	}
	return ready & mask
}

// EventRegister implements waiter.Waitable.EventRegister.
func (q *Queue) EventRegister(e *waiter.Entry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watchers++
	q.events.EventRegister(e)
	return nil
}

// EventUnregister implements waiter.Waitable.EventUnregister.
func (q *Queue) EventUnregister(e *waiter.Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watchers--
	q.events.EventUnregister(e)
}

// WriteStatus writes the line a read of the queue's file returns, as seen by
// the task of ctx.
func (q *Queue) WriteStatus(ctx context.Context, buf *bytes.Buffer) {
	q.mu.Lock()
	defer q.unlock(ctx)
	var method, signo, pid int32
	if reg := q.registrationLocked(ctx); reg != nil {
		method = reg.Method
		if reg.Method == linux.SIGEV_SIGNAL {
			signo = reg.Signo
		}
		pid = reg.Target.PIDIn(ctx)
	}
	fmt.Fprintf(buf, "QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", q.messages.bytes, method, signo, pid)
}

// Opened records a new open descriptor of q.
func (q *Queue) Opened() {
	q.mu.Lock()
	q.openFDs++
	q.mu.Unlock()
}

// Closed records the release of a descriptor of q.
func (q *Queue) Closed() {
	q.mu.Lock()
	q.openFDs--
	dead := q.openFDs == 0 && !q.linked
	if dead {
		q.dropMessagesLocked()
	}
	q.mu.Unlock()
	if dead {
		q.registry.release(q)
	}
}

// Unlinked records the removal of q's name.
func (q *Queue) Unlinked() {
	q.mu.Lock()
	q.linked = false
	dead := q.openFDs == 0
	if dead {
		q.dropMessagesLocked()
	}
	q.mu.Unlock()
	if dead {
		q.registry.release(q)
	}
}

// dropMessagesLocked takes the messages of a queue that died (no name, no
// descriptor) out of the sandbox's totals: nothing can receive them now,
// and the queue is freed with them, as Linux's mqueue_evict_inode frees
// them.
//
// +checklocks:q.mu
func (q *Queue) dropMessagesLocked() {
	stats.AddMessages(-q.messages.count, -int64(q.messages.bytes))
}
