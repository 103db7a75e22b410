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

package linux

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// Fuzz targets and table tests of the decoders in decode.go. Each decoder is
// checked against a reference model written here the plain way, from
// Linux's C (ipc/mqueue.c, ipc/msg.c, kernel/kcmp.c), and, where a structure
// is decoded, against an independent decoding of the same bytes
// (encoding/binary over a Go mirror of the C struct) and an encode→decode
// round trip. struct mq_attr and struct sigevent reach their decoders as
// gVisor's ABI types, unmarshalled from the bytes as CopyIn does, so that
// check covers gVisor's layout of them too.

// padTo returns data cut or zero-padded to n bytes.
func padTo(data []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, data)
	return out
}

// cMqAttr mirrors struct mq_attr { long mq_flags, mq_maxmsg, mq_msgsize,
// mq_curmsgs; long __reserved[4]; }.
type cMqAttr struct {
	Flags, Maxmsg, Msgsize, Curmsgs int64
	Reserved                        [4]int64
}

// cSigevent mirrors struct sigevent { sigval_t sigev_value; int
// sigev_signo, sigev_notify; union { int _pad[12]; int _tid; ... }
// _sigev_un; }, the union as _pad (_tid is _pad[0]).
type cSigevent struct {
	Value         uint64
	Signo, Notify int32
	Pad           [12]int32
}

// sizeofMqAttr and sizeofSigevent are the C sizes, which fuzz inputs are
// cut or padded to.
var (
	sizeofMqAttr   = binary.Size(cMqAttr{})
	sizeofSigevent = binary.Size(cSigevent{})
)

// encodeMqAttr is a struct mq_attr in the C layout.
func encodeMqAttr(flags, maxmsg, msgsize, curmsgs int64) []byte {
	return encodeC(cMqAttr{Flags: flags, Maxmsg: maxmsg, Msgsize: msgsize, Curmsgs: curmsgs})
}

// encodeSigevent is a struct sigevent in the C layout.
func encodeSigevent(value uint64, signo, notify, tid int32) []byte {
	return encodeC(cSigevent{Value: value, Signo: signo, Notify: notify, Pad: [12]int32{tid}})
}

// copyInMqAttr is what linux.MqAttr.CopyIn reads from raw, the handlers'
// copy.
func copyInMqAttr(raw []byte) *linux.MqAttr {
	var a linux.MqAttr
	a.UnmarshalUnsafe(raw)
	return &a
}

// copyInSigevent is what linux.Sigevent.CopyIn reads from raw.
func copyInSigevent(raw []byte) *linux.Sigevent {
	var s linux.Sigevent
	s.UnmarshalUnsafe(raw)
	return &s
}

// cPeekAttr mirrors struct mq_peek_attr field by field.
type cPeekAttr struct {
	Offset  int32
	MsgPrio uint32
	BufLen  uint64
	Buf     uint64
}

// cKcmpEpollSlot mirrors struct kcmp_epoll_slot.
type cKcmpEpollSlot struct {
	Efd, Tfd, Toff uint32
}

