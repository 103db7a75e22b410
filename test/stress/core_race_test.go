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

// Package stress holds the stress tests of mqsentry: c/mqstress.c (processes
// and threads on real queues, natively and under runsc; see its comment)
// and, in this file, Go stress tests of the queue cores meant for -race:
// goroutines play tasks, blocking through the cores' Waiters exactly as the
// syscall layer does (wait on C() or a timer standing for a timeout or a
// signal, then FinishSend/FinishReceive), while others peek, poll,
// register for notification, change limits and remove queues. Every
// message is accounted for at the end.
//
// Each test runs for -stress.duration (default 2s; MQSENTRY_STRESS_DURATION
// overrides it, e.g. 30s for a long run).
package stress

import (
	"encoding/binary"
	"flag"
	"hash/crc32"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

var durationFlag = flag.Duration("stress.duration", 2*time.Second, "how long each core stress test runs")

func duration(t *testing.T) time.Duration {
	if s := os.Getenv("MQSENTRY_STRESS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("MQSENTRY_STRESS_DURATION: %v", err)
		}
		return d
	}
	return *durationFlag
}

// payload is a message body: producer, sequence number, generation, and a
// CRC of those and of a variable filler.
func payload(rng *rand.Rand, prod, seq, gen uint32, max int) []byte {
	b := make([]byte, 12+rng.Intn(max-16)+4)
	binary.LittleEndian.PutUint32(b[0:], prod)
	binary.LittleEndian.PutUint32(b[4:], seq)
	binary.LittleEndian.PutUint32(b[8:], gen)
	for i := 12; i < len(b)-4; i++ {
		b[i] = byte(seq*7 + uint32(i))
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func parse(b []byte) (prod, seq, gen uint32, ok bool) {
	if len(b) < 16 || crc32.ChecksumIEEE(b[:len(b)-4]) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return 0, 0, 0, false
	}
	return binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:]), true
}

// ledger records, per producer and sequence number, whether the send is
// under way (3), succeeded (1) or failed (2), and how often the message was
// received.
type ledger struct {
	state [][]atomic.Int32
	recvd [][]atomic.Int32
	gen   [][]atomic.Uint32
	fails atomic.Int32
	t     *testing.T
}

const maxSeq = 1 << 19

func newLedger(t *testing.T, producers int) *ledger {
	l := &ledger{t: t}
	for i := 0; i < producers; i++ {
		l.state = append(l.state, make([]atomic.Int32, maxSeq))
		l.recvd = append(l.recvd, make([]atomic.Int32, maxSeq))
		l.gen = append(l.gen, make([]atomic.Uint32, maxSeq))
	}
	return l
}

func (l *ledger) failf(format string, args ...any) {
	if l.fails.Add(1) <= 20 {
		l.t.Errorf(format, args...)
	}
}

// received checks and records data taken out of a queue of generation gen.
func (l *ledger) received(data []byte, gen uint32, what string) (prod, seq uint32) {
	prod, seq, g, ok := parse(data)
	if !ok || int(prod) >= len(l.state) || seq >= maxSeq {
		l.failf("%s: corrupt message %x", what, data)
		return 0, 0
	}
	if g != gen {
		l.failf("%s: message %d/%d of generation %d came out of generation %d", what, prod, seq, g, gen)
	}
	if l.state[prod][seq].Load() == 0 {
		l.failf("%s: message %d/%d was never sent", what, prod, seq)
	}
	if n := l.recvd[prod][seq].Add(1); n > 1 {
		l.failf("%s: message %d/%d received %d times", what, prod, seq, n)
	}
	return prod, seq
}

// check compares what was sent with what was received; missing[gen] is how
// many messages of gen must be missing (none for other generations).
func (l *ledger) check(seqs []uint32, missing map[uint32]int) (sent, lost int) {
	lostBy := map[uint32]int{}
	for p := range l.state {
		for s := uint32(0); s < seqs[p]; s++ {
			st, r := l.state[p][s].Load(), l.recvd[p][s].Load()
			switch {
			case st == 1 && r == 0:
				lostBy[l.gen[p][s].Load()]++
			case st == 2 && r != 0:
				l.failf("message %d/%d received although its send failed", p, s)
			case st == 0 || st == 3:
				l.failf("message %d/%d: send never finished", p, s)
			}
			if st == 1 {
				sent++
			}
		}
	}
	gens := map[uint32]bool{}
	for g := range lostBy {
		gens[g] = true
	}
	for g := range missing {
		gens[g] = true
	}
	for g := range gens {
		if lostBy[g] != missing[g] {
			l.failf("generation %d: %d messages missing, want %d", g, lostBy[g], missing[g])
		}
		lost += lostBy[g]
	}
	return sent, lost
}

