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
	"fmt"
	"math"
	"slices"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/fuzzinput"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// The fuzz targets of this file check the System V queue core against plain
// models written from Linux's ipc/msg.c and ipc/util.c (a slice in arrival
// order searched from the front, FIFO lists of blocked tasks):
//
//   - FuzzQueueAgainstModel drives one queue through random msgsnd, msgrcv
//     (typed, MSG_EXCEPT, negative msgtyp, MSG_COPY, MSG_NOERROR, short
//     buffers), blocked senders and receivers that are later completed or
//     interrupted, IPC_SET (mode, owner, qbytes with its int truncation) and
//     IPC_RMID, by three callers (root, the creator, a stranger): same
//     messages out (the very same *Message), same order, same errors, same
//     waiter outcomes, same qnum/cbytes/qbytes and MSG_INFO totals.
//   - FuzzRegistryGetAgainstModel checks msgget's key/flag decoding, msgmni,
//     ids and IPC_RMID against a map.
//   - FuzzConvertMode checks convertMode against Linux's convert_mode for
//     every msgtyp and flag word.

// fuzzCallers are the three callers of FuzzQueueAgainstModel: root (every
// capability), the queue's creator (uid/gid 1000, no capability) and a
// stranger (uid/gid 2000, no capability).
var fuzzCallers = []Caller{
	{Creds: auth.NewRootCredentials(userNS), PID: 1, TID: 1},
	{Creds: userCreds(1000, 1000), PID: 2, TID: 2},
	{Creds: userCreds(2000, 2000), PID: 3, TID: 3},
}

// Values the fuzzer picks msgtyp, buffer sizes and message types from; the
// extremes are there on purpose.
var (
	fuzzMsgtyps  = []int64{0, 1, 2, 3, 4, -1, -2, -3, -4, math.MinInt64, math.MaxInt64, -math.MaxInt64}
	fuzzMaxSizes = []uint64{0, 1, 3, 8, 16, 64, math.MaxUint64, 1 << 63}
	fuzzTypes    = []int64{1, 2, 3, 1, 2, math.MaxInt64}
	fuzzQbytes   = []uint64{0, 1, 5, 16, 40, 64, 1000, 20000, 1<<32 + 30, 1<<32 - 1, math.MaxUint64, 1 << 31}
	fuzzModes    = []uint32{0600, 0666, 0644, 0622, 0, 0060, 0006, 0777 | 01000}
	fuzzOwners   = []uint32{1000, 2000, 0, 1000}
)

// fzMsg is a queued message of the model.
type fzMsg struct{ m *Message }

// fzWaiter is a blocked task of the model and, once it completed, its
// expected outcome.
type fzWaiter struct {
	w      *Waiter
	caller Caller
	sender bool
	msg    *Message // a sender's message
	// Receivers: what they wait for.
	mode    searchMode
	mtype   int64
	maxSize uint64

	done bool
	got  *Message
	err  *errors.Error
}

// fzQueue is the model of one queue.
type fzQueue struct {
	msgs      []*Message
	bytes     uint64
	qbytes    uint64
	uid, gid  uint32
	cuid      uint32
	cgid      uint32
	mode      uint32
	dead      bool
	msgmnb    int32
	receivers []*fzWaiter
	senders   []*fzWaiter
}

func isRoot(c Caller) bool { return c.Creds.EffectiveKUID == 0 }

// permitted is ipcperms() for the three fuzz callers (root holds
// CAP_IPC_OWNER).
func (fq *fzQueue) permitted(c Caller, want uint32) bool {
	if isRoot(c) {
		return true
	}
	uid, gid := uint32(c.Creds.EffectiveKUID), uint32(c.Creds.EffectiveKGID)
	granted := fq.mode
	switch {
	case uid == fq.cuid || uid == fq.uid:
		granted >>= 6
	case gid == fq.cgid || gid == fq.gid:
		granted >>= 3
	}
	return want&^granted&07 == 0
}

func (fq *fzQueue) mayControl(c Caller) bool {
	uid := uint32(c.Creds.EffectiveKUID)
	return isRoot(c) || uid == fq.uid || uid == fq.cuid
}

func (fq *fzQueue) fits(size uint64) bool {
	return size+fq.bytes <= fq.qbytes && 1+uint64(len(fq.msgs)) <= fq.qbytes
}

