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
	"bytes"
	stdctx "context"
	"fmt"
	"math"
	"sync"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/state"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

var (
	userNS = auth.NewRootUserNamespace()
	ctx    = context.Background()
)

func rootCaller(pid int32) Caller {
	return Caller{Creds: auth.NewRootCredentials(userNS), PID: pid, TID: pid + 1000}
}

func userCreds(uid, gid uint32, caps ...linux.Capability) *auth.Credentials {
	set := auth.CapabilitySetOfMany(caps)
	return auth.NewUserCredentials(auth.KUID(uid), auth.KGID(gid), nil,
		&auth.TaskCapabilities{PermittedCaps: set, EffectiveCaps: set}, userNS)
}

func newQueue(t *testing.T, r *Registry, flag int32) *Queue {
	t.Helper()
	q, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, flag)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return q
}

func send(t *testing.T, q *Queue, typ int64, text string) {
	t.Helper()
	if err := q.Send(ctx, rootCaller(1), &Message{Type: typ, Text: []byte(text)}, nil); err != nil {
		t.Fatalf("Send(%d, %q): %v", typ, text, err)
	}
}

func recv(q *Queue, typ int64, flags int32, size uint64) (*Message, error) {
	return q.Receive(ctx, rootCaller(2), ReceiveRequest{Type: typ, Flags: flags, MaxSize: size, CopyMax: size}, nil)
}

func wantMsg(t *testing.T, q *Queue, typ int64, flags int32, wantType int64, wantText string) {
	t.Helper()
	m, err := recv(q, typ, flags, 1024)
	if err != nil {
		t.Fatalf("Receive(%d, %#o): %v", typ, flags, err)
	}
	if m.Type != wantType || string(m.Text) != wantText {
		t.Fatalf("Receive(%d, %#o) = (%d, %q), want (%d, %q)", typ, flags, m.Type, m.Text, wantType, wantText)
	}
}

