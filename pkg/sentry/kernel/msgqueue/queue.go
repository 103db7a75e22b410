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
	stdctx "context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sync"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// ErrWaiting means the caller's Waiter was queued: the caller blocks on
// Waiter.C(), then calls FinishSend or FinishReceive.
var ErrWaiting = errors.New("msgqueue: waiter queued")

// Caller identifies the task doing an operation.
type Caller struct {
	Creds *auth.Credentials
	// PID and TID are the caller's thread group and thread ids in the
	// root PID namespace; they become lspid and lrpid (a receiver served
	// while blocked is recorded by thread id, as Linux does).
	PID, TID int32
}

// Queue is one System V message queue (struct msg_queue).
//
// +stateify savable
type Queue struct {
	registry *Registry

	// mu protects everything below and perm's owner and mode (its key and
	// id are fixed once the queue is published). It is taken after the
	// Registry's mu (see the package comment).
	mu   sync.Mutex `state:"nosave"`
	perm sysvipc.Perm
	// dead is set when the queue is removed; operations that found it
	// before then fail with EIDRM.
	// +checklocks:mu
	dead bool
	// +checklocks:mu
	messages messageStore `state:".([]Message)"`
	// qbytes bounds both the payload bytes and the number of messages.
	// +checklocks:mu
	qbytes uint64
	// stime, rtime and ctime are in seconds since the epoch.
	// +checklocks:mu
	stime int64
	// +checklocks:mu
	rtime int64
	// +checklocks:mu
	ctime int64
	// lspid and lrpid are root-namespace pids, 0 for none.
	// +checklocks:mu
	lspid int32
	// +checklocks:mu
	lrpid int32

	// senders and receivers are the tasks blocked in msgsnd and msgrcv. A
	// checkpoint interrupts every blocked call, which then withdraws its
	// waiter (FinishSend, FinishReceive) before its task stops and the
	// kernel is saved: both are empty at save, which fails otherwise.
	// +checklocks:mu
	senders waiterList `state:"zerovalue"`
	// +checklocks:mu
	receivers waiterList `state:"zerovalue"`
}

// IPCPerm implements sysvipc.Object.IPCPerm.
func (q *Queue) IPCPerm() *sysvipc.Perm { return &q.perm }

// Lock implements sysvipc.Object.Lock.
//
// +checklocksacquire:q.mu
func (q *Queue) Lock() { q.mu.Lock() }

// Unlock implements sysvipc.Object.Unlock.
//
// +checklocksrelease:q.mu
func (q *Queue) Unlock() { q.mu.Unlock() }

// ID returns the queue's id.
func (q *Queue) ID() sysvipc.ID { return q.perm.ID }

func (q *Queue) userNS() *auth.UserNamespace { return q.registry.ids.UserNamespace() }

// saveMessages returns the queued messages in receive order.
//
// +checklocksignore: the kernel is stopped while it is saved.
func (q *Queue) saveMessages() []Message {
	var out []Message
	for _, m := range q.messages.all() {
		out = append(out, Message{Type: m.Type, Text: m.Text})
	}
	return out
}

// loadMessages queues the saved messages again, once they are checked: the
// store's indexes are rebuilt from them.
//
// +checklocksignore: nothing else uses the queue while it is loaded.
func (q *Queue) loadMessages(_ stdctx.Context, msgs []Message) {
	for i := range msgs {
		// mtype and the size are what msgsnd accepts: mtype >= 1 and
		// at most msgmax bytes, whose largest value is INT_MAX. msgmax
		// and qbytes may have been lowered since the message was sent,
		// so neither bounds the queue's messages now.
		if msgs[i].Type < 1 {
			loadcheck.FailLoad(q.imageName(), fmt.Sprintf("messages[%d].mtype", i), "%d is not positive", msgs[i].Type)
		}
		if len(msgs[i].Text) > math.MaxInt32 {
			loadcheck.FailLoad(q.imageName(), fmt.Sprintf("messages[%d].size", i), "%d is above INT_MAX", len(msgs[i].Text))
		}
	}
	if q.dead && len(msgs) > 0 {
		loadcheck.FailLoad(q.imageName(), "messages", "a removed queue holds %d messages", len(msgs))
	}
	q.messages.init()
	for i := range msgs {
		m := msgs[i]
		q.messages.push(&m)
	}
}

