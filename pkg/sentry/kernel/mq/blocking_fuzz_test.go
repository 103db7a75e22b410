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
	"fmt"
	"math"
	"sort"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/limits"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/mqsentry/mqsentry/pkg/fuzzinput"
)

// The fuzz targets of this file extend FuzzQueueAgainstModel (fuzz_test.go)
// to what it leaves out:
//
//   - FuzzBlockingAgainstModel: blocked senders and receivers (hand-over to
//     the longest-blocked receiver, the freed slot to the longest-blocked
//     sender, waits that end woken or interrupted), mq_notify registrations
//     of two processes (fire once on a message into an empty queue with no
//     receiver blocked, EBUSY, unregister, close, exit), peek at hostile
//     indexes and poll readiness, all against a sorted slice and FIFO lists.
//   - FuzzNewQueueAgainstModel: mq_open's mq_attr decoding (mq_attr_ok),
//     queues_max, RLIMIT_MSGQUEUE charging and release, and
//     /proc/sys/fs/mqueue bounds (UpdateLimits), with hostile values.

// countingTarget is a process that may register for notification.
type countingTarget struct {
	fired, removed int
	exited         bool
}

type fuzzCaller struct{}

func (c *countingTarget) IsCaller(ctx context.Context) bool     { return ctx.Value(fuzzCaller{}) == c }
func (c *countingTarget) PIDIn(context.Context) int32           { return 42 }
func (c *countingTarget) Notify(context.Context, *Registration) { c.fired++ }
func (c *countingTarget) Exited() bool                          { return c.exited }
func (c *countingTarget) Removed(context.Context)               { c.removed++ }
func (c *countingTarget) Release(context.Context)               {}

type fzEntry struct {
	m   Message
	seq int
}

type fzWaiter struct {
	w      *Waiter
	sender bool
	m      Message
	done   bool
	got    Message
}

type fzNotify struct {
	target *countingTarget
	method int32
}

