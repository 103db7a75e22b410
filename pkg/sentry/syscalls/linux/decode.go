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

// The decoders of user input of this package's syscalls: pure functions from
// the bytes a handler copied in (or its raw argument values) and the limits
// they need to a validated value, or the errno Linux gives. The handlers do
// the copies, the lookups and whatever Linux checks between them; each
// decoder holds the checks Linux makes at its point of that order, and only
// those (decode_fuzz_test.go fuzzes them against reference models).
//
// A structure gVisor's ABI package has (struct mq_attr, struct sigevent) is
// copied in as that type; the others are decoded field by field at their
// Linux amd64/arm64 offsets, as the Sentry reads them (hostarch.ByteOrder).

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// decodeMqOpenAttr decodes mq_open's struct mq_attr, of which only
// mq_maxmsg and mq_msgsize count (mq_flags and mq_curmsgs are ignored, as in
// Linux). No check belongs here: Linux validates the geometry only when it
// creates the queue (mqueue_get_inode: after the descriptor, the lookup and
// queues_max), which mq.Registry.NewQueue does, and an existing queue opened
// with O_CREAT ignores even an invalid attr.
func decodeMqOpenAttr(a *linux.MqAttr) mq.Attr {
	return mq.Attr{MaxMessages: a.MqMaxmsg, MaxMessageSize: a.MqMsgsize}
}

// decodeMqSetattr decodes mq_getsetattr's new struct mq_attr, of which only
// mq_flags counts: any bit but O_NONBLOCK is EINVAL, checked before the
// descriptor as in Linux's do_mq_getsetattr. It returns the O_NONBLOCK bit
// the description gets.
func decodeMqSetattr(a *linux.MqAttr) (uint32, error) {
	if a.MqFlags&^linux.O_NONBLOCK != 0 {
		return 0, linuxerr.EINVAL
	}
	return uint32(a.MqFlags), nil
}

// notifyRequest is mq_notify's decoded struct sigevent.
type notifyRequest struct {
	// method is sigev_notify: SIGEV_NONE, SIGEV_SIGNAL or SIGEV_THREAD.
	method int32
	// signo is the signal for SIGEV_SIGNAL (0: none), the netlink socket's
	// descriptor for SIGEV_THREAD.
	signo int32
	// value is sigev_value, delivered with the signal; for SIGEV_THREAD
	// the address of the cookie.
	value uint64
}

// decodeSigevent decodes mq_notify's struct sigevent with Linux's checks
// (do_mq_notify): a method other than SIGEV_NONE, SIGEV_SIGNAL and
// SIGEV_THREAD, then for SIGEV_SIGNAL a signal outside 0..64
// (valid_signal), are EINVAL. SIGEV_THREAD's cookie and socket are the
// handler's, next.
func decodeSigevent(s *linux.Sigevent) (notifyRequest, error) {
	req := notifyRequest{method: s.Notify, signo: s.Signo, value: s.Value}
	switch req.method {
	case linux.SIGEV_NONE, linux.SIGEV_THREAD:
	case linux.SIGEV_SIGNAL:
		if req.signo < 0 || req.signo > linux.SignalMaximum {
			return notifyRequest{}, linuxerr.EINVAL
		}
	default:
		return notifyRequest{}, linuxerr.EINVAL
	}
	return req, nil
}

// struct mq_peek_attr { int offset; unsigned int msg_prio; size_t buf_len;
// void *buf; }: msg_prio is written back, the rest read.
const (
	peekAttrSize     = 24
	peekOffsetOffset = 0
	peekPrioOffset   = 4
	peekBufLenOffset = 8
	peekBufOffset    = 16
)

// peekRequest is F_MQ_PEEK's decoded struct mq_peek_attr.
type peekRequest struct {
	offset int64
	bufLen uint64
	buf    hostarch.Addr
}