// find is find_msg: the index of the message msgtyp selects, or -1.
func (fq *fzQueue) find(mode searchMode, t int64) int {
	if mode == searchNumber {
		if t < 0 || t >= int64(len(fq.msgs)) {
			return -1
		}
		return int(t)
	}
	found := -1
	for i, m := range fq.msgs {
		switch mode {
		case searchAny:
			return i
		case searchEqual:
			if m.Type == t {
				return i
			}
		case searchNotEqual:
			if m.Type != t {
				return i
			}
		case searchLessEqual:
			if m.Type <= t && (found < 0 || m.Type < fq.msgs[found].Type) {
				found = i
			}
		}
	}
	return found
}

func (fq *fzQueue) matches(m *Message, w *fzWaiter) bool {
	switch w.mode {
	case searchAny:
		return true
	case searchEqual:
		return m.Type == w.mtype
	case searchNotEqual:
		return m.Type != w.mtype
	case searchLessEqual:
		return m.Type <= w.mtype
	}
	return false
}

func (fq *fzQueue) complete(w *fzWaiter, m *Message, err *errors.Error) {
	w.done, w.got, w.err = true, m, err
}

// deliver is pipelined_send, else the message is queued.
func (fq *fzQueue) deliver(m *Message) {
	for i := 0; i < len(fq.receivers); i++ {
		w := fq.receivers[i]
		if !fq.matches(m, w) {
			continue
		}
		fq.receivers = append(fq.receivers[:i:i], fq.receivers[i+1:]...)
		i--
		if w.maxSize < m.Size() {
			fq.complete(w, nil, linuxerr.E2BIG)
			continue
		}
		fq.complete(w, m, nil)
		return
	}
	fq.msgs = append(fq.msgs, m)
	fq.bytes += m.Size()
}

func (fq *fzQueue) admitSenders() {
	for i := 0; i < len(fq.senders); i++ {
		w := fq.senders[i]
		if !fq.fits(w.msg.Size()) {
			continue
		}
		fq.senders = append(fq.senders[:i:i], fq.senders[i+1:]...)
		i--
		fq.deliver(w.msg)
		fq.complete(w, nil, nil)
	}
}

func (fq *fzQueue) destroy() {
	fq.dead = true
	for _, w := range append(fq.receivers, fq.senders...) {
		fq.complete(w, nil, linuxerr.EIDRM)
	}
	fq.receivers, fq.senders, fq.msgs, fq.bytes = nil, nil, nil, 0
}

func sameErr(got error, want *errors.Error) bool {
	if want == nil {
		return got == nil
	}
	return linuxerr.Equals(want, got)
}