// wait blocks on w like a task: until it completes, or a random "timeout"
// or "signal" of up to max; some waits have no timeout and end only when
// the operation completes or quit is closed (the end of the test).
func wait(rng *rand.Rand, c <-chan struct{}, max time.Duration, quit <-chan struct{}) {
	if rng.Intn(4) == 0 {
		select {
		case <-c:
		case <-quit:
		}
		return
	}
	t := time.NewTimer(time.Duration(rng.Int63n(int64(max))))
	select {
	case <-c:
	case <-t.C:
	}
	t.Stop()
}

// crew runs a stress test's goroutines and stops them in order: first the
// producers and side workers (a producer blocked without a timeout gives up
// through stopped: with several queues, blocked producers and consumers may
// wait on different ones), then, once every producer is done, the
// consumers, which keep receiving until then.
type crew struct {
	stop, stopConsumers       atomic.Bool
	stopped, consumersStopped chan struct{}
	wg, cwg                   sync.WaitGroup
}

func newCrew() *crew {
	return &crew{stopped: make(chan struct{}), consumersStopped: make(chan struct{})}
}

// goWorker runs fn, a producer or side worker, with a random source seeded
// with seed.
func (c *crew) goWorker(seed int64, fn func(rng *rand.Rand)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn(rand.New(rand.NewSource(seed)))
	}()
}

// goConsumer runs receive over and over until the consumers stop.
func (c *crew) goConsumer(seed int64, receive func(rng *rand.Rand)) {
	c.cwg.Add(1)
	go func() {
		defer c.cwg.Done()
		rng := rand.New(rand.NewSource(seed))
		for !c.stopConsumers.Load() {
			receive(rng)
		}
	}()
}

// running reports whether producers and side workers should go on.
func (c *crew) running() bool { return !c.stop.Load() }

// runFor lets the crew work for d, then stops it.
func (c *crew) runFor(d time.Duration) {
	time.Sleep(d)
	c.stop.Store(true)
	close(c.stopped)
	c.wg.Wait()
	c.stopConsumers.Store(true)
	close(c.consumersStopped)
	c.cwg.Wait()
}

// produce sends producer p's messages in sequence while c runs, recording
// each in l: send sends message seq, after calling sending with the queue
// generation it goes to, and reports whether it was queued.
func (l *ledger) produce(c *crew, p int, seqs []uint32, send func(seq uint32, sending func(gen uint32)) bool) {
	for seq := uint32(0); c.running() && seq < maxSeq; seq++ {
		ok := send(seq, func(gen uint32) {
			l.gen[p][seq].Store(gen)
			l.state[p][seq].Store(3)
		})
		if ok {
			l.state[p][seq].Store(1)
		} else {
			l.state[p][seq].Store(2)
		}
		seqs[p] = seq + 1
	}
}

type nopImpl struct{}

func (nopImpl) Bind(*mq.Registry)           {}
func (nopImpl) Destroy(ctx context.Context) {}

// target is a process registered with mq_notify.
type target struct {
	fired, removed atomic.Int32
}

type targetKey struct{}

func (tg *target) IsCaller(ctx context.Context) bool        { return ctx.Value(targetKey{}) == tg }
func (tg *target) PIDIn(context.Context) int32              { return 1 }
func (tg *target) Notify(context.Context, *mq.Registration) { tg.fired.Add(1) }
func (tg *target) Removed(context.Context)                  { tg.removed.Add(1) }
func (tg *target) Release(context.Context)                  {}
func (tg *target) Exited() bool                             { return false }