// encodeC is v in the target's C layout (the mirrors have no padding).
func encodeC(v any) []byte {
	var b bytes.Buffer
	if err := binary.Write(&b, hostarch.ByteOrder, v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// decodeC reads raw into v, the reference decoding of a mirror.
func decodeC(raw []byte, v any) {
	if err := binary.Read(bytes.NewReader(raw), hostarch.ByteOrder, v); err != nil {
		panic(err)
	}
}

// sameErr reports whether got is want: both nil, or the same linuxerr
// value (errnos are compared by identity, as linuxerr.Equals does).
func sameErr(got, want error) bool {
	return got == want
}

func TestDecoderLayouts(t *testing.T) {
	if n := (*linux.MqAttr)(nil).SizeBytes(); n != sizeofMqAttr || n != 64 {
		t.Errorf("sizeof(struct mq_attr) = 64, C mirror %d, linux.MqAttr %d", sizeofMqAttr, n)
	}
	if n := (*linux.Sigevent)(nil).SizeBytes(); n != sizeofSigevent || n != 64 {
		t.Errorf("sizeof(struct sigevent) = 64, C mirror %d, linux.Sigevent %d", sizeofSigevent, n)
	}
	if n := binary.Size(cPeekAttr{}); n != peekAttrSize {
		t.Errorf("sizeof(struct mq_peek_attr) = %d, decoder uses %d", n, peekAttrSize)
	}
	if n := binary.Size(cKcmpEpollSlot{}); n != kcmpEpollSlotSize {
		t.Errorf("sizeof(struct kcmp_epoll_slot) = %d, decoder uses %d", n, kcmpEpollSlotSize)
	}
	// mq_peek writes msg_prio back at peekPrioOffset.
	raw := encodeC(cPeekAttr{MsgPrio: 0xa1b2c3d4})
	if got := hostarch.ByteOrder.Uint32(raw[peekPrioOffset:]); got != 0xa1b2c3d4 {
		t.Errorf("msg_prio not at offset %d", peekPrioOffset)
	}
}

// --- mq_open's struct mq_attr -------------------------------------------

// Linux's sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node) on
// 64-bit, for the model's overflow check.
const (
	refSizeofMsgMsg   = 48
	refSizeofTreeNode = 48
)

// refMqAttrOK is Linux's validation of a new queue's geometry
// (mqueue_get_inode), in its order, unsigned long arithmetic included.
func refMqAttrOK(maxmsg, msgsize int64, l mq.Limits, capSysResource bool) error {
	if maxmsg <= 0 || msgsize <= 0 {
		return linuxerr.EINVAL
	}
	if capSysResource {
		if maxmsg > linux.HARD_MSGMAX || msgsize > linux.HARD_MSGSIZEMAX {
			return linuxerr.EINVAL
		}
	} else if maxmsg > l.MsgMax || msgsize > l.MsgSizeMax {
		return linuxerr.EINVAL
	}
	if uint64(msgsize) > math.MaxUint64/uint64(maxmsg) {
		return linuxerr.EOVERFLOW
	}
	tree := uint64(maxmsg)*refSizeofMsgMsg + uint64(min(maxmsg, linux.MQ_PRIO_MAX))*refSizeofTreeNode
	total := uint64(maxmsg) * uint64(msgsize)
	if total+tree < total {
		return linuxerr.EOVERFLOW
	}
	return nil
}

type nopRegistryImpl struct{}

func (nopRegistryImpl) Bind(*mq.Registry)       {}
func (nopRegistryImpl) Destroy(context.Context) {}

var fuzzUserNS = auth.NewRootUserNamespace()

// createWithAttr decodes raw as mq_open's attr and creates a queue with it
// in a fresh namespace whose limits are msgMax and msgSizeMax (clamped into
// the sysctl's bounds), as root (CAP_SYS_RESOURCE) or as an ordinary user.
// It returns the decoded attr, the limits used and NewQueue's result.
func createWithAttr(t *testing.T, raw []byte, msgMax, msgSizeMax int64, capSysResource bool) (mq.Attr, mq.Limits, *mq.Queue, error) {
	attr := decodeMqOpenAttr(copyInMqAttr(raw))
	r := mq.NewRegistry(fuzzUserNS, nopRegistryImpl{})
	clamp := func(v, lo, hi int64) int64 { return max(lo, min(hi, v)) }
	if err := r.UpdateLimits(func(l *mq.Limits) {
		l.MsgMax = clamp(msgMax, mq.MsgMaxMin, mq.MsgMaxHard)
		l.MsgSizeMax = clamp(msgSizeMax, mq.MsgSizeMaxMin, mq.MsgSizeMaxHard)
	}); err != nil {
		t.Fatalf("UpdateLimits: %v", err)
	}
	creds := auth.NewRootCredentials(fuzzUserNS)
	if !capSysResource {
		creds = auth.NewUserCredentials(1000, 1000, nil, nil, fuzzUserNS)
	}
	ctx := auth.ContextWithCredentials(context.Background(), creds)
	a := attr
	q, err := r.NewQueue(ctx, "q", &a)
	return attr, r.Limits(), q, err
}

// FuzzMqOpenAttr decodes arbitrary bytes as mq_open's struct mq_attr and
// creates a queue with them under arbitrary limits: the decoding matches
// gVisor's marshalling and survives a round trip; a queue is created exactly
// when Linux's checks (the model) pass, with the geometry asked for, within
// the limits and with a payload that cannot overflow; otherwise the errno is
// the model's.
func FuzzMqOpenAttr(f *testing.F) {
	f.Add(encodeMqAttr(0, 10, 8192, 0), int64(10), int64(8192), false)
	f.Add(encodeMqAttr(0, 11, 8192, 0), int64(10), int64(8192), false)
	f.Add(encodeMqAttr(0, 10, 8193, 0), int64(10), int64(8192), false)
	f.Add(encodeMqAttr(0, 65536, 16<<20, 0), int64(10), int64(8192), true)
	f.Add(encodeMqAttr(0, 65537, 1, 0), int64(10), int64(8192), true)
	f.Add(encodeMqAttr(linux.O_NONBLOCK, 0, 1, 5), int64(1), int64(128), false)
	f.Add(encodeMqAttr(-1, -1, math.MaxInt64, -1), int64(65536), int64(16<<20), true)
	f.Add(encodeMqAttr(0, math.MinInt64, math.MinInt64, 0), int64(0), int64(0), false)
	f.Add([]byte{}, int64(0), int64(0), true)
	f.Fuzz(func(t *testing.T, data []byte, msgMax, msgSizeMax int64, capSysResource bool) {
		raw := padTo(data, sizeofMqAttr)
		var ref cMqAttr
		decodeC(raw, &ref)

		attr, l, q, err := createWithAttr(t, raw, msgMax, msgSizeMax, capSysResource)
		if attr.MaxMessages != ref.Maxmsg || attr.MaxMessageSize != ref.Msgsize {
			t.Fatalf("decoded %+v, the C layout says maxmsg %d msgsize %d", attr, ref.Maxmsg, ref.Msgsize)
		}
		if rt := decodeMqOpenAttr(copyInMqAttr(encodeMqAttr(ref.Flags^1, attr.MaxMessages, attr.MaxMessageSize, ref.Curmsgs+1))); rt != attr {
			t.Fatalf("round trip of %+v gave %+v", attr, rt)
		}

		want := refMqAttrOK(attr.MaxMessages, attr.MaxMessageSize, l, capSysResource)
		if !sameErr(err, want) {
			t.Fatalf("attr %+v, limits %d/%d, cap %v: NewQueue gave %v, model %v", attr, l.MsgMax, l.MsgSizeMax, capSysResource, err, want)
		}
		if err != nil {
			if !linuxerr.Equals(linuxerr.EINVAL, err) {
				t.Fatalf("attr %+v rejected with %v, not EINVAL", attr, err)
			}
			return
		}
		got := q.Attr()
		maxMsgLimit, msgSizeLimit := l.MsgMax, l.MsgSizeMax
		if capSysResource {
			maxMsgLimit, msgSizeLimit = mq.MsgMaxHard, mq.MsgSizeMaxHard
		}
		if got != attr {
			t.Fatalf("queue has %+v, asked for %+v", got, attr)
		}
		if got.MaxMessages <= 0 || got.MaxMessages > maxMsgLimit || got.MaxMessageSize <= 0 || got.MaxMessageSize > msgSizeLimit {
			t.Fatalf("accepted %+v outside (0, %d] x (0, %d]", got, maxMsgLimit, msgSizeLimit)
		}
		if hi, _ := bits.Mul64(uint64(got.MaxMessages), uint64(got.MaxMessageSize)); hi != 0 {
			t.Fatalf("accepted %+v whose payload overflows", got)
		}
		q.Unlinked()
	})
}

func TestDecodeMqOpenAttr(t *testing.T) {
	for _, tc := range []struct {
		name            string
		maxmsg, msgsize int64
		msgMax, sizeMax int64
		cap             bool
		want            error
	}{
		{"within limits", 5, 100, 10, 8192, false, nil},
		{"at limits", 10, 8192, 10, 8192, false, nil},
		{"maxmsg above limit", 11, 8192, 10, 8192, false, linuxerr.EINVAL},
		{"msgsize above limit", 10, 8193, 10, 8192, false, linuxerr.EINVAL},
		{"above limits with capability", 11, 8193, 10, 8192, true, nil},
		{"at hard limits with capability", mq.MsgMaxHard, mq.MsgSizeMaxHard, 10, 8192, true, nil},
		{"maxmsg above hard limit", mq.MsgMaxHard + 1, 1, 10, 8192, true, linuxerr.EINVAL},
		{"msgsize above hard limit", 1, mq.MsgSizeMaxHard + 1, 10, 8192, true, linuxerr.EINVAL},
		{"zero maxmsg", 0, 1, 10, 8192, true, linuxerr.EINVAL},
		{"zero msgsize", 1, 0, 10, 8192, true, linuxerr.EINVAL},
		{"negative maxmsg", -1, 1, 10, 8192, true, linuxerr.EINVAL},
		{"negative msgsize", 1, -1, 10, 8192, true, linuxerr.EINVAL},
		{"minimum", 1, 1, 1, 128, false, nil},
		{"huge both", math.MaxInt64, math.MaxInt64, 10, 8192, true, linuxerr.EINVAL},
		{"most negative", math.MinInt64, math.MinInt64, 10, 8192, true, linuxerr.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// mq_flags and mq_curmsgs are ignored.
			raw := encodeMqAttr(-1, tc.maxmsg, tc.msgsize, -1)
			attr, _, q, err := createWithAttr(t, raw, tc.msgMax, tc.sizeMax, tc.cap)
			if attr != (mq.Attr{MaxMessages: tc.maxmsg, MaxMessageSize: tc.msgsize}) {
				t.Fatalf("decoded %+v", attr)
			}
			if !sameErr(err, tc.want) {
				t.Fatalf("NewQueue = %v, want %v", err, tc.want)
			}
			if q != nil {
				q.Unlinked()
			}
		})
	}
}

// --- mq_getsetattr's struct mq_attr -------------------------------------

// FuzzMqSetattr decodes arbitrary bytes as mq_getsetattr's new attributes:
// only mq_flags counts, accepted exactly when it has no bit but O_NONBLOCK,
// and then decoded to that bit; every other field is ignored.
func FuzzMqSetattr(f *testing.F) {
	f.Add(encodeMqAttr(0, 0, 0, 0))
	f.Add(encodeMqAttr(linux.O_NONBLOCK, 1, 2, 3))
	f.Add(encodeMqAttr(linux.O_NONBLOCK|1, 0, 0, 0))
	f.Add(encodeMqAttr(1<<32|linux.O_NONBLOCK, 0, 0, 0))
	f.Add(encodeMqAttr(-1, 0, 0, 0))
	f.Add(encodeMqAttr(math.MinInt64, 0, 0, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := padTo(data, sizeofMqAttr)
		var ref cMqAttr
		decodeC(raw, &ref)
		flags, err := decodeMqSetattr(copyInMqAttr(raw))
		if ref.Flags != 0 && ref.Flags != linux.O_NONBLOCK {
			if !linuxerr.Equals(linuxerr.EINVAL, err) || flags != 0 {
				t.Fatalf("mq_flags %#x: got %#x, %v; want EINVAL", ref.Flags, flags, err)
			}
			return
		}
		if err != nil || int64(flags) != ref.Flags || flags&^linux.O_NONBLOCK != 0 {
			t.Fatalf("mq_flags %#x: got %#x, %v", ref.Flags, flags, err)
		}
		rt, err := decodeMqSetattr(copyInMqAttr(encodeMqAttr(int64(flags), ref.Maxmsg^1, ref.Msgsize-1, ref.Curmsgs+1)))
		if err != nil || rt != flags {
			t.Fatalf("round trip of %#x gave %#x, %v", flags, rt, err)
		}
	})
}

func TestDecodeMqSetattr(t *testing.T) {
	for _, tc := range []struct {
		flags int64
		want  uint32
		err   error
	}{
		{0, 0, nil},
		{linux.O_NONBLOCK, linux.O_NONBLOCK, nil},
		{linux.O_NONBLOCK | linux.O_RDWR, 0, linuxerr.EINVAL},
		{linux.O_CLOEXEC, 0, linuxerr.EINVAL},
		{1 << 32, 0, linuxerr.EINVAL},
		{1<<32 | linux.O_NONBLOCK, 0, linuxerr.EINVAL},
		{-1, 0, linuxerr.EINVAL},
		{math.MinInt64, 0, linuxerr.EINVAL},
	} {
		got, err := decodeMqSetattr(copyInMqAttr(encodeMqAttr(tc.flags, -1, -1, -1)))
		if got != tc.want || !sameErr(err, tc.err) {
			t.Errorf("mq_flags %#x: got %#x, %v; want %#x, %v", tc.flags, got, err, tc.want, tc.err)
		}
	}
}

// --- mq_notify's struct sigevent ----------------------------------------

// refSigevent is do_mq_notify's check of a struct sigevent, with
// valid_signal's conversion of sigev_signo to unsigned long.
func refSigevent(s cSigevent) error {
	switch s.Notify {
	case linux.SIGEV_NONE, linux.SIGEV_THREAD:
		return nil
	case linux.SIGEV_SIGNAL:
		if uint64(int64(s.Signo)) <= 64 { // valid_signal: sig <= _NSIG
			return nil
		}
	}
	return linuxerr.EINVAL
}

// FuzzSigevent decodes arbitrary bytes as mq_notify's struct sigevent: the
// fields match the C layout and survive a round trip (whatever
// sigev_notify_thread_id and the rest of the union hold), and the request is
// accepted exactly when the model accepts it.
func FuzzSigevent(f *testing.F) {
	f.Add(encodeSigevent(0, 0, linux.SIGEV_NONE, 0))
	f.Add(encodeSigevent(0x1234, int32(linux.SIGUSR1), linux.SIGEV_SIGNAL, 0))
	f.Add(encodeSigevent(0, 64, linux.SIGEV_SIGNAL, 0))
	f.Add(encodeSigevent(0, 65, linux.SIGEV_SIGNAL, 0))
	f.Add(encodeSigevent(0, -1, linux.SIGEV_SIGNAL, 0))
	f.Add(encodeSigevent(0x7f0000001000, 3, linux.SIGEV_THREAD, 0))
	f.Add(encodeSigevent(0, -1, linux.SIGEV_THREAD, 0))
	f.Add(encodeSigevent(0, int32(linux.SIGUSR1), linux.SIGEV_THREAD_ID, 1))
	f.Add(encodeSigevent(0, 0, -1, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := padTo(data, sizeofSigevent)
		var ref cSigevent
		decodeC(raw, &ref)
		req, err := decodeSigevent(copyInSigevent(raw))
		want := refSigevent(ref)
		if !sameErr(err, want) {
			t.Fatalf("%+v: got %v, model %v", ref, err, want)
		}
		if err != nil {
			if req != (notifyRequest{}) {
				t.Fatalf("%+v: rejected but returned %+v", ref, req)
			}
			return
		}
		if req != (notifyRequest{method: ref.Notify, signo: ref.Signo, value: ref.Value}) {
			t.Fatalf("decoded %+v, the C layout says %+v", req, ref)
		}
		if req.method == linux.SIGEV_SIGNAL && (req.signo < 0 || req.signo > linux.SignalMaximum) {
			t.Fatalf("accepted signal %d", req.signo)
		}
		rt, err := decodeSigevent(copyInSigevent(encodeSigevent(req.value, req.signo, req.method, ref.Pad[0]^1)))
		if err != nil || rt != req {
			t.Fatalf("round trip of %+v gave %+v, %v", req, rt, err)
		}
	})
}

func TestDecodeSigevent(t *testing.T) {
	for _, tc := range []struct {
		name          string
		signo, notify int32
		err           error
	}{
		{"none ignores signo", -5, linux.SIGEV_NONE, nil},
		{"signal 0", 0, linux.SIGEV_SIGNAL, nil},
		{"signal 1", 1, linux.SIGEV_SIGNAL, nil},
		{"signal 64", 64, linux.SIGEV_SIGNAL, nil},
		{"signal 65", 65, linux.SIGEV_SIGNAL, linuxerr.EINVAL},
		{"signal -1", -1, linux.SIGEV_SIGNAL, linuxerr.EINVAL},
		{"signal min int", math.MinInt32, linux.SIGEV_SIGNAL, linuxerr.EINVAL},
		{"thread with any fd", -1, linux.SIGEV_THREAD, nil},
		{"thread id", 1, linux.SIGEV_THREAD_ID, linuxerr.EINVAL},
		{"method 3", 1, 3, linuxerr.EINVAL},
		{"method -1", 1, -1, linuxerr.EINVAL},
	} {
		req, err := decodeSigevent(copyInSigevent(encodeSigevent(0xdead, tc.signo, tc.notify, 7)))
		if !sameErr(err, tc.err) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.err)
		}
		if err == nil && req != (notifyRequest{method: tc.notify, signo: tc.signo, value: 0xdead}) {
			t.Errorf("%s: decoded %+v", tc.name, req)
		}
	}
}