// afterLoad checks the queue's other fields and adds its messages to the
// registry's totals. Its messages are loaded by then (loadMessages).
//
// +checklocksignore: nothing else uses the queue while it is loaded.
func (q *Queue) afterLoad(stdctx.Context) {
	if q.registry == nil {
		loadcheck.FailLoad(q.imageName(), "registry", "missing")
	}
	if q.lspid < 0 || q.lrpid < 0 {
		loadcheck.FailLoad(q.imageName(), "lspid/lrpid", "negative pid (%d, %d)", q.lspid, q.lrpid)
	}
	if !q.dead {
		q.registry.messages.Add(int64(q.messages.count))
		q.registry.bytes.Add(int64(q.messages.bytes))
		stats.Queues.Add(1)
		stats.AddMessages(int64(q.messages.count), int64(q.messages.bytes))
	}
}

// imageName names the queue in errors about a checkpoint image.
func (q *Queue) imageName() string {
	return fmt.Sprintf("System V message queue id %d", q.perm.ID)
}

// fitsLocked reports whether a message of size bytes may be queued
// (msg_fits_inqueue): qbytes bounds the payload and the message count.
//
// +checklocks:q.mu
func (q *Queue) fitsLocked(size uint64) bool {
	return size+q.messages.bytes <= q.qbytes && 1+uint64(q.messages.count) <= q.qbytes
}

// Send implements the queue half of msgsnd(2): EACCES without write
// permission, EIDRM once removed, then m is queued or handed to a blocked
// receiver. A full queue gives EAGAIN if w is nil; otherwise w is queued
// and Send returns ErrWaiting.
func (q *Queue) Send(ctx context.Context, c Caller, m *Message, w *Waiter) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.perm.Permitted(c.Creds, q.userNS(), sysvipc.WriteAccess) {
		return linuxerr.EACCES
	}
	if q.dead {
		return linuxerr.EIDRM
	}
	if q.fitsLocked(m.Size()) {
		q.deliverLocked(ctx, m, c.PID)
		return nil
	}
	if w == nil {
		return linuxerr.EAGAIN
	}
	w.reset(c.Creds, c.PID)
	w.msg = m
	q.senders.pushBack(w)
	stats.BlockedSend.Add(1)
	return ErrWaiting
}

// FinishSend ends a blocked send: it reports whether the send completed and
// its result. If it did not, w is dequeued and its message dropped.
func (q *Queue) FinishSend(w *Waiter) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.done {
		return true, w.err
	}
	if w.queued {
		q.senders.remove(w)
		stats.BlockedSend.Add(-1)
	}
	w.msg = nil
	return false, nil
}

// deliverLocked records a send by pid and gives m to the first blocked
// receiver it matches (pipelined_send), or queues it. A matching receiver
// whose buffer is too small fails with E2BIG and the next one is tried.
//
// +checklocks:q.mu
func (q *Queue) deliverLocked(ctx context.Context, m *Message, pid int32) {
	t := q.registry.now(ctx)
	q.lspid, q.stime = pid, t
	stats.Sent.Add(1)
	for w := q.receivers.front(); w != nil; {
		next := w.nextWaiter()
		if matches(m, w.mode, w.mtype) {
			q.receivers.remove(w)
			stats.BlockedReceive.Add(-1)
			if w.maxSize < m.Size() {
				w.complete(nil, linuxerr.E2BIG)
			} else {
				q.lrpid, q.rtime = w.pid, t
				stats.Received.Add(1)
				w.complete(m, nil)
				return
			}
		}
		w = next
	}
	q.messages.push(m)
	q.registry.messages.Add(1)
	q.registry.bytes.Add(int64(m.Size()))
	stats.AddMessages(1, int64(m.Size()))
}

// admitSendersLocked queues, in order, the messages of blocked senders that
// now fit (Linux wakes them to retry, ss_wakeup).
//
// +checklocks:q.mu
func (q *Queue) admitSendersLocked(ctx context.Context) {
	for w := q.senders.front(); w != nil; {
		next := w.nextWaiter()
		if q.fitsLocked(w.msg.Size()) {
			q.senders.remove(w)
			stats.BlockedSend.Add(-1)
			q.deliverLocked(ctx, w.msg, w.pid)
			w.complete(nil, nil)
		}
		w = next
	}
}