func FuzzQueueAgainstModel(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 1, 2, 0, 0, 2, 0, 0})
	f.Add([]byte{6, 0, 2, 2, 1, 0, 0, 3, 4, 0, 0, 0, 5, 0, 4, 0, 0, 4, 1, 1, 3, 0, 3, 0, 0})
	f.Add([]byte{3, 0, 1, 0, 3, 0, 5, 2, 1, 2, 0, 1, 7, 0, 0, 5, 0, 5, 1})
	f.Add([]byte{6, 0, 0, 3, 0, 1, 0, 2, 0, 2, 6, 1, 1, 9, 9, 1, 2, 4, 1, 4, 3, 0, 8, 2, 2, 1, 2, 7, 1, 5, 5, 5})
	f.Add([]byte{4, 0, 1, 0, 0, 0, 2, 1, 0, 4, 0, 0, 1, 1, 4, 1, 2, 3, 2, 6, 4, 0, 2, 10, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRegistry(userNS)
		in := fuzzinput.New(data)
		var q *Queue
		var fq *fzQueue
		create := func() {
			var err error
			q, err = r.Get(ctx, fuzzCallers[1].Creds, sysvipc.IPCPrivate, 0660)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			fq = &fzQueue{qbytes: uint64(r.Limits().MsgMnb), uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0660, msgmnb: r.Limits().MsgMnb}
			// A small queue, so that senders block.
			if err := r.Set(ctx, fuzzCallers[0].Creds, q.ID(), SetRequest{UID: 1000, GID: 1000, Mode: 0660, QBytes: 40}); err != nil {
				t.Fatalf("Set: %v", err)
			}
			fq.qbytes = 40
		}
		create()
		var pending []*fzWaiter
		seq := 0
		for step := 0; in.More(); step++ {
			op := in.Byte() % 11
			c := fuzzCallers[int(in.Byte())%len(fuzzCallers)]
			what := fmt.Sprintf("step %d op %d caller %d", step, op, c.Creds.EffectiveKUID)
			switch op {
			case 0, 1: // msgsnd, IPC_NOWAIT (0) or blocking (1)
				seq++
				m := &Message{Type: fuzzinput.Pick(in, fuzzTypes), Text: []byte(fmt.Sprintf("%0*d", int(in.Byte())%24, seq))}
				var w *Waiter
				if op == 1 {
					w = NewWaiter()
				}
				err := q.Send(ctx, c, m, w)
				var want *errors.Error
				queued := false
				switch {
				case !fq.permitted(c, 2):
					want = linuxerr.EACCES
				case fq.dead:
					want = linuxerr.EIDRM
				case fq.fits(m.Size()):
					fq.deliver(m)
				case w == nil:
					want = linuxerr.EAGAIN
				default:
					queued = true
				}
				if queued {
					if err != ErrWaiting {
						t.Fatalf("%s: Send = %v, want ErrWaiting", what, err)
					}
					fw := &fzWaiter{w: w, caller: c, sender: true, msg: m}
					fq.senders = append(fq.senders, fw)
					pending = append(pending, fw)
				} else if !sameErr(err, want) {
					t.Fatalf("%s: Send(type %d, %d bytes) = %v, want %v", what, m.Type, m.Size(), err, want)
				}

			case 2, 3, 4: // msgrcv: IPC_NOWAIT (2), blocking (3), MSG_COPY (4)
				msgtyp := fuzzinput.Pick(in, fuzzMsgtyps)
				fl := in.Byte()
				var flags int32
				if fl&1 != 0 {
					flags |= linux.MSG_NOERROR
				}
				if fl&2 != 0 {
					flags |= linux.MSG_EXCEPT
				}
				maxSize := fuzzinput.Pick(in, fuzzMaxSizes)
				req := ReceiveRequest{Type: msgtyp, Flags: flags, MaxSize: maxSize}
				if op == 4 {
					// The syscall layer refuses MSG_COPY|MSG_EXCEPT and
					// MSG_COPY without IPC_NOWAIT before it gets here.
					req.Flags = req.Flags&^linux.MSG_EXCEPT | linux.MSG_COPY
					req.Type = int64(int8(fl)) >> 2
					req.CopyMax = min(maxSize, uint64(r.Limits().MsgMax))
				}
				var w *Waiter
				if op == 3 {
					w = NewWaiter()
				}
				got, err := q.Receive(ctx, c, req, w)
				mode, mt := convertMode(req.Type, req.Flags)
				var want *errors.Error
				var wantMsg *Message
				queued := false
				if !fq.permitted(c, 4) {
					want = linuxerr.EACCES
				} else if fq.dead {
					want = linuxerr.EIDRM
				} else if i := fq.find(mode, mt); i >= 0 {
					m := fq.msgs[i]
					switch {
					case m.Size() > req.MaxSize && req.Flags&linux.MSG_NOERROR == 0:
						want = linuxerr.E2BIG
					case mode == searchNumber && m.Size() > req.CopyMax:
						want = linuxerr.EINVAL
					case mode == searchNumber:
						wantMsg = m
					default:
						wantMsg = m
						fq.msgs = append(fq.msgs[:i:i], fq.msgs[i+1:]...)
						fq.bytes -= m.Size()
						fq.admitSenders()
					}
				} else if w == nil || mode == searchNumber {
					want = linuxerr.ENOMSG
				} else {
					queued = true
				}
				if queued {
					if err != ErrWaiting {
						t.Fatalf("%s: Receive(%+v) = %v, %v; want ErrWaiting", what, req, got, err)
					}
					fw := &fzWaiter{w: w, caller: c, mode: mode, mtype: mt, maxSize: req.MaxSize}
					if req.Flags&linux.MSG_NOERROR != 0 {
						fw.maxSize = math.MaxUint64
					}
					fq.receivers = append(fq.receivers, fw)
					pending = append(pending, fw)
				} else if !sameErr(err, want) || got != wantMsg {
					t.Fatalf("%s: Receive(%+v) = %v, %v; want %v, %v (queue %v)", what, req, got, err, wantMsg, want, fq.msgs)
				}

			case 5, 6: // a blocked task's wait ends (woken or interrupted)
				if len(pending) == 0 {
					continue
				}
				k := int(in.Byte()) % len(pending)
				fw := pending[k]
				pending = append(pending[:k:k], pending[k+1:]...)
				woken := false
				select {
				case <-fw.w.C():
					woken = true
				default:
				}
				if woken != fw.done {
					t.Fatalf("%s: waiter signalled %v, model done %v", what, woken, fw.done)
				}
				if fw.sender {
					done, err := q.FinishSend(fw.w)
					if done != fw.done || (done && !sameErr(err, fw.err)) {
						t.Fatalf("%s: FinishSend = %v, %v; want %v, %v", what, done, err, fw.done, fw.err)
					}
					if !fw.done {
						fq.senders = removeWaiter(fq.senders, fw)
					}
				} else {
					m, done, err := q.FinishReceive(fw.w)
					if done != fw.done || (done && (!sameErr(err, fw.err) || m != fw.got)) {
						t.Fatalf("%s: FinishReceive = %v, %v, %v; want %v, %v, %v", what, m, done, err, fw.got, fw.done, fw.err)
					}
					if !fw.done {
						fq.receivers = removeWaiter(fq.receivers, fw)
					}
				}

			case 7, 8: // IPC_SET
				req := SetRequest{UID: fuzzinput.Pick(in, fuzzOwners), Mode: fuzzinput.Pick(in, fuzzModes), QBytes: fuzzinput.Pick(in, fuzzQbytes)}
				req.GID = req.UID
				err := r.Set(ctx, c.Creds, q.ID(), req)
				var want *errors.Error
				qb := int32(req.QBytes)
				switch {
				case fq.dead:
					want = linuxerr.EINVAL
				case !fq.mayControl(c):
					want = linuxerr.EPERM
				case uint32(qb) > uint32(fq.msgmnb) && !isRoot(c):
					// Linux passes qbytes through an int and compares it
					// with the unsigned msg_ctlmnb: the low 32 bits count,
					// as an unsigned number (checked natively on 6.18:
					// 0x80000000 and 0xffffffff are EPERM); a privileged
					// caller's value is stored sign-extended.
					want = linuxerr.EPERM
				default:
					fq.uid, fq.gid, fq.mode = req.UID, req.GID, req.Mode&0777
					fq.qbytes = uint64(int64(qb))
					// Blocked tasks that lost their right fail with EACCES.
					keep := fq.receivers[:0:0]
					for _, w := range fq.receivers {
						if fq.permitted(w.caller, 4) {
							keep = append(keep, w)
						} else {
							fq.complete(w, nil, linuxerr.EACCES)
						}
					}
					fq.receivers = keep
					keep = fq.senders[:0:0]
					for _, w := range fq.senders {
						if fq.permitted(w.caller, 2) {
							keep = append(keep, w)
						} else {
							fq.complete(w, nil, linuxerr.EACCES)
						}
					}
					fq.senders = keep
					fq.admitSenders()
				}
				if !sameErr(err, want) {
					t.Fatalf("%s: Set(%+v) = %v, want %v", what, req, err, want)
				}

			case 9: // IPC_RMID, or a new queue once removed
				if fq.dead {
					if in.Byte()%2 == 0 {
						// The old queue's waiters all completed with EIDRM.
						create()
					}
					continue
				}
				if in.Byte()%4 != 0 {
					continue
				}
				err := r.Remove(c.Creds, q.ID())
				var want *errors.Error
				if !fq.mayControl(c) {
					want = linuxerr.EPERM
				} else {
					fq.destroy()
				}
				if !sameErr(err, want) {
					t.Fatalf("%s: Remove = %v, want %v", what, err, want)
				}

			case 10: // IPC_STAT / MSG_STAT_ANY
				st, err := q.Stat(c.Creds, true)
				switch {
				case !fq.permitted(c, 4):
					if !linuxerr.Equals(linuxerr.EACCES, err) {
						t.Fatalf("%s: Stat = %v, want EACCES", what, err)
					}
				case fq.dead:
					if !linuxerr.Equals(linuxerr.EIDRM, err) {
						t.Fatalf("%s: Stat = %v, want EIDRM", what, err)
					}
				default:
					if err != nil || st.QNum != uint64(len(fq.msgs)) || st.CBytes != fq.bytes || st.QBytes != fq.qbytes ||
						uint32(st.Perm.UID) != fq.uid || uint32(st.Perm.CUID) != fq.cuid || uint32(st.Perm.Mode) != fq.mode {
						t.Fatalf("%s: Stat = %+v, %v; model %d msgs %d bytes qbytes %d uid %d mode %#o", what, st, err, len(fq.msgs), fq.bytes, fq.qbytes, fq.uid, fq.mode)
					}
				}
			}
			// Invariants after every step: the namespace totals, and
			// no blocked receiver while a message it wants is queued.
			var wantN, wantB int32
			if !fq.dead {
				wantN, wantB = int32(len(fq.msgs)), int32(fq.bytes)
			}
			if info := r.Info(true); info.MsgMap != wantN || info.MsgTql != wantB {
				t.Fatalf("%s: MSG_INFO %d msgs %d bytes, model %d %d", what, info.MsgMap, info.MsgTql, wantN, wantB)
			}
			for _, w := range fq.receivers {
				if fq.find(w.mode, w.mtype) >= 0 {
					t.Fatalf("%s: model has a blocked receiver for a queued message", what)
				}
			}
		}
		// Drain: everything left comes out in the model's order.
		if fq.dead {
			return
		}
		for len(fq.msgs) > 0 {
			want := fq.msgs[0]
			got, err := q.Receive(ctx, fuzzCallers[0], ReceiveRequest{MaxSize: math.MaxUint64}, nil)
			if err != nil || got != want {
				t.Fatalf("drain: %v, %v; want %v", got, err, want)
			}
			fq.msgs = fq.msgs[1:]
			fq.bytes -= want.Size()
			fq.admitSenders()
		}
	})
}