func wantErr(t *testing.T, what string, got error, want *errors.Error) {
	t.Helper()
	if !linuxerr.Equals(want, got) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// setLimits changes r's limits as a /proc/sys write does.
func setLimits(t *testing.T, r *Registry, set func(*Limits)) {
	t.Helper()
	if err := r.UpdateLimits(set); err != nil {
		t.Fatalf("UpdateLimits: %v", err)
	}
}

func setQbytes(t *testing.T, r *Registry, q *Queue, qbytes uint64) {
	t.Helper()
	if err := r.Set(ctx, rootCaller(1).Creds, q.ID(), SetRequest{Mode: 0600, QBytes: qbytes}); err != nil {
		t.Fatalf("Set qbytes %d: %v", qbytes, err)
	}
}

func TestReceiveOrderAndMatching(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	for _, m := range []struct {
		typ  int64
		text string
	}{{2, "a"}, {3, "b"}, {1, "c"}, {1, "d"}, {5, "e"}, {2, "f"}} {
		send(t, q, m.typ, m.text)
	}
	wantMsg(t, q, 0, 0, 2, "a")                // first
	wantMsg(t, q, 2, 0, 2, "f")                // first of type 2
	wantMsg(t, q, 1, linux.MSG_EXCEPT, 3, "b") // first not of type 1
	wantMsg(t, q, -3, 0, 1, "c")               // lowest type <= 3
	wantMsg(t, q, -1, 0, 1, "d")               // equality included
	wantErr(t, "no type <= 4", func() error { _, err := recv(q, -4, 0, 64); return err }(), linuxerr.ENOMSG)
	wantMsg(t, q, math.MinInt64, 0, 5, "e") // |LONG_MIN| is LONG_MAX
	wantErr(t, "empty", func() error { _, err := recv(q, 0, 0, 64); return err }(), linuxerr.ENOMSG)

	// MSG_EXCEPT with msgtyp 0 is msgtyp 0.
	send(t, q, 1, "x")
	wantMsg(t, q, 0, linux.MSG_EXCEPT, 1, "x")
}

func TestTooBigAndNoError(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	send(t, q, 7, "hello world")
	_, err := recv(q, 0, 0, 5)
	wantErr(t, "short buffer", err, linuxerr.E2BIG)
	m, err := recv(q, 0, linux.MSG_NOERROR, 5)
	if err != nil || string(m.Text) != "hello world" {
		t.Fatalf("MSG_NOERROR: %v, %v (the caller truncates)", m, err)
	}
	if st, _ := q.Stat(nil, false); st.QNum != 0 || st.CBytes != 0 {
		t.Errorf("MSG_NOERROR left %+v", st)
	}
}

func TestCopy(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	send(t, q, 1, "a")
	send(t, q, 2, "bb")
	send(t, q, 3, "ccc")
	for i, want := range []string{"a", "bb", "ccc"} {
		m, err := recv(q, int64(i), linux.MSG_COPY, 64)
		if err != nil || string(m.Text) != want {
			t.Fatalf("MSG_COPY %d: %v, %v", i, m, err)
		}
	}
	for _, idx := range []int64{3, 100, -1} {
		_, err := recv(q, idx, linux.MSG_COPY, 64)
		wantErr(t, fmt.Sprintf("MSG_COPY %d", idx), err, linuxerr.ENOMSG)
	}
	_, err := q.Receive(ctx, rootCaller(2), ReceiveRequest{Type: 2, Flags: linux.MSG_COPY, MaxSize: 2, CopyMax: 2}, nil)
	wantErr(t, "MSG_COPY short", err, linuxerr.E2BIG)
	_, err = q.Receive(ctx, rootCaller(2), ReceiveRequest{Type: 2, Flags: linux.MSG_COPY | linux.MSG_NOERROR, MaxSize: 2, CopyMax: 2}, nil)
	wantErr(t, "MSG_COPY|MSG_NOERROR short", err, linuxerr.EINVAL)
	st, _ := q.Stat(nil, false)
	if st.QNum != 3 || st.CBytes != 6 || st.LRPID != 0 || st.RTime != 0 {
		t.Errorf("MSG_COPY changed the queue: %+v", st)
	}
}

func TestFullQueue(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	setQbytes(t, r, q, 10)
	send(t, q, 1, "123456")
	wantErr(t, "cbytes+size > qbytes", q.Send(ctx, rootCaller(1), &Message{Type: 1, Text: []byte("12345")}, nil), linuxerr.EAGAIN)
	send(t, q, 1, "1234")
	setQbytes(t, r, q, 2)
	// Zero-length messages are bounded by the count.
	q2 := newQueue(t, r, 0600)
	setQbytes(t, r, q2, 2)
	send(t, q2, 1, "")
	send(t, q2, 1, "")
	wantErr(t, "qnum+1 > qbytes", q2.Send(ctx, rootCaller(1), &Message{Type: 1}, nil), linuxerr.EAGAIN)
}

func TestBlockedSenderIsAdmitted(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	setQbytes(t, r, q, 10)
	send(t, q, 1, "0123456789")
	w := NewWaiter()
	sender := Caller{Creds: rootCaller(0).Creds, PID: 77, TID: 78}
	if err := q.Send(ctx, sender, &Message{Type: 2, Text: []byte("hello")}, w); err != ErrWaiting {
		t.Fatalf("Send on a full queue: %v, want ErrWaiting", err)
	}
	wantMsg(t, q, 1, 0, 1, "0123456789")
	select {
	case <-w.C():
	default:
		t.Fatalf("sender not woken")
	}
	if done, err := q.FinishSend(w); !done || err != nil {
		t.Fatalf("FinishSend = %v, %v", done, err)
	}
	st, _ := q.Stat(nil, false)
	if st.QNum != 1 || st.CBytes != 5 || st.LSPID != 77 {
		t.Errorf("after admission: %+v", st)
	}
	wantMsg(t, q, 0, 0, 2, "hello")
}

func TestSendHandsToBlockedReceiver(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	w := NewWaiter()
	receiver := Caller{Creds: rootCaller(0).Creds, PID: 50, TID: 51}
	if _, err := q.Receive(ctx, receiver, ReceiveRequest{Type: 2, MaxSize: 64}, w); err != ErrWaiting {
		t.Fatalf("Receive on an empty queue: %v", err)
	}
	send(t, q, 1, "one")
	select {
	case <-w.C():
		t.Fatalf("receiver took a message of another type")
	default:
	}
	send(t, q, 2, "two")
	m, done, err := q.FinishReceive(w)
	if !done || err != nil || string(m.Text) != "two" {
		t.Fatalf("FinishReceive = %v, %v, %v", m, done, err)
	}
	st, _ := q.Stat(nil, false)
	if st.QNum != 1 || st.LRPID != 51 || st.LSPID != 1 {
		t.Errorf("after hand-over: %+v (lrpid is the receiver's thread)", st)
	}
}

func TestHandOverSkipsReceiverWithSmallBuffer(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	small, big := NewWaiter(), NewWaiter()
	q.Receive(ctx, rootCaller(2), ReceiveRequest{MaxSize: 2}, small)
	q.Receive(ctx, rootCaller(3), ReceiveRequest{MaxSize: 64}, big)
	send(t, q, 1, "hello")
	if _, done, err := q.FinishReceive(small); !done || !linuxerr.Equals(linuxerr.E2BIG, err) {
		t.Errorf("small receiver: done %v err %v, want E2BIG", done, err)
	}
	if m, done, err := q.FinishReceive(big); !done || err != nil || string(m.Text) != "hello" {
		t.Errorf("big receiver: %v %v %v", m, done, err)
	}
	// MSG_NOERROR receivers take anything.
	w := NewWaiter()
	q.Receive(ctx, rootCaller(2), ReceiveRequest{MaxSize: 1, Flags: linux.MSG_NOERROR}, w)
	send(t, q, 1, "long")
	if m, done, err := q.FinishReceive(w); !done || err != nil || string(m.Text) != "long" {
		t.Errorf("MSG_NOERROR receiver: %v %v %v", m, done, err)
	}
}

func TestInterruptedWaiters(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	// A receiver interrupted before any message: dequeued, nothing lost.
	w := NewWaiter()
	q.Receive(ctx, rootCaller(2), ReceiveRequest{MaxSize: 64}, w)
	if _, done, _ := q.FinishReceive(w); done {
		t.Fatalf("receiver done without a message")
	}
	send(t, q, 1, "kept")
	if st, _ := q.Stat(nil, false); st.QNum != 1 {
		t.Fatalf("message went to an interrupted receiver")
	}
	// A receiver handed a message and interrupted at the same time still
	// gets it.
	wantMsg(t, q, 0, 0, 1, "kept")
	w = NewWaiter()
	q.Receive(ctx, rootCaller(2), ReceiveRequest{MaxSize: 64}, w)
	send(t, q, 1, "race")
	if m, done, err := q.FinishReceive(w); !done || err != nil || string(m.Text) != "race" {
		t.Fatalf("hand-over lost: %v %v %v", m, done, err)
	}
	// A sender interrupted while blocked: its message is not queued later.
	setQbytes(t, r, q, 1)
	send(t, q, 1, "x")
	w = NewWaiter()
	q.Send(ctx, rootCaller(1), &Message{Type: 9, Text: []byte("y")}, w)
	if done, _ := q.FinishSend(w); done {
		t.Fatalf("sender done on a full queue")
	}
	wantMsg(t, q, 0, 0, 1, "x")
	if _, err := recv(q, 9, 0, 64); !linuxerr.Equals(linuxerr.ENOMSG, err) {
		t.Fatalf("interrupted sender's message was queued: %v", err)
	}
}

func TestRemoveFailsWaitersWithEIDRM(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	setQbytes(t, r, q, 1)
	send(t, q, 1, "x")
	sw, rw, ew := NewWaiter(), NewWaiter(), NewWaiter()
	q.Send(ctx, rootCaller(1), &Message{Type: 1, Text: []byte("y")}, sw)
	q.Receive(ctx, rootCaller(2), ReceiveRequest{Type: 2, MaxSize: 64}, rw)
	q.Receive(ctx, rootCaller(3), ReceiveRequest{Type: 1, Flags: linux.MSG_EXCEPT, MaxSize: 64}, ew)
	if err := r.Remove(rootCaller(1).Creds, q.ID()); err != nil {
		t.Fatal(err)
	}
	if done, err := q.FinishSend(sw); !done || !linuxerr.Equals(linuxerr.EIDRM, err) {
		t.Errorf("sender: %v %v", done, err)
	}
	for _, w := range []*Waiter{rw, ew} {
		if _, done, err := q.FinishReceive(w); !done || !linuxerr.Equals(linuxerr.EIDRM, err) {
			t.Errorf("receiver: %v %v", done, err)
		}
	}
	// Callers that found the queue before the removal get EIDRM too.
	wantErr(t, "send after removal", q.Send(ctx, rootCaller(1), &Message{Type: 1}, nil), linuxerr.EIDRM)
	_, err := recv(q, 0, 0, 64)
	wantErr(t, "receive after removal", err, linuxerr.EIDRM)
	_, err = r.FindByID(q.ID())
	wantErr(t, "lookup after removal", err, linuxerr.EINVAL)
	wantErr(t, "second removal", r.Remove(rootCaller(1).Creds, q.ID()), linuxerr.EINVAL)
	if info := r.Info(true); info.MsgPool != 0 || info.MsgMap != 0 || info.MsgTql != 0 {
		t.Errorf("accounting after removal: %+v", info)
	}
}

func TestPermissions(t *testing.T) {
	r := NewRegistry(userNS)
	creator := userCreds(1000, 1000)
	q, err := r.Get(ctx, creator, sysvipc.IPCPrivate, 0600)
	if err != nil {
		t.Fatal(err)
	}
	// Give it to uid 2001: the creator keeps owner rights.
	if err := r.Set(ctx, auth.NewRootCredentials(userNS), q.ID(), SetRequest{UID: 2001, GID: 2001, Mode: 0600, QBytes: DefaultMsgMnb}); err != nil {
		t.Fatal(err)
	}
	c := Caller{Creds: creator}
	if err := q.Send(ctx, c, &Message{Type: 1}, nil); err != nil {
		t.Errorf("creator send: %v", err)
	}
	if _, err := q.Stat(creator, true); err != nil {
		t.Errorf("creator stat: %v", err)
	}
	other := Caller{Creds: userCreds(3000, 3000)}
	wantErr(t, "other send", q.Send(ctx, other, &Message{Type: 1}, nil), linuxerr.EACCES)
	_, err = q.Receive(ctx, other, ReceiveRequest{MaxSize: 64}, nil)
	wantErr(t, "other receive", err, linuxerr.EACCES)
	_, err = q.Stat(other.Creds, true)
	wantErr(t, "other stat", err, linuxerr.EACCES)
	if _, err := q.Stat(other.Creds, false); err != nil {
		t.Errorf("MSG_STAT_ANY: %v", err)
	}
	// Control: owner, creator, CAP_SYS_ADMIN; not CAP_IPC_OWNER.
	set := SetRequest{UID: 2001, GID: 2001, Mode: 0640, QBytes: DefaultMsgMnb}
	for _, tc := range []struct {
		creds *auth.Credentials
		want  *errors.Error
	}{
		{userCreds(2001, 1), nil},
		{creator, nil},
		{userCreds(3000, 1, linux.CAP_SYS_ADMIN), nil},
		{userCreds(3000, 1, linux.CAP_IPC_OWNER), linuxerr.EPERM},
		{userCreds(3000, 2001), linuxerr.EPERM},
	} {
		err := r.Set(ctx, tc.creds, q.ID(), set)
		if (tc.want == nil && err != nil) || (tc.want != nil && !linuxerr.Equals(tc.want, err)) {
			t.Errorf("Set by uid %d: %v, want %v", tc.creds.EffectiveKUID, err, tc.want)
		}
	}
	wantErr(t, "remove by CAP_IPC_OWNER", r.Remove(userCreds(3000, 1, linux.CAP_IPC_OWNER), q.ID()), linuxerr.EPERM)
	if err := r.Remove(creator, q.ID()); err != nil {
		t.Errorf("remove by creator: %v", err)
	}
}

func TestSetQbytesRules(t *testing.T) {
	r := NewRegistry(userNS)
	setLimits(t, r, func(l *Limits) { l.MsgMnb = 1000 })
	q := newQueue(t, r, 0600)
	noRes := userCreds(0, 0, linux.CAP_SYS_ADMIN)
	set := func(qbytes uint64) error {
		return r.Set(ctx, noRes, q.ID(), SetRequest{Mode: 0600, QBytes: qbytes})
	}
	if err := set(1000); err != nil {
		t.Errorf("qbytes == msgmnb: %v", err)
	}
	wantErr(t, "qbytes > msgmnb", set(1001), linuxerr.EPERM)
	// Linux passes qbytes through an int: 2^32 + 5 is 5.
	if err := set(1<<32 + 5); err != nil {
		t.Errorf("truncated qbytes: %v", err)
	}
	if st, _ := q.Stat(nil, false); st.QBytes != 5 {
		t.Errorf("qbytes = %d, want 5", st.QBytes)
	}
	if err := r.Set(ctx, auth.NewRootCredentials(userNS), q.ID(), SetRequest{Mode: 0600, QBytes: 100000}); err != nil {
		t.Errorf("CAP_SYS_RESOURCE: %v", err)
	}
	// The check is on the new value.
	setLimits(t, r, func(l *Limits) { l.MsgMnb = 500 })
	wantErr(t, "unchanged qbytes above a lowered msgmnb", set(100000), linuxerr.EPERM)
}

func TestSetRechecksWaiters(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0666)
	setQbytes(t, r, q, 1)
	r.Set(ctx, rootCaller(1).Creds, q.ID(), SetRequest{Mode: 0666, QBytes: 1})
	send(t, q, 1, "x")
	other := Caller{Creds: userCreds(3000, 3000)}
	sw, rw, kept := NewWaiter(), NewWaiter(), NewWaiter()
	q.Send(ctx, other, &Message{Type: 1, Text: []byte("y")}, sw)
	q.Receive(ctx, other, ReceiveRequest{Type: 5, MaxSize: 64}, rw)
	q.Send(ctx, rootCaller(1), &Message{Type: 2, Text: []byte("z")}, kept)
	// Revoke the others' rights and make room.
	if err := r.Set(ctx, rootCaller(1).Creds, q.ID(), SetRequest{Mode: 0600, QBytes: 100}); err != nil {
		t.Fatal(err)
	}
	if done, err := q.FinishSend(sw); !done || !linuxerr.Equals(linuxerr.EACCES, err) {
		t.Errorf("revoked sender: %v %v", done, err)
	}
	if _, done, err := q.FinishReceive(rw); !done || !linuxerr.Equals(linuxerr.EACCES, err) {
		t.Errorf("revoked receiver: %v %v", done, err)
	}
	if done, err := q.FinishSend(kept); !done || err != nil {
		t.Errorf("permitted sender after qbytes grew: %v %v", done, err)
	}
	wantMsg(t, q, 2, 0, 2, "z")
}