func FuzzBlockingAgainstModel(f *testing.F) {
	f.Add([]byte{3, 0, 0, 1, 0, 4, 0, 2, 0})
	f.Add([]byte{0, 1, 0, 2, 0, 3, 1, 4, 1, 5, 4, 0, 2, 0, 4, 0})
	f.Add([]byte{6, 0, 0, 0, 1, 1, 2, 0, 6, 1, 0, 0, 1, 2, 6, 2, 1, 0, 7, 0, 6, 4, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0, 0, 2, 1, 0, 3, 1, 0, 4, 5, 3, 5, 6, 2, 0, 0, 4, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxMsgs, msgSize = 3, 8
		in := fuzzinput.New(data)
		_, q := newTestQueue(t, maxMsgs, msgSize)
		targets := []*countingTarget{{}, {}}
		ctxs := []context.Context{
			context.WithValue(testContext(), fuzzCaller{}, targets[0]),
			context.WithValue(testContext(), fuzzCaller{}, targets[1]),
		}
		var model []fzEntry
		var receivers, senders, pending []*fzWaiter
		var reg *fzNotify
		var wantFired, wantRemoved [2]int
		seq := 0
		sortModel := func() {
			sort.SliceStable(model, func(i, j int) bool {
				if model[i].m.Priority != model[j].m.Priority {
					return model[i].m.Priority > model[j].m.Priority
				}
				return model[i].seq < model[j].seq
			})
		}
		// liveReg is registrationLocked: an exited registrant is dropped
		// (and told) when the queue next looks.
		liveReg := func() *fzNotify {
			if reg != nil && reg.target.exited {
				for i := range targets {
					if targets[i] == reg.target {
						wantRemoved[i]++
					}
				}
				reg = nil
			}
			return reg
		}
		push := func(m Message) {
			model = append(model, fzEntry{m, seq})
			seq++
			sortModel()
		}
		deliver := func(m Message) {
			if len(receivers) > 0 {
				r := receivers[0]
				receivers = receivers[1:]
				r.done, r.got = true, m
				return
			}
			push(m)
			if len(model) == 1 && reg != nil {
				if n := liveReg(); n != nil {
					reg = nil
					if n.method != linux.SIGEV_NONE {
						for i := range targets {
							if targets[i] == n.target {
								wantFired[i]++
							}
						}
					}
				}
			}
		}
		for step := 0; in.More(); step++ {
			op := in.Byte() % 9
			who := int(in.Byte()) % 2
			ctx := ctxs[who]
			what := fmt.Sprintf("step %d op %d", step, op)
			switch op {
			case 0, 1: // send: O_NONBLOCK (0) or blocking (1)
				prio := fuzzinput.Pick(in, []uint32{0, 1, 5, 31, 32767, 1})
				n := int(in.Byte()) % 11
				m := Message{Priority: prio, Data: []byte(fmt.Sprintf("%0*d", n, seq))[:n]}
				var w *Waiter
				if op == 1 {
					w = NewWaiter()
				}
				err := q.Send(ctx, m, w)
				switch {
				case n > msgSize:
					if !linuxerr.Equals(linuxerr.EMSGSIZE, err) {
						t.Fatalf("%s: oversized send: %v", what, err)
					}
				case len(model) >= maxMsgs && w == nil:
					if !linuxerr.Equals(linuxerr.EAGAIN, err) {
						t.Fatalf("%s: send on a full queue: %v", what, err)
					}
				case len(model) >= maxMsgs:
					if err != ErrWaiting {
						t.Fatalf("%s: blocking send on a full queue: %v", what, err)
					}
					fw := &fzWaiter{w: w, sender: true, m: m}
					senders = append(senders, fw)
					pending = append(pending, fw)
				default:
					if err != nil {
						t.Fatalf("%s: send: %v", what, err)
					}
					deliver(m)
				}

			case 2, 3: // receive: O_NONBLOCK (2) or blocking (3)
				bufSize := fuzzinput.Pick(in, []int64{msgSize, 1 << 62, msgSize - 1, 0, -1, math.MaxInt64})
				var w *Waiter
				if op == 3 {
					w = NewWaiter()
				}
				got, err := q.Receive(ctx, bufSize, w)
				switch {
				case bufSize < msgSize:
					if !linuxerr.Equals(linuxerr.EMSGSIZE, err) {
						t.Fatalf("%s: receive with a %d-byte buffer: %v", what, bufSize, err)
					}
				case len(model) == 0 && w == nil:
					if !linuxerr.Equals(linuxerr.EAGAIN, err) {
						t.Fatalf("%s: receive on an empty queue: %v", what, err)
					}
				case len(model) == 0:
					if err != ErrWaiting {
						t.Fatalf("%s: blocking receive on an empty queue: %v", what, err)
					}
					fw := &fzWaiter{w: w}
					receivers = append(receivers, fw)
					pending = append(pending, fw)
				default:
					want := model[0].m
					model = model[1:]
					if err != nil || got.Priority != want.Priority || !bytes.Equal(got.Data, want.Data) {
						t.Fatalf("%s: receive = %+v, %v; want %+v", what, got, err, want)
					}
					if len(senders) > 0 {
						s := senders[0]
						senders = senders[1:]
						s.done = true
						// Moved into the queue without a notification,
						// as Linux's pipelined_receive.
						push(s.m)
					}
				}

			case 4: // a blocked task's wait ends, woken or interrupted
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
					if done := q.FinishSend(fw.w); done != fw.done {
						t.Fatalf("%s: FinishSend = %v, want %v", what, done, fw.done)
					}
					if !fw.done {
						senders = dropWaiter(senders, fw)
					}
				} else {
					got, done := q.FinishReceive(fw.w)
					if done != fw.done || done && (got.Priority != fw.got.Priority || !bytes.Equal(got.Data, fw.got.Data)) {
						t.Fatalf("%s: FinishReceive = %+v, %v; want %+v, %v", what, got, done, fw.got, fw.done)
					}
					if !fw.done {
						receivers = dropWaiter(receivers, fw)
					}
				}

			case 5: // F_MQ_PEEK at a hostile index
				idx := fuzzinput.Pick(in, []int64{0, 1, 2, 3, -1, math.MaxInt64, math.MinInt64, 1 << 32})
				var peeked []byte
				prio, n, err := q.Peek(idx, func(d []byte) (int, error) {
					peeked = append([]byte(nil), d...)
					return len(d), nil
				})
				if idx < 0 || idx >= int64(len(model)) {
					if !linuxerr.Equals(linuxerr.ENOMSG, err) {
						t.Fatalf("%s: peek(%d) with %d queued: %v", what, idx, len(model), err)
					}
					continue
				}
				want := model[idx].m
				if err != nil || prio != want.Priority || n != len(want.Data) || !bytes.Equal(peeked, want.Data) {
					t.Fatalf("%s: peek(%d) = %d %q %v; want %+v", what, idx, prio, peeked, err, want)
				}

			case 6: // mq_notify: register (SIGEV_SIGNAL or SIGEV_NONE) or unregister
				var nreg *Registration
				method := fuzzinput.Pick(in, []int32{linux.SIGEV_SIGNAL, linux.SIGEV_NONE, -1})
				if method >= 0 {
					nreg = &Registration{Target: targets[who], Method: method, Signo: 10}
				}
				err := q.Notify(ctx, nreg)
				cur := liveReg()
				var want *errors.Error
				switch {
				case nreg == nil:
					if cur != nil && cur.target == targets[who] {
						wantRemoved[who]++
						reg = nil
					}
				case cur != nil:
					want = linuxerr.EBUSY
				default:
					reg = &fzNotify{target: targets[who], method: method}
				}
				if (want == nil) != (err == nil) || (want != nil && !linuxerr.Equals(want, err)) {
					t.Fatalf("%s: Notify(%v) by %d = %v, want %v", what, nreg, who, err, want)
				}

			case 7: // the process closes a descriptor of the queue, or exits
				if in.Byte()%4 == 0 {
					// Exit for good: a new process takes the slot.
					targets[who].exited = true
					old := targets[who]
					targets[who] = &countingTarget{}
					ctxs[who] = context.WithValue(testContext(), fuzzCaller{}, targets[who])
					// The exited process's counters are checked no more;
					// its registration stays until the queue next looks.
					if old.fired != wantFired[who] {
						t.Fatalf("%s: exited process fired %d, want %d", what, old.fired, wantFired[who])
					}
					wantFired[who], wantRemoved[who] = 0, 0
					continue
				}
				q.Flush(ctx)
				if reg != nil && reg.target == targets[who] {
					wantRemoved[who]++
					reg = nil
				}

			case 8: // poll readiness and the status line
				ready := q.Readiness(waiter.ReadableEvents | waiter.WritableEvents)
				var want waiter.EventMask
				if len(model) > 0 {
					want |= waiter.ReadableEvents
				}
				if len(model) < maxMsgs {
					want |= waiter.WritableEvents
				}
				if ready != want {
					t.Fatalf("%s: readiness %v, want %v", what, ready, want)
				}
				var buf bytes.Buffer
				q.WriteStatus(ctx, &buf)
				var size uint64
				for _, e := range model {
					size += uint64(len(e.m.Data))
				}
				cur := liveReg()
				var method, signo, pid int32
				if cur != nil {
					method, pid = cur.method, 42
					if method == linux.SIGEV_SIGNAL {
						signo = 10
					}
				}
				wantLine := fmt.Sprintf("QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", size, method, signo, pid)
				if buf.String() != wantLine {
					t.Fatalf("%s: status %q, want %q", what, buf.String(), wantLine)
				}
			}
			if n, _ := q.Stat(); n != int64(len(model)) {
				t.Fatalf("%s: queue holds %d, model %d", what, n, len(model))
			}
			for i := range targets {
				if targets[i].fired != wantFired[i] || targets[i].removed != wantRemoved[i] {
					t.Fatalf("%s: process %d fired %d removed %d, want %d %d", what, i, targets[i].fired, targets[i].removed, wantFired[i], wantRemoved[i])
				}
			}
			if len(receivers) > 0 && (len(model) > 0 || len(senders) > 0) {
				t.Fatalf("%s: model has blocked receivers with %d queued", what, len(model))
			}
		}
	})
}

