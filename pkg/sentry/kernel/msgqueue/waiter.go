package msgqueue

import "gvisor.dev/gvisor/pkg/sentry/kernel/auth"

// Waiter is a task blocked in msgsnd or msgrcv. The syscall layer owns the
// blocking (it waits on C()); the queue completes the waiter under its lock
// — handing a receiver its message, queueing a sender's message, or failing
// either with EIDRM, EACCES or E2BIG — so an outcome is never lost even when
// the block is interrupted at the same moment: FinishSend and FinishReceive
// report it.
//
// Blocked tasks are interrupted before a checkpoint saves the kernel, so
// waiters are never saved.
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

	prev, next *Waiter
	queued     bool
}

// NewWaiter returns a Waiter; one may be reused for successive calls.
func NewWaiter() *Waiter {
	return &Waiter{ready: make(chan struct{}, 1)}
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
	head, tail *Waiter
}

func (l *waiterList) empty() bool { return l.head == nil }

func (l *waiterList) pushBack(w *Waiter) {
	w.prev, w.next, w.queued = l.tail, nil, true
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
}

func (l *waiterList) remove(w *Waiter) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}