func removeWaiter(l []*fzWaiter, w *fzWaiter) []*fzWaiter {
	for i, x := range l {
		if x == w {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	panic("waiter not in the model's list")
}

// FuzzRegistryGetAgainstModel checks msgget (key, IPC_CREAT, IPC_EXCL, the
// permission bits of the flag word, msgmni) and IPC_RMID on a namespace of
// up to four queues against a map from keys to owners.
func FuzzRegistryGetAgainstModel(f *testing.F) {
	f.Add([]byte{0, 1, 0x02, 0x01, 0, 1, 0x06, 0x01, 1, 1, 0, 0})
	f.Add([]byte{0, 0, 0x02, 0x00, 0, 0, 0x02, 0x00, 0, 0, 0x02, 0x00, 0, 0, 0x02, 0x00, 0, 0, 0x02, 0x00})
	f.Add([]byte{0, 2, 0x03, 0xff, 0, 2, 0x00, 0x24, 2, 2, 0, 0, 0, 2, 0x00, 0x24})
	f.Fuzz(func(t *testing.T, data []byte) {
		const msgmni = 4
		r := NewRegistry(userNS)
		if err := r.UpdateLimits(func(l *Limits) { l.MsgMni = msgmni }); err != nil {
			t.Fatal(err)
		}
		type entry struct {
			q    *Queue
			cuid uint32
			mode uint32
		}
		byKey := map[sysvipc.Key]*entry{}
		live := map[sysvipc.ID]*entry{}
		var removed []sysvipc.ID
		keys := []sysvipc.Key{sysvipc.IPCPrivate, 1, 2, -1, 0x7fffffff, 3}
		in := fuzzinput.New(data)
		for step := 0; in.More(); step++ {
			op := in.Byte() % 3
			c := fuzzCallers[int(in.Byte())%len(fuzzCallers)]
			uid := uint32(c.Creds.EffectiveKUID)
			switch op {
			case 0: // msgget
				key := fuzzinput.Pick(in, keys)
				flag := int32(in.Byte())<<8 | int32(in.Byte())
				flag = flag&0777 | (flag>>9&3)<<9 // IPC_CREAT 01000, IPC_EXCL 02000
				q, err := r.Get(ctx, c.Creds, key, flag)
				var want *errors.Error
				var wantQ *Queue
				create := false
				if e, ok := byKey[key]; ok && key != sysvipc.IPCPrivate {
					perm := (&fzQueue{cuid: e.cuid, uid: e.cuid, cgid: e.cuid, gid: e.cuid, mode: e.mode}).permitted(c, uint32(flag>>6|flag>>3|flag)&7)
					switch {
					case flag&linux.IPC_CREAT != 0 && flag&linux.IPC_EXCL != 0:
						want = linuxerr.EEXIST
					case !perm:
						want = linuxerr.EACCES
					default:
						wantQ = e.q
					}
				} else if key != sysvipc.IPCPrivate && flag&linux.IPC_CREAT == 0 {
					want = linuxerr.ENOENT
				} else if len(live) >= msgmni {
					want = linuxerr.ENOSPC
				} else {
					create = true
				}
				if create {
					if err != nil {
						t.Fatalf("step %d: Get(%d, %#o) by %d = %v, want a new queue", step, key, flag, uid, err)
					}
					if _, dup := live[q.ID()]; dup {
						t.Fatalf("step %d: new queue got the live id %d", step, q.ID())
					}
					for _, id := range removed {
						if id == q.ID() {
							t.Fatalf("step %d: new queue reuses the removed id %d at once", step, id)
						}
					}
					e := &entry{q: q, cuid: uid, mode: uint32(flag & 0777)}
					live[q.ID()] = e
					if key != sysvipc.IPCPrivate {
						byKey[key] = e
					}
					st, _ := q.Stat(nil, false)
					if uint32(st.Perm.CUID) != uid || uint32(st.Perm.UID) != uid || uint32(st.Perm.Mode) != uint32(flag&0777) || st.Perm.Key != key {
						t.Fatalf("step %d: new queue's perm %+v", step, st.Perm)
					}
				} else if !sameErr(err, want) || (want == nil && q != wantQ) {
					t.Fatalf("step %d: Get(%d, %#o) by %d = %v, %v; want %v", step, key, flag, uid, q, err, want)
				}
			case 1: // IPC_RMID of a live, removed or made-up id
				var id sysvipc.ID
				var e *entry
				n := int(in.Byte())
				switch {
				case n%4 == 0 && len(removed) > 0:
					id = removed[n/4%len(removed)]
				case n%4 == 1:
					id = sysvipc.ID(int32(n) * 977)
				case len(live) > 0:
					ids := make([]sysvipc.ID, 0, len(live))
					for k := range live {
						ids = append(ids, k)
					}
					slices.Sort(ids)
					id = ids[n%len(ids)]
				}
				if e == nil {
					e = live[id]
				}
				err := r.Remove(c.Creds, id)
				var want *errors.Error
				switch {
				case e == nil:
					want = linuxerr.EINVAL
				case !isRoot(c) && uid != e.cuid:
					want = linuxerr.EPERM
				default:
					delete(live, id)
					for k, v := range byKey {
						if v == e {
							delete(byKey, k)
						}
					}
					removed = append(removed, id)
				}
				if !sameErr(err, want) {
					t.Fatalf("step %d: Remove(%d) by %d = %v, want %v", step, id, uid, err, want)
				}
			case 2: // lookups
				for id, e := range live {
					if q, err := r.FindByID(id); err != nil || q != e.q {
						t.Fatalf("step %d: FindByID(%d) = %v, %v", step, id, q, err)
					}
				}
				for _, id := range removed {
					if _, ok := live[id]; ok {
						continue
					}
					if _, err := r.FindByID(id); !linuxerr.Equals(linuxerr.EINVAL, err) {
						t.Fatalf("step %d: removed id %d found: %v", step, id, err)
					}
				}
				if info := r.Info(true); int(info.MsgPool) != len(live) {
					t.Fatalf("step %d: MSG_INFO msgpool %d, model %d", step, info.MsgPool, len(live))
				}
				if got := len(r.Queues()); got != len(live) {
					t.Fatalf("step %d: %d queues listed, model %d", step, got, len(live))
				}
			}
		}
	})
}

// FuzzConvertMode checks convertMode against Linux's convert_mode.
func FuzzConvertMode(f *testing.F) {
	for _, t := range fuzzMsgtyps {
		f.Add(t, int32(0))
		f.Add(t, int32(linux.MSG_EXCEPT))
		f.Add(t, int32(linux.MSG_COPY|linux.MSG_EXCEPT))
	}
	f.Fuzz(func(t *testing.T, msgtyp int64, flags int32) {
		mode, typ := convertMode(msgtyp, flags)
		var wantMode searchMode
		wantTyp := msgtyp
		switch {
		case flags&linux.MSG_COPY != 0:
			wantMode = searchNumber
		case msgtyp == 0:
			wantMode = searchAny
		case msgtyp < 0:
			wantMode = searchLessEqual
			if msgtyp == math.MinInt64 {
				wantTyp = math.MaxInt64
			} else {
				wantTyp = -msgtyp
			}
		case flags&linux.MSG_EXCEPT != 0:
			wantMode = searchNotEqual
		default:
			wantMode = searchEqual
		}
		if mode != wantMode || typ != wantTyp {
			t.Fatalf("convertMode(%d, %#o) = %d, %d; want %d, %d", msgtyp, flags, mode, typ, wantMode, wantTyp)
		}
		if mode == searchLessEqual && typ < 0 {
			t.Fatalf("negative bound %d for msgtyp %d", typ, msgtyp)
		}
	})
}