// --- fcntl F_MQ_PEEK's struct mq_peek_attr ------------------------------

// FuzzMqPeekAttr decodes arbitrary bytes as struct mq_peek_attr: the fields
// match encoding/binary's reading of the C layout and survive a round trip
// (whatever msg_prio holds), and the request is accepted exactly when the
// offset is not negative and the buffer is neither empty nor NULL.
func FuzzMqPeekAttr(f *testing.F) {
	f.Add(encodeC(cPeekAttr{Offset: 0, BufLen: 64, Buf: 0x10000}))
	f.Add(encodeC(cPeekAttr{Offset: -1, BufLen: 64, Buf: 0x10000}))
	f.Add(encodeC(cPeekAttr{Offset: math.MaxInt32, MsgPrio: 5, BufLen: math.MaxUint64, Buf: math.MaxUint64}))
	f.Add(encodeC(cPeekAttr{Offset: 3, BufLen: 0, Buf: 0x10000}))
	f.Add(encodeC(cPeekAttr{Offset: 3, BufLen: 1, Buf: 0}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := padTo(data, peekAttrSize)
		var ref cPeekAttr
		decodeC(raw, &ref)
		req, err := decodePeekAttr((*[peekAttrSize]byte)(raw))
		if ref.Offset < 0 || ref.BufLen == 0 || ref.Buf == 0 {
			if !linuxerr.Equals(linuxerr.EINVAL, err) || req != (peekRequest{}) {
				t.Fatalf("%+v: got %+v, %v; want EINVAL", ref, req, err)
			}
			return
		}
		want := peekRequest{offset: int64(ref.Offset), bufLen: ref.BufLen, buf: hostarch.Addr(ref.Buf)}
		if err != nil || req != want {
			t.Fatalf("%+v: got %+v, %v; want %+v", ref, req, err, want)
		}
		if req.offset < 0 || req.offset > math.MaxInt32 || req.bufLen == 0 || req.buf == 0 {
			t.Fatalf("accepted %+v", req)
		}
		rt, err := decodePeekAttr((*[peekAttrSize]byte)(encodeC(cPeekAttr{Offset: int32(req.offset), MsgPrio: ref.MsgPrio ^ 1, BufLen: req.bufLen, Buf: uint64(req.buf)})))
		if err != nil || rt != req {
			t.Fatalf("round trip of %+v gave %+v, %v", req, rt, err)
		}
	})
}