func dropWaiter(l []*fzWaiter, w *fzWaiter) []*fzWaiter {
	for i, x := range l {
		if x == w {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	panic("waiter not in the model's list")
}

// fuzzAttrValues are mq_attr fields a program might pass: valid, at the
// limits, one past them, and hostile.
var fuzzAttrValues = []int64{1, 10, 11, 0, -1, 8192, 8193, 65536, 65537, 16 << 20, 16<<20 + 1, math.MaxInt64, math.MinInt64, 1 << 32, 128, 127}

// FuzzNewQueueAgainstModel creates and releases queues with hostile mq_attr
// values, by root and by an unprivileged user under various
// RLIMIT_MSGQUEUE values, while /proc/sys/fs/mqueue changes, and checks
// errors and accounting against mq_attr_ok, queues_max and Linux's charge.
func FuzzNewQueueAgainstModel(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 0})
	f.Add([]byte{0, 1, 1, 2, 3, 0, 1, 1, 2, 3, 0, 1, 1, 2, 3, 0, 1, 1, 2, 3, 2, 0, 2, 1})
	f.Add([]byte{1, 0, 5, 1, 3, 0, 0, 1, 4, 5, 0, 1, 0, 1, 6, 0, 1, 2, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzinput.New(data)
		r := NewRegistry(testUserNS, nopImpl{})
		rootCreds := auth.NewRootCredentials(testUserNS)
		userCreds := auth.NewUserCredentials(1000, 1000, nil, nil, testUserNS)
		lim := DefaultLimits()
		type live struct {
			q    *Queue
			user auth.KUID
			cost uint64
		}
		var queues []live
		charged := map[auth.KUID]uint64{}
		count := int64(0)
		for step := 0; in.More(); step++ {
			what := fmt.Sprintf("step %d", step)
			switch in.Byte() % 3 {
			case 0: // mq_open(O_CREAT)
				asRoot := in.Byte()%2 == 0
				creds := userCreds
				if asRoot {
					creds = rootCreds
				}
				ctx := auth.ContextWithCredentials(context.Background(), creds)
				rlimit := fuzzinput.Pick(in, []uint64{limits.Infinity, 819200, 100000, 0, 20000})
				ls := limits.NewLimitSet()
				ls.SetUnchecked(limits.MessageQueueBytes, limits.Limit{Cur: rlimit, Max: rlimit})
				ctx = context.WithValue(ctx, limits.CtxLimits, ls)
				var attr *Attr
				if sel := in.Byte(); sel%5 != 0 {
					attr = &Attr{MaxMessages: fuzzAttrValues[int(sel)%len(fuzzAttrValues)], MaxMessageSize: fuzzinput.Pick(in, fuzzAttrValues)}
				}
				q, err := r.NewQueue(ctx, "q", attr)
				var want *errors.Error
				var a Attr
				switch {
				case uint32(count) >= uint32(lim.QueuesMax) && !asRoot: // unsigned in Linux
					want = linuxerr.ENOSPC
				case attr == nil:
					a = Attr{MaxMessages: min(lim.MsgMax, lim.MsgDefault), MaxMessageSize: min(lim.MsgSizeMax, lim.MsgSizeDefault)}
				case attr.MaxMessages <= 0 || attr.MaxMessageSize <= 0:
					want = linuxerr.EINVAL
				case asRoot && (attr.MaxMessages > MsgMaxHard || attr.MaxMessageSize > MsgSizeMaxHard):
					want = linuxerr.EINVAL
				case !asRoot && (attr.MaxMessages > lim.MsgMax || attr.MaxMessageSize > lim.MsgSizeMax):
					want = linuxerr.EINVAL
				default:
					a = *attr
				}
				// Linux's mq_bytes: payload plus one msg_msg per message
				// and one tree node per possible priority.
				cost := uint64(a.MaxMessages)*uint64(a.MaxMessageSize) + uint64(a.MaxMessages)*48 + uint64(min(a.MaxMessages, 32768))*48
				user := creds.RealKUID
				if want == nil && charged[user]+cost > rlimit {
					want = linuxerr.EMFILE
				}
				if want != nil {
					if !linuxerr.Equals(want, err) {
						t.Fatalf("%s: NewQueue(%+v) root=%v rlimit %d = %v, want %v", what, attr, asRoot, rlimit, err, want)
					}
					continue
				}
				if err != nil || q.Attr() != a {
					t.Fatalf("%s: NewQueue(%+v) root=%v = %+v, %v; want %+v", what, attr, asRoot, q, err, a)
				}
				charged[user] += cost
				count++
				queues = append(queues, live{q, user, cost})

			case 1: // the queue dies: unlinked with no descriptor, or last close
				if len(queues) == 0 {
					continue
				}
				k := int(in.Byte()) % len(queues)
				l := queues[k]
				queues = append(queues[:k:k], queues[k+1:]...)
				if in.Byte()%2 == 0 {
					l.q.Unlinked()
				} else {
					l.q.Opened()
					l.q.Unlinked()
					l.q.Opened()
					l.q.Closed()
					l.q.Closed()
				}
				charged[l.user] -= l.cost
				count--

			case 2: // write /proc/sys/fs/mqueue/*
				field := in.Byte() % 5
				v := fuzzinput.Pick(in, []int64{0, 1, 10, 128, 256, 8192, 65536, 65537, 16 << 20, 16<<20 + 1, -1, math.MaxInt64, 2, math.MinInt32, math.MinInt32 - 1})
				nl := lim
				switch field {
				case 0:
					nl.QueuesMax = v
				case 1:
					nl.MsgMax = v
				case 2:
					nl.MsgSizeMax = v
				case 3:
					nl.MsgDefault = v
				case 4:
					nl.MsgSizeDefault = v
				}
				err := r.UpdateLimits(func(l *Limits) { *l = nl })
				ok := nl.QueuesMax >= math.MinInt32 && nl.QueuesMax <= math.MaxInt32 &&
					nl.MsgMax >= MsgMaxMin && nl.MsgMax <= MsgMaxHard &&
					nl.MsgDefault >= MsgMaxMin && nl.MsgDefault <= MsgMaxHard &&
					nl.MsgSizeMax >= MsgSizeMaxMin && nl.MsgSizeMax <= MsgSizeMaxHard &&
					nl.MsgSizeDefault >= MsgSizeMaxMin && nl.MsgSizeDefault <= MsgSizeMaxHard
				if ok != (err == nil) {
					t.Fatalf("%s: UpdateLimits(%+v) = %v, valid %v", what, nl, err, ok)
				}
				if ok {
					lim = nl
				}
				if r.Limits() != lim {
					t.Fatalf("%s: limits %+v, model %+v", what, r.Limits(), lim)
				}
			}
			if got := r.QueueCount(); got != count {
				t.Fatalf("%s: %d queues, model %d", what, got, count)
			}
		}
		// Every charge comes back.
		for _, l := range queues {
			l.q.Unlinked()
		}
		r.mu.Lock()
		left := len(r.charged)
		r.mu.Unlock()
		if r.QueueCount() != 0 || left != 0 {
			t.Fatalf("after releasing everything: %d queues, %d users charged", r.QueueCount(), left)
		}
	})
}