// decodePeekAttr decodes F_MQ_PEEK's struct mq_peek_attr: a negative
// offset, an empty buffer or a NULL one is EINVAL (after the descriptor
// checks and the copy, which are the handler's).
func decodePeekAttr(raw *[peekAttrSize]byte) (peekRequest, error) {
	offset := int32(hostarch.ByteOrder.Uint32(raw[peekOffsetOffset:]))
	bufLen := hostarch.ByteOrder.Uint64(raw[peekBufLenOffset:])
	buf := hostarch.Addr(hostarch.ByteOrder.Uint64(raw[peekBufOffset:]))
	if offset < 0 || bufLen == 0 || buf == 0 {
		return peekRequest{}, linuxerr.EINVAL
	}
	return peekRequest{offset: int64(offset), bufLen: bufLen, buf: buf}, nil
}

// struct kcmp_epoll_slot { __u32 efd, tfd, toff; }.
const (
	kcmpEpollSlotSize = 12
	kcmpSlotEfdOffset = 0
	kcmpSlotTfdOffset = 4
	kcmpSlotToffOff   = 8
)

// kcmpEpollSlot is KCMP_EPOLL_TFD's decoded struct kcmp_epoll_slot.
type kcmpEpollSlot struct {
	// efd is the epoll descriptor in the second task, unsigned as in
	// Linux (above INT_MAX it names no file: EBADF).
	efd uint32
	// tfd is the registered descriptor number, which Linux's
	// ep_find_tfd compares as an int.
	tfd int32
	// toff picks among the registrations under tfd.
	toff uint32
}

// decodeKcmpEpollSlot decodes KCMP_EPOLL_TFD's struct kcmp_epoll_slot. Every
// value is valid here: Linux's errors (EBADF, EINVAL, ENOENT) come from the
// lookups, which are the handler's.
func decodeKcmpEpollSlot(raw *[kcmpEpollSlotSize]byte) kcmpEpollSlot {
	return kcmpEpollSlot{
		efd:  hostarch.ByteOrder.Uint32(raw[kcmpSlotEfdOffset:]),
		tfd:  int32(hostarch.ByteOrder.Uint32(raw[kcmpSlotTfdOffset:])),
		toff: hostarch.ByteOrder.Uint32(raw[kcmpSlotToffOff:]),
	}
}

// checkMsgsnd validates msgsnd's arguments once mtype is read, as Linux's
// do_msgsnd: a size above msgmax (compared as size_t, msgmax converted) or
// negative as a long, or a negative id, then an mtype below 1, are EINVAL.
// It is on the send path and must not allocate.
func checkMsgsnd(id int32, size uint, mtype int64, msgMax int32) error {
	if uint64(size) > uint64(msgMax) || int64(size) < 0 || id < 0 {
		return linuxerr.EINVAL
	}
	if mtype < 1 {
		return linuxerr.EINVAL
	}
	return nil
}

// checkMsgrcv validates msgrcv's arguments before the queue lookup, as
// Linux's do_msgrcv: a negative id or a size negative as a long, then
// MSG_COPY with MSG_EXCEPT or without IPC_NOWAIT, are EINVAL. (MSG_COPY's
// read of the caller's buffer, msgCopyMax bytes, comes next.) It is on the
// receive path and must not allocate.
func checkMsgrcv(id int32, size uint, flag int32) error {
	if id < 0 || int64(size) < 0 {
		return linuxerr.EINVAL
	}
	if flag&linux.MSG_COPY != 0 && (flag&linux.MSG_EXCEPT != 0 || flag&linux.IPC_NOWAIT == 0) {
		return linuxerr.EINVAL
	}
	return nil
}

// msgCopyMax is, for msgrcv with MSG_COPY, how much of a message Linux's
// copy buffer holds: min(msgsz, msgmax) as size_t (prepare_copy).
func msgCopyMax(size uint, msgMax int32) uint64 {
	return min(uint64(size), uint64(msgMax))
}