func TestDecodePeekAttr(t *testing.T) {
	for _, tc := range []struct {
		in  cPeekAttr
		err error
	}{
		{cPeekAttr{Offset: 0, BufLen: 1, Buf: 1}, nil},
		{cPeekAttr{Offset: math.MaxInt32, MsgPrio: math.MaxUint32, BufLen: math.MaxUint64, Buf: math.MaxUint64}, nil},
		{cPeekAttr{Offset: -1, BufLen: 1, Buf: 1}, linuxerr.EINVAL},
		{cPeekAttr{Offset: math.MinInt32, BufLen: 1, Buf: 1}, linuxerr.EINVAL},
		{cPeekAttr{Offset: 0, BufLen: 0, Buf: 1}, linuxerr.EINVAL},
		{cPeekAttr{Offset: 0, BufLen: 1, Buf: 0}, linuxerr.EINVAL},
	} {
		req, err := decodePeekAttr((*[peekAttrSize]byte)(encodeC(tc.in)))
		if !sameErr(err, tc.err) {
			t.Errorf("%+v: got %v, want %v", tc.in, err, tc.err)
		}
		if err == nil && req != (peekRequest{offset: int64(tc.in.Offset), bufLen: tc.in.BufLen, buf: hostarch.Addr(tc.in.Buf)}) {
			t.Errorf("%+v: decoded %+v", tc.in, req)
		}
	}
}