// searchMode is how msgtyp selects a message (Linux's convert_mode).
type searchMode int

const (
	searchAny       searchMode = iota // msgtyp 0: the first message
	searchEqual                       // the first of type msgtyp
	searchNotEqual                    // MSG_EXCEPT: the first of another type
	searchLessEqual                   // msgtyp < 0: the first of the lowest type <= |msgtyp|
	searchNumber                      // MSG_COPY: the msgtyp-th message
)

func convertMode(msgtyp int64, flags int32) (searchMode, int64) {
	switch {
	case flags&linux.MSG_COPY != 0:
		return searchNumber, msgtyp
	case msgtyp == 0:
		return searchAny, 0
	case msgtyp < 0:
		if msgtyp == math.MinInt64 {
			return searchLessEqual, math.MaxInt64
		}
		return searchLessEqual, -msgtyp
	case flags&linux.MSG_EXCEPT != 0:
		return searchNotEqual, msgtyp
	default:
		return searchEqual, msgtyp
	}
}

// matches reports whether a blocked receiver waiting in mode for t takes m.
func matches(m *Message, mode searchMode, t int64) bool {
	switch mode {
	case searchAny:
		return true
	case searchEqual:
		return m.Type == t
	case searchNotEqual:
		return m.Type != t
	case searchLessEqual:
		return m.Type <= t
	default:
		return false
	}
}

func (s *messageStore) find(mode searchMode, t int64) *Message {
	switch mode {
	case searchAny:
		return s.first()
	case searchEqual:
		return s.firstOfType(t)
	case searchNotEqual:
		return s.firstExcept(t)
	case searchLessEqual:
		return s.lowestUpTo(t)
	default:
		return s.nth(t)
	}
}

// ReceiveRequest describes one msgrcv.
type ReceiveRequest struct {
	// Type is msgtyp.
	Type int64
	// Flags holds msgflg; Receive looks at MSG_NOERROR, MSG_EXCEPT and
	// MSG_COPY (IPC_NOWAIT is a nil Waiter).
	Flags int32
	// MaxSize is msgsz, the caller's buffer size.
	MaxSize uint64
	// CopyMax, for MSG_COPY, is min(msgsz, msgmax): what Linux's copy
	// buffer holds.
	CopyMax uint64
}

// Receive implements the queue half of msgrcv(2): EACCES without read
// permission, EIDRM once removed, then the first message the request
// selects. A message longer than MaxSize gives E2BIG and stays unless
// MSG_NOERROR is set (the caller truncates). MSG_COPY leaves the message
// where it is and gives EINVAL if it exceeds CopyMax. With no match, a nil
// w gives ENOMSG; otherwise w is queued and Receive returns ErrWaiting.
//
// The returned message is not modified afterwards; the caller copies it
// out without the lock.
func (q *Queue) Receive(ctx context.Context, c Caller, req ReceiveRequest, w *Waiter) (*Message, error) {
	mode, t := convertMode(req.Type, req.Flags)
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.perm.Permitted(c.Creds, q.userNS(), sysvipc.ReadAccess) {
		return nil, linuxerr.EACCES
	}
	if q.dead {
		return nil, linuxerr.EIDRM
	}
	if m := q.messages.find(mode, t); m != nil {
		if m.Size() > req.MaxSize && req.Flags&linux.MSG_NOERROR == 0 {
			return nil, linuxerr.E2BIG
		}
		if mode == searchNumber {
			if m.Size() > req.CopyMax {
				return nil, linuxerr.EINVAL
			}
			return m, nil
		}
		q.removeLocked(m)
		stats.Received.Add(1)
		q.lrpid, q.rtime = c.PID, q.registry.now(ctx)
		q.admitSendersLocked(ctx)
		return m, nil
	}
	if w == nil || mode == searchNumber {
		return nil, linuxerr.ENOMSG
	}
	w.reset(c.Creds, c.TID)
	w.mode, w.mtype, w.maxSize = mode, t, req.MaxSize
	if req.Flags&linux.MSG_NOERROR != 0 {
		w.maxSize = math.MaxUint64
	}
	q.receivers.pushBack(w)
	stats.BlockedReceive.Add(1)
	return nil, ErrWaiting
}