// TestPOSIXCoreStress: producers and consumers block on a 4-message queue
// with random timeouts, while peekers, pollers and a notification
// registrant run; every message is received exactly once, in FIFO order per
// producer and priority as each consumer sees it.
func TestPOSIXCoreStress(t *testing.T) {
	const producers, consumers, msgSize = 4, 4, 64
	userNS := auth.NewRootUserNamespace()
	ctx := auth.ContextWithCredentials(context.Background(), auth.NewRootCredentials(userNS))
	r := mq.NewRegistry(userNS, nopImpl{})
	q, err := r.NewQueue(ctx, "q", &mq.Attr{MaxMessages: 4, MaxMessageSize: msgSize})
	if err != nil {
		t.Fatal(err)
	}
	q.Opened()
	l := newLedger(t, producers)
	seqs := make([]uint32, producers)
	c := newCrew()
	var sends, blocked, timeouts atomic.Int64
	for p := 0; p < producers; p++ {
		c.goWorker(int64(p)+1, func(rng *rand.Rand) {
			l.produce(c, p, seqs, func(seq uint32, sending func(uint32)) bool {
				m := mq.Message{Priority: uint32(rng.Intn(4)), Data: payload(rng, uint32(p), seq, 0, msgSize)}
				sending(0)
				ok := false
				if err := q.Send(ctx, m, nil); err == nil {
					ok = true
				} else if !linuxerr.Equals(linuxerr.EAGAIN, err) {
					l.failf("Send: %v", err)
				} else {
					w := mq.NewWaiter()
					if err := q.Send(ctx, m, w); err == nil {
						ok = true
					} else if err != mq.ErrWaiting {
						l.failf("blocking Send: %v", err)
					} else {
						blocked.Add(1)
						wait(rng, w.C(), 2*time.Millisecond, c.stopped)
						ok = q.FinishSend(w)
						if !ok {
							timeouts.Add(1)
						}
					}
				}
				if ok {
					sends.Add(1)
				}
				return ok
			})
		})
	}
	receive := func(rng *rand.Rand, last map[[2]uint32]uint32) bool {
		m, err := q.Receive(ctx, msgSize, nil)
		if linuxerr.Equals(linuxerr.EAGAIN, err) {
			w := mq.NewWaiter()
			if m, err = q.Receive(ctx, msgSize, w); err == mq.ErrWaiting {
				wait(rng, w.C(), 2*time.Millisecond, c.consumersStopped)
				var ok bool
				if m, ok = q.FinishReceive(w); !ok {
					return false
				}
				err = nil
			}
		}
		if linuxerr.Equals(linuxerr.EAGAIN, err) {
			return false
		}
		if err != nil {
			l.failf("Receive: %v", err)
			return false
		}
		prod, seq := l.received(m.Data, 0, "Receive")
		if last != nil {
			k := [2]uint32{prod, m.Priority}
			if prev, ok := last[k]; ok && prev >= seq {
				l.failf("FIFO: producer %d priority %d: seq %d after %d", prod, m.Priority, seq, prev)
			}
			last[k] = seq
		}
		return true
	}
	for i := 0; i < consumers; i++ {
		last := map[[2]uint32]uint32{}
		c.goConsumer(int64(i)+100, func(rng *rand.Rand) { receive(rng, last) })
	}
	// Peekers, pollers, status readers.
	for i := 0; i < 2; i++ {
		c.goWorker(int64(i)+200, func(rng *rand.Rand) {
			for c.running() {
				idx := int64(rng.Intn(6)) - 1
				_, _, err := q.Peek(idx, func(d []byte) (int, error) {
					if _, _, _, ok := parse(d); !ok {
						l.failf("Peek(%d): corrupt %x", idx, d)
					}
					return len(d), nil
				})
				if err != nil && !linuxerr.Equals(linuxerr.ENOMSG, err) {
					l.failf("Peek: %v", err)
				}
				if n, _ := q.Stat(); n < 0 || n > 4 {
					l.failf("Stat: %d messages", n)
				}
				q.Readiness(waiter.ReadableEvents | waiter.WritableEvents)
			}
		})
	}
	// A notification registrant and an event waiter.
	tg := &target{}
	regCtx := context.WithValue(ctx, targetKey{}, tg)
	c.goWorker(300, func(rng *rand.Rand) {
		e, ch := waiter.NewChannelEntry(waiter.ReadableEvents)
		q.EventRegister(&e)
		defer q.EventUnregister(&e)
		for c.running() {
			switch rng.Intn(3) {
			case 0:
				err := q.Notify(regCtx, &mq.Registration{Target: tg, Method: linux.SIGEV_SIGNAL, Signo: 10})
				if err != nil && !linuxerr.Equals(linuxerr.EBUSY, err) {
					l.failf("Notify: %v", err)
				}
			case 1:
				q.Notify(regCtx, nil)
			default:
				q.Flush(regCtx)
			}
			select {
			case <-ch:
			case <-time.After(100 * time.Microsecond):
			}
		}
	})

	c.runFor(duration(t))
	// Drain.
	rng := rand.New(rand.NewSource(9))
	for {
		if n, _ := q.Stat(); n == 0 {
			break
		}
		receive(rng, nil)
	}
	sent, lost := l.check(seqs, nil)
	t.Logf("%d messages sent (%d sends blocked, %d timed out), %d lost; notifications fired %d, removed %d",
		sent, blocked.Load(), timeouts.Load(), lost, tg.fired.Load(), tg.removed.Load())
	if sent == 0 {
		t.Error("nothing was sent")
	}
	q.Closed()
	q.Unlinked()
	if r.QueueCount() != 0 {
		t.Errorf("%d queues left", r.QueueCount())
	}
}