func TestGetLimitAndInfo(t *testing.T) {
	r := NewRegistry(userNS)
	setLimits(t, r, func(l *Limits) { *l = Limits{MsgMax: 4000, MsgMnb: 5000, MsgMni: 2} })
	a := newQueue(t, r, 0600)
	b := newQueue(t, r, 0600)
	_, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	wantErr(t, "msgmni reached", err, linuxerr.ENOSPC)
	if st, _ := a.Stat(nil, false); st.QBytes != 5000 {
		t.Errorf("new queue qbytes %d, want msgmnb", st.QBytes)
	}
	send(t, a, 1, "x")
	send(t, a, 1, "yy")
	send(t, b, 1, "zzz")
	send(t, b, 1, "")
	info := r.Info(true)
	if info.MsgPool != 2 || info.MsgMap != 4 || info.MsgTql != 6 || info.MaxIndex != 1 {
		t.Errorf("MSG_INFO: %+v", info)
	}
	if info.MsgMax != 4000 || info.MsgMnb != 5000 || info.MsgMni != 2 {
		t.Errorf("limits in MSG_INFO: %+v", info)
	}
	info = r.Info(false)
	if info.MsgPool != linux.MSGPOOL || info.MsgMap != linux.MSGMAP || info.MsgTql != linux.MSGTQL || info.MsgSsz != linux.MSGSSZ || info.MsgSeg != linux.MSGSEG {
		t.Errorf("IPC_INFO: %+v", info)
	}
	wantErr(t, "bad limits", r.UpdateLimits(func(l *Limits) { l.MsgMni = sysvipc.IndexCount + 1 }), linuxerr.EINVAL)
	wantErr(t, "bad next id", r.SetNextID(-1), linuxerr.EINVAL)
}