// FinishReceive ends a blocked receive: it returns the message handed to w
// or the error it failed with, and whether it completed at all. If it did
// not, w is dequeued.
func (q *Queue) FinishReceive(w *Waiter) (*Message, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.done {
		m := w.msg
		w.msg = nil
		return m, true, w.err
	}
	if w.queued {
		q.receivers.remove(w)
		stats.BlockedReceive.Add(-1)
	}
	return nil, false, nil
}

// removeLocked takes m out of the queue and the registry's totals.
//
// +checklocks:q.mu
func (q *Queue) removeLocked(m *Message) {
	q.messages.remove(m)
	q.registry.messages.Add(-1)
	q.registry.bytes.Add(-int64(m.Size()))
	stats.AddMessages(-1, -int64(m.Size()))
}

// recheckWaitersLocked runs after IPC_SET: blocked tasks that lost their
// permission fail with EACCES (Linux wakes them to check again), and
// senders that fit a larger qbytes get in.
//
// +checklocks:q.mu
func (q *Queue) recheckWaitersLocked(ctx context.Context) {
	userNS := q.userNS()
	for w := q.receivers.front(); w != nil; {
		next := w.nextWaiter()
		if !q.perm.Permitted(w.creds, userNS, sysvipc.ReadAccess) {
			q.receivers.remove(w)
			stats.BlockedReceive.Add(-1)
			w.complete(nil, linuxerr.EACCES)
		}
		w = next
	}
	for w := q.senders.front(); w != nil; {
		next := w.nextWaiter()
		if !q.perm.Permitted(w.creds, userNS, sysvipc.WriteAccess) {
			q.senders.remove(w)
			stats.BlockedSend.Add(-1)
			w.complete(nil, linuxerr.EACCES)
		}
		w = next
	}
	q.admitSendersLocked(ctx)
}

// destroyLocked marks a removed queue dead, fails its waiters with EIDRM
// and drops its messages.
//
// +checklocks:q.mu
func (q *Queue) destroyLocked() {
	q.dead = true
	for _, l := range []struct {
		list    *waiterList
		blocked *atomic.Int64
	}{{&q.receivers, &stats.BlockedReceive}, {&q.senders, &stats.BlockedSend}} {
		for !l.list.empty() {
			w := l.list.front()
			l.list.remove(w)
			l.blocked.Add(-1)
			w.complete(nil, linuxerr.EIDRM)
		}
	}
	q.registry.messages.Add(-int64(q.messages.count))
	q.registry.bytes.Add(-int64(q.messages.bytes))
	stats.Queues.Add(-1)
	stats.AddMessages(-int64(q.messages.count), -int64(q.messages.bytes))
	q.messages.init()
}

// Stat is a queue's msqid_ds, with pids in the root PID namespace.
type Stat struct {
	Perm                sysvipc.Perm
	STime, RTime, CTime int64
	CBytes, QNum        uint64
	QBytes              uint64
	LSPID, LRPID        int32
}

// Stat implements msgctl(IPC_STAT, MSG_STAT, MSG_STAT_ANY): EACCES if
// checkRead and creds may not read the queue, EIDRM once removed.
func (q *Queue) Stat(creds *auth.Credentials, checkRead bool) (Stat, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if checkRead && !q.perm.Permitted(creds, q.userNS(), sysvipc.ReadAccess) {
		return Stat{}, linuxerr.EACCES
	}
	if q.dead {
		return Stat{}, linuxerr.EIDRM
	}
	return q.statLocked(), nil
}

// statLocked returns q's msqid_ds.
//
// +checklocks:q.mu
func (q *Queue) statLocked() Stat {
	return Stat{
		Perm:   q.perm,
		STime:  q.stime,
		RTime:  q.rtime,
		CTime:  q.ctime,
		CBytes: q.messages.bytes,
		QNum:   uint64(q.messages.count),
		QBytes: q.qbytes,
		LSPID:  q.lspid,
		LRPID:  q.lrpid,
	}
}