// TestSysVCoreStress: producers and consumers (uid 1000, not root) block on
// small queues with typed, MSG_EXCEPT and negative-type receives and random
// timeouts, MSG_COPY readers and MSG_INFO/IPC_STAT readers run, and root
// keeps changing qbytes and removing queues: it first freezes a queue
// (IPC_SET mode 0, so every blocked and new call of the workers fails with
// EACCES), reads its qnum, then removes it. Exactly qnum messages of each
// removed generation are missing at the end; everything else is received
// exactly once.
func TestSysVCoreStress(t *testing.T) {
	const producers, consumers, slots = 4, 4, 2
	userNS := auth.NewRootUserNamespace()
	ctx := context.Background()
	root := auth.NewRootCredentials(userNS)
	user := auth.NewUserCredentials(1000, 1000, nil, nil, userNS)
	r := msgqueue.NewRegistry(userNS)

	type slot struct {
		q   *msgqueue.Queue
		gen uint32
	}
	var cur [slots]atomic.Pointer[slot]
	var genMu sync.Mutex
	nextGen := uint32(0)
	frozen := map[uint32]int{}
	const maxGen = 1 << 20
	frozenFlag := make([]atomic.Bool, maxGen)
	newSlot := func() *slot {
		q, err := r.Get(ctx, user, sysvipc.IPCPrivate, 0600)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if err := r.Set(ctx, root, q.ID(), msgqueue.SetRequest{UID: 1000, GID: 1000, Mode: 0600, QBytes: 300}); err != nil {
			t.Fatalf("Set: %v", err)
		}
		genMu.Lock()
		defer genMu.Unlock()
		nextGen++
		return &slot{q, nextGen}
	}
	for i := range cur {
		cur[i].Store(newSlot())
	}
	gone := func(err error, gen uint32) bool {
		return (linuxerr.Equals(linuxerr.EACCES, err) || linuxerr.Equals(linuxerr.EIDRM, err)) && frozenFlag[gen].Load()
	}

	l := newLedger(t, producers)
	seqs := make([]uint32, producers)
	c := newCrew()
	var eintr atomic.Int64
	for p := 0; p < producers; p++ {
		caller := msgqueue.Caller{Creds: user, PID: int32(10 + p), TID: int32(10 + p)}
		c.goWorker(int64(p)+1, func(rng *rand.Rand) {
			l.produce(c, p, seqs, func(seq uint32, sending func(uint32)) bool {
				s := cur[rng.Intn(slots)].Load()
				m := &msgqueue.Message{Type: int64(1 + rng.Intn(4)), Text: payload(rng, uint32(p), seq, s.gen, 48)}
				sending(s.gen)
				var w *msgqueue.Waiter
				if rng.Intn(4) != 0 {
					w = msgqueue.NewWaiter()
				}
				err := s.q.Send(ctx, caller, m, w)
				if err == msgqueue.ErrWaiting {
					wait(rng, w.C(), 2*time.Millisecond, c.stopped)
					var done bool
					if done, err = s.q.FinishSend(w); !done {
						err = linuxerr.EINTR
						eintr.Add(1)
					}
				}
				switch {
				case err == nil:
					return true
				case linuxerr.Equals(linuxerr.EINTR, err) || (w == nil && linuxerr.Equals(linuxerr.EAGAIN, err)) || gone(err, s.gen):
				default:
					l.failf("Send to generation %d: %v", s.gen, err)
				}
				return false
			})
		})
	}
	receive := func(rng *rand.Rand, caller msgqueue.Caller, s *slot, last map[[3]int64]uint32) {
		typ := int64(1 + rng.Intn(4))
		req := msgqueue.ReceiveRequest{MaxSize: 4096}
		switch rng.Intn(4) {
		case 0:
		case 1:
			req.Type = typ
		case 2:
			req.Type = -typ
		default:
			req.Type, req.Flags = typ, linux.MSG_EXCEPT
		}
		var w *msgqueue.Waiter
		if rng.Intn(4) != 0 {
			w = msgqueue.NewWaiter()
		}
		m, err := s.q.Receive(ctx, caller, req, w)
		if err == msgqueue.ErrWaiting {
			wait(rng, w.C(), 2*time.Millisecond, c.consumersStopped)
			var done bool
			if m, done, err = s.q.FinishReceive(w); !done {
				return
			}
		}
		if err != nil {
			if !(w == nil && linuxerr.Equals(linuxerr.ENOMSG, err)) && !gone(err, s.gen) {
				l.failf("Receive(%+v) from generation %d: %v", req, s.gen, err)
			}
			return
		}
		match := req.Type == 0 || (req.Type > 0 && req.Flags == 0 && m.Type == req.Type) ||
			(req.Type > 0 && req.Flags != 0 && m.Type != req.Type) || (req.Type < 0 && m.Type <= -req.Type)
		if !match {
			l.failf("Receive(%+v) returned type %d", req, m.Type)
		}
		prod, seq := l.received(m.Text, s.gen, "Receive")
		if last != nil {
			// FIFO holds per producer and type within one queue.
			k := [3]int64{int64(prod), m.Type, int64(s.gen)}
			if prev, ok := last[k]; ok && prev >= seq {
				l.failf("FIFO: producer %d type %d: seq %d after %d", prod, m.Type, seq, prev)
			}
			last[k] = seq
		}
	}
	for i := 0; i < consumers; i++ {
		caller := msgqueue.Caller{Creds: user, PID: int32(100 + i), TID: int32(100 + i)}
		last := map[[3]int64]uint32{}
		c.goConsumer(int64(i)+100, func(rng *rand.Rand) { receive(rng, caller, cur[rng.Intn(slots)].Load(), last) })
	}
	// MSG_COPY, IPC_STAT and MSG_INFO readers.
	c.goWorker(500, func(rng *rand.Rand) {
		caller := msgqueue.Caller{Creds: user, PID: 500, TID: 500}
		for c.running() {
			s := cur[rng.Intn(slots)].Load()
			m, err := s.q.Receive(ctx, caller, msgqueue.ReceiveRequest{Type: int64(rng.Intn(8)), Flags: linux.MSG_COPY, MaxSize: 4096, CopyMax: 4096}, nil)
			if err == nil {
				if _, _, g, ok := parse(m.Text); !ok || g != s.gen {
					l.failf("MSG_COPY: message %x in generation %d", m.Text, s.gen)
				}
			} else if !linuxerr.Equals(linuxerr.ENOMSG, err) && !gone(err, s.gen) {
				l.failf("MSG_COPY: %v", err)
			}
			if st, err := s.q.Stat(user, true); err == nil && st.QNum > 300 {
				l.failf("IPC_STAT: %+v", st)
			}
			r.Info(true)
			r.Queues()
		}
	})
	// Root: qbytes changes and removals.
	c.goWorker(600, func(rng *rand.Rand) {
		for c.running() {
			time.Sleep(time.Duration(rng.Intn(3000)) * time.Microsecond)
			i := rng.Intn(slots)
			s := cur[i].Load()
			if rng.Intn(3) != 0 {
				qb := uint64(50 + rng.Intn(450))
				if err := r.Set(ctx, root, s.q.ID(), msgqueue.SetRequest{UID: 1000, GID: 1000, Mode: 0600, QBytes: qb}); err != nil {
					l.failf("Set qbytes: %v", err)
				}
				continue
			}
			genMu.Lock()
			full := nextGen >= maxGen-slots-1
			genMu.Unlock()
			if full {
				continue
			}
			frozenFlag[s.gen].Store(true)
			if err := r.Set(ctx, root, s.q.ID(), msgqueue.SetRequest{UID: 1000, GID: 1000, Mode: 0, QBytes: 300}); err != nil {
				l.failf("freeze: %v", err)
			}
			st, err := s.q.Stat(root, true)
			if err != nil {
				l.failf("Stat of frozen queue: %v", err)
			}
			genMu.Lock()
			frozen[s.gen] = int(st.QNum)
			genMu.Unlock()
			if err := r.Remove(root, s.q.ID()); err != nil {
				l.failf("Remove: %v", err)
			}
			cur[i].Store(newSlot())
		}
	})

	c.runFor(duration(t))
	drainer := msgqueue.Caller{Creds: root}
	for i := range cur {
		s := cur[i].Load()
		for {
			m, err := s.q.Receive(ctx, drainer, msgqueue.ReceiveRequest{MaxSize: 4096}, nil)
			if err != nil {
				break
			}
			l.received(m.Text, s.gen, "drain")
		}
	}
	sent, lost := l.check(seqs, frozen)
	t.Logf("%d messages sent, %d dropped with %d removed queues (exactly their frozen qnum), %d interrupted waits",
		sent, lost, len(frozen), eintr.Load())
	if info := r.Info(true); info.MsgMap != 0 || info.MsgTql != 0 || int(info.MsgPool) != slots {
		t.Errorf("MSG_INFO after draining: %+v", info)
	}
	if sent == 0 || len(frozen) == 0 {
		t.Errorf("too little happened: %d sent, %d removals", sent, len(frozen))
	}
}