// TestLimitsFollowUpdateLimits changes each limit after the namespace has
// had traffic, through UpdateLimits (the path of /proc/sys writes and the
// OCI spec's sysctls), and checks the next call obeys it, as Linux reads
// msg_ctlmax on every msgsnd and msg_ctlmnb, msg_ctlmni at msgget and
// IPC_SET.
func TestLimitsFollowUpdateLimits(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	if got := r.MsgMax(); got != DefaultMsgMax {
		t.Fatalf("MsgMax() = %d, want %d", got, DefaultMsgMax)
	}
	send(t, q, 1, "x")
	setLimits(t, r, func(l *Limits) { l.MsgMax = 50 })
	if got := r.MsgMax(); got != 50 {
		t.Errorf("MsgMax() after writing 50 = %d", got)
	}
	setLimits(t, r, func(l *Limits) { l.MsgMax = 0 })
	if got := r.MsgMax(); got != 0 {
		t.Errorf("MsgMax() after writing 0 = %d", got)
	}

	setLimits(t, r, func(l *Limits) { l.MsgMnb = 700; l.MsgMni = 2 })
	b := newQueue(t, r, 0600)
	if st, _ := b.Stat(nil, false); st.QBytes != 700 {
		t.Errorf("qbytes of a queue made after msgmnb = 700: %d", st.QBytes)
	}
	if st, _ := q.Stat(nil, false); st.QBytes != DefaultMsgMnb {
		t.Errorf("qbytes of an older queue: %d, want %d kept", st.QBytes, DefaultMsgMnb)
	}
	noRes := userCreds(0, 0, linux.CAP_SYS_ADMIN)
	wantErr(t, "IPC_SET above the new msgmnb", r.Set(ctx, noRes, q.ID(), SetRequest{Mode: 0600, QBytes: 701}), linuxerr.EPERM)
	_, err := r.Get(ctx, rootCaller(1).Creds, sysvipc.IPCPrivate, 0600)
	wantErr(t, "msgget past the new msgmni", err, linuxerr.ENOSPC)
}