// --- kcmp KCMP_EPOLL_TFD's struct kcmp_epoll_slot -----------------------

// FuzzKcmpEpollSlot decodes arbitrary bytes as struct kcmp_epoll_slot: every
// slot is valid, efd and toff stay unsigned, tfd is read as Linux's int, and
// the fields match encoding/binary's reading and survive a round trip.
func FuzzKcmpEpollSlot(f *testing.F) {
	f.Add(encodeC(cKcmpEpollSlot{Efd: 3, Tfd: 4, Toff: 0}))
	f.Add(encodeC(cKcmpEpollSlot{Efd: math.MaxUint32, Tfd: math.MaxUint32, Toff: math.MaxUint32}))
	f.Add(encodeC(cKcmpEpollSlot{Efd: 1 << 31, Tfd: 1 << 31, Toff: 1 << 31}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := padTo(data, kcmpEpollSlotSize)
		var ref cKcmpEpollSlot
		decodeC(raw, &ref)
		slot := decodeKcmpEpollSlot((*[kcmpEpollSlotSize]byte)(raw))
		if want := (kcmpEpollSlot{efd: ref.Efd, tfd: int32(ref.Tfd), toff: ref.Toff}); slot != want {
			t.Fatalf("%+v: decoded %+v, want %+v", ref, slot, want)
		}
		if (slot.tfd < 0) != (ref.Tfd > math.MaxInt32) {
			t.Fatalf("tfd %#x decoded to %d", ref.Tfd, slot.tfd)
		}
		rt := decodeKcmpEpollSlot((*[kcmpEpollSlotSize]byte)(encodeC(cKcmpEpollSlot{Efd: slot.efd, Tfd: uint32(slot.tfd), Toff: slot.toff})))
		if rt != slot {
			t.Fatalf("round trip of %+v gave %+v", slot, rt)
		}
	})
}