// TestConcurrentTraffic runs blocking senders and receivers on a small
// queue: every message arrives exactly once.
func TestConcurrentTraffic(t *testing.T) {
	r := NewRegistry(userNS)
	q := newQueue(t, r, 0600)
	setQbytes(t, r, q, 64)
	const senders, perSender = 8, 500
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			w := NewWaiter()
			for i := 0; i < perSender; i++ {
				m := &Message{Type: int64(1 + s), Text: []byte(fmt.Sprintf("%d/%d", s, i))}
				if err := q.Send(ctx, rootCaller(1), m, w); err == ErrWaiting {
					<-w.C()
					if done, err := q.FinishSend(w); !done || err != nil {
						t.Errorf("FinishSend: %v %v", done, err)
						return
					}
				} else if err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		}(s)
	}
	var mu sync.Mutex
	seen := make(map[string]bool)
	next := make([]int, senders)
	for rcv := 0; rcv < senders; rcv++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			w := NewWaiter()
			for i := 0; i < perSender; i++ {
				// Each receiver takes one sender's type: FIFO per type.
				m, err := q.Receive(ctx, rootCaller(2), ReceiveRequest{Type: int64(1 + s), MaxSize: 64}, w)
				if err == ErrWaiting {
					<-w.C()
					var done bool
					m, done, err = q.FinishReceive(w)
					if !done {
						t.Errorf("receiver woken without result")
						return
					}
				}
				if err != nil {
					t.Errorf("Receive: %v", err)
					return
				}
				mu.Lock()
				if want := fmt.Sprintf("%d/%d", s, next[s]); string(m.Text) != want {
					t.Errorf("receiver %d got %q, want %q", s, m.Text, want)
				}
				next[s]++
				seen[string(m.Text)] = true
				mu.Unlock()
			}
		}(rcv)
	}
	wg.Wait()
	if len(seen) != senders*perSender {
		t.Errorf("received %d distinct messages, want %d", len(seen), senders*perSender)
	}
	if info := r.Info(true); info.MsgMap != 0 || info.MsgTql != 0 {
		t.Errorf("accounting after draining: %+v", info)
	}
}