func TestDecodeKcmpEpollSlot(t *testing.T) {
	for _, tc := range []struct {
		in   cKcmpEpollSlot
		want kcmpEpollSlot
	}{
		{cKcmpEpollSlot{0, 0, 0}, kcmpEpollSlot{0, 0, 0}},
		{cKcmpEpollSlot{3, 4, 5}, kcmpEpollSlot{3, 4, 5}},
		{cKcmpEpollSlot{math.MaxUint32, math.MaxUint32, math.MaxUint32}, kcmpEpollSlot{math.MaxUint32, -1, math.MaxUint32}},
		{cKcmpEpollSlot{1 << 31, 1 << 31, 1 << 31}, kcmpEpollSlot{1 << 31, math.MinInt32, 1 << 31}},
	} {
		if got := decodeKcmpEpollSlot((*[kcmpEpollSlotSize]byte)(encodeC(tc.in))); got != tc.want {
			t.Errorf("%+v: decoded %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// --- msgsnd and msgrcv --------------------------------------------------

// refMsgsnd is do_msgsnd's check, once mtype is read: msgsz is a size_t
// compared with the int msg_ctlmax (converted to size_t) and as a long.
func refMsgsnd(id int32, size uint64, mtype int64, msgMax int32) error {
	ctlmax := uint64(int64(msgMax)) // int -> size_t: sign-extended
	if size > ctlmax || int64(size) < 0 || id < 0 {
		return linuxerr.EINVAL
	}
	if mtype < 1 {
		return linuxerr.EINVAL
	}
	return nil
}

// FuzzMsgsndArgs checks checkMsgsnd against the model: an accepted send has
// a valid id, a positive mtype and a size within msgmax.
func FuzzMsgsndArgs(f *testing.F) {
	f.Add(int32(0), uint64(0), int64(1), int32(8192))
	f.Add(int32(5), uint64(8192), int64(1), int32(8192))
	f.Add(int32(5), uint64(8193), int64(1), int32(8192))
	f.Add(int32(-1), uint64(1), int64(1), int32(8192))
	f.Add(int32(1), uint64(1), int64(0), int32(8192))
	f.Add(int32(1), uint64(1), int64(math.MinInt64), int32(8192))
	f.Add(int32(1), uint64(1)<<63, int64(1), int32(-1))
	f.Add(int32(1), uint64(math.MaxUint64), int64(1), int32(math.MaxInt32))
	f.Add(int32(1), uint64(0), int64(1), int32(0))
	f.Fuzz(func(t *testing.T, id int32, size uint64, mtype int64, msgMax int32) {
		err := checkMsgsnd(id, uint(size), mtype, msgMax)
		if want := refMsgsnd(id, size, mtype, msgMax); !sameErr(err, want) {
			t.Fatalf("checkMsgsnd(%d, %d, %d, %d) = %v, model %v", id, size, mtype, msgMax, err, want)
		}
		if err == nil && (id < 0 || mtype < 1 || size > math.MaxInt64) {
			t.Fatalf("checkMsgsnd(%d, %d, %d, %d) accepted", id, size, mtype, msgMax)
		}
		// msgmax is never negative (msgqueue.Limits refuses it, as the
		// sysctl does); a negative one would be a huge size_t.
		if err == nil && msgMax >= 0 && size > uint64(msgMax) {
			t.Fatalf("checkMsgsnd(%d, %d, %d, %d) accepted a size above msgmax", id, size, mtype, msgMax)
		}
	})
}

func TestCheckMsgsnd(t *testing.T) {
	const msgMax = 8192
	for _, tc := range []struct {
		id     int32
		size   uint64
		mtype  int64
		msgMax int32
		err    error
	}{
		{0, 0, 1, msgMax, nil},
		{math.MaxInt32, msgMax, math.MaxInt64, msgMax, nil},
		{0, msgMax + 1, 1, msgMax, linuxerr.EINVAL},
		{0, 1 << 63, 1, msgMax, linuxerr.EINVAL},
		{0, math.MaxUint64, 1, msgMax, linuxerr.EINVAL},
		{-1, 0, 1, msgMax, linuxerr.EINVAL},
		{0, 0, 0, msgMax, linuxerr.EINVAL},
		{0, 0, -1, msgMax, linuxerr.EINVAL},
		{0, 0, 1, 0, nil},
		{0, 1, 1, 0, linuxerr.EINVAL},
		// A negative msgmax (which the sysctl refuses) is a huge size_t:
		// only the long check is left.
		{0, math.MaxInt64, 1, -1, nil},
		{0, 1 << 63, 1, -1, linuxerr.EINVAL},
	} {
		if err := checkMsgsnd(tc.id, uint(tc.size), tc.mtype, tc.msgMax); !sameErr(err, tc.err) {
			t.Errorf("checkMsgsnd(%d, %d, %d, %d) = %v, want %v", tc.id, tc.size, tc.mtype, tc.msgMax, err, tc.err)
		}
	}
}

// refMsgrcv is do_msgrcv's checks before the copy buffer and the lookup.
func refMsgrcv(id int32, size uint64, flag int32) error {
	if id < 0 || int64(size) < 0 {
		return linuxerr.EINVAL
	}
	if flag&linux.MSG_COPY != 0 {
		if flag&linux.MSG_EXCEPT != 0 || flag&linux.IPC_NOWAIT == 0 {
			return linuxerr.EINVAL
		}
	}
	return nil
}

// FuzzMsgrcvArgs checks checkMsgrcv against the model, and that MSG_COPY's
// copy buffer is min(msgsz, msgmax) as size_t.
func FuzzMsgrcvArgs(f *testing.F) {
	f.Add(int32(0), uint64(0), int32(0), int32(8192))
	f.Add(int32(1), uint64(100), int32(linux.MSG_COPY|linux.IPC_NOWAIT), int32(8192))
	f.Add(int32(1), uint64(100000), int32(linux.MSG_COPY|linux.IPC_NOWAIT), int32(8192))
	f.Add(int32(1), uint64(100), int32(linux.MSG_COPY), int32(8192))
	f.Add(int32(1), uint64(100), int32(linux.MSG_COPY|linux.IPC_NOWAIT|linux.MSG_EXCEPT), int32(8192))
	f.Add(int32(1), uint64(100), int32(linux.MSG_EXCEPT|linux.MSG_NOERROR), int32(8192))
	f.Add(int32(-1), uint64(0), int32(0), int32(8192))
	f.Add(int32(1), uint64(1)<<63, int32(0), int32(8192))
	f.Add(int32(1), uint64(5), int32(-1), int32(-1))
	f.Fuzz(func(t *testing.T, id int32, size uint64, flag int32, msgMax int32) {
		err := checkMsgrcv(id, uint(size), flag)
		if want := refMsgrcv(id, size, flag); !sameErr(err, want) {
			t.Fatalf("checkMsgrcv(%d, %d, %#x) = %v, model %v", id, size, flag, err, want)
		}
		if err == nil && (id < 0 || size > math.MaxInt64 ||
			flag&linux.MSG_COPY != 0 && (flag&linux.IPC_NOWAIT == 0 || flag&linux.MSG_EXCEPT != 0)) {
			t.Fatalf("checkMsgrcv(%d, %d, %#x) accepted", id, size, flag)
		}
		n := msgCopyMax(uint(size), msgMax)
		want := size
		if ctlmax := uint64(int64(msgMax)); ctlmax < size {
			want = ctlmax
		}
		if n != want || n > size {
			t.Fatalf("msgCopyMax(%d, %d) = %d, want %d", size, msgMax, n, want)
		}
	})
}

func TestCheckMsgrcv(t *testing.T) {
	for _, tc := range []struct {
		id   int32
		size uint64
		flag int32
		err  error
	}{
		{0, 0, 0, nil},
		{0, math.MaxInt64, 0, nil},
		{0, 1 << 63, 0, linuxerr.EINVAL},
		{-1, 0, 0, linuxerr.EINVAL},
		{0, 8, linux.IPC_NOWAIT | linux.MSG_NOERROR | linux.MSG_EXCEPT, nil},
		{0, 8, linux.MSG_COPY | linux.IPC_NOWAIT, nil},
		{0, 8, linux.MSG_COPY | linux.IPC_NOWAIT | linux.MSG_NOERROR, nil},
		{0, 8, linux.MSG_COPY, linuxerr.EINVAL},
		{0, 8, linux.MSG_COPY | linux.MSG_EXCEPT | linux.IPC_NOWAIT, linuxerr.EINVAL},
		// Unknown bits are ignored, as in Linux.
		{0, 8, 1 << 30, nil},
	} {
		if err := checkMsgrcv(tc.id, uint(tc.size), tc.flag); !sameErr(err, tc.err) {
			t.Errorf("checkMsgrcv(%d, %d, %#x) = %v, want %v", tc.id, tc.size, tc.flag, err, tc.err)
		}
	}
	if got := msgCopyMax(100, 8192); got != 100 {
		t.Errorf("msgCopyMax(100, 8192) = %d", got)
	}
	if got := msgCopyMax(100000, 8192); got != 8192 {
		t.Errorf("msgCopyMax(100000, 8192) = %d", got)
	}
}

// TestDecodersDoNotAllocate: the send and receive paths call these.
func TestDecodersDoNotAllocate(t *testing.T) {
	var mqattr linux.MqAttr
	sev := linux.Sigevent{Notify: 0x7f} // EINVAL
	var peek [peekAttrSize]byte
	var slot [kcmpEpollSlotSize]byte
	var sink error
	if n := testing.AllocsPerRun(100, func() {
		sink = checkMsgsnd(-1, 1, 0, 8192)
		sink = checkMsgsnd(1, 1, 1, 8192)
		sink = checkMsgrcv(1, 1, linux.MSG_COPY)
		sink = checkMsgrcv(1, 1, 0)
		_, sink = decodeMqSetattr(&mqattr)
		_ = decodeMqOpenAttr(&mqattr)
		_, sink = decodeSigevent(&sev)
		_, sink = decodePeekAttr(&peek)
		_ = decodeKcmpEpollSlot(&slot)
		_ = msgCopyMax(1, 2)
	}); n != 0 {
		t.Errorf("decoders allocate %v times per run", n)
	}
	_ = sink
}