func TestSaveRestore(t *testing.T) {
	r := NewRegistry(userNS)
	setLimits(t, r, func(l *Limits) { *l = Limits{MsgMax: 100, MsgMnb: 200, MsgMni: 50} })
	creds := userCreds(1000, 1001)
	q, err := r.Get(ctx, creds, 0x1234, linux.IPC_CREAT|0640)
	if err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, auth.NewRootCredentials(userNS), q.ID(), SetRequest{UID: 2000, GID: 2001, Mode: 0660, QBytes: 150})
	for i, m := range []struct {
		typ  int64
		text string
	}{{3, "c"}, {1, "a"}, {2, "bb"}, {1, "a2"}} {
		if err := q.Send(ctx, Caller{Creds: creds, PID: int32(10 + i)}, &Message{Type: m.typ, Text: []byte(m.text)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantMsg(t, q, 3, 0, 3, "c")
	r.SetNextID(int32(sysvipc.MakeID(4, 9)))
	before, _ := q.Stat(nil, false)

	var buf bytes.Buffer
	if _, err := state.Save(stdctx.Background(), &buf, r); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(Registry)
	if _, err := state.Load(stdctx.Background(), &buf, out); err != nil {
		t.Fatalf("Load: %v", err)
	}

	if out.Limits() != r.Limits() || out.NextID() != r.NextID() {
		t.Errorf("limits/next id: %+v %d", out.Limits(), out.NextID())
	}
	// The restored msgmax is what msgsnd checks, and follows later writes.
	if got := out.MsgMax(); got != 100 {
		t.Errorf("MsgMax() after restore = %d, want 100", got)
	}
	setLimits(t, out, func(l *Limits) { l.MsgMax = 60 })
	if got := out.MsgMax(); got != 60 {
		t.Errorf("MsgMax() after restore and writing 60 = %d", got)
	}
	rq, err := out.Get(ctx, creds, 0x1234, 0)
	if err != nil {
		t.Fatalf("key lookup after restore: %v", err)
	}
	if rq.ID() != q.ID() {
		t.Errorf("id %d after restore, want %d", rq.ID(), q.ID())
	}
	after, _ := rq.Stat(nil, false)
	if after != before {
		t.Errorf("stat after restore:\n got %+v\nwant %+v", after, before)
	}
	if info := out.Info(true); info.MsgMap != 3 || info.MsgTql != 5 || info.MsgPool != 1 {
		t.Errorf("accounting after restore: %+v", info)
	}
	// The restored namespace is a new object: use credentials in it.
	restoredRoot := Caller{Creds: auth.NewRootCredentials(out.UserNamespace())}
	for _, want := range []struct {
		msgtyp int64
		text   string
	}{{2, "bb"}, {0, "a"}, {-5, "a2"}} {
		m, err := rq.Receive(ctx, restoredRoot, ReceiveRequest{Type: want.msgtyp, MaxSize: 64}, nil)
		if err != nil || string(m.Text) != want.text {
			t.Errorf("after restore, Receive(%d) = %v, %v; want %q", want.msgtyp, m, err, want.text)
		}
	}
	// The id allocator continues where it was.
	nq, err := out.Get(ctx, creds, sysvipc.IPCPrivate, 0600)
	if err != nil || nq.ID() != sysvipc.MakeID(4, 9) {
		t.Errorf("next id after restore: %v %v", nq, err)
	}
}
