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
	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/marshal/primitive"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// sizeofMtype is sizeof(long), the mtype that precedes mtext in struct
// msgbuf.
const sizeofMtype = 8

// sizeofMsginfo is sizeof(struct msginfo), trailing padding included: what
// Linux copies out for IPC_INFO and MSG_INFO.
const sizeofMsginfo = 32

// msgQueues returns the System V message queue registry of t's IPC
// namespace. The kernel declares it as gVisor's *msgqueue.Registry, which
// the runsc build aliases to ours; asking through msgqueue.Namespace keeps
// this package compiling against unmodified gVisor too (see posixQueues).
func msgQueues(t *kernel.Task) *msgqueue.Registry {
	ns, ok := any(t.IPCNamespace()).(msgqueue.Namespace)
	if !ok {
		panic("mqsentry: kernel built without mqsentry's kernel/msgqueue shim")
	}
	return ns.MsgqueueRegistry()
}

// msgCaller describes t to the queues: credentials, and its ids in the root
// PID namespace so that every reader can translate them into its own.
func msgCaller(t *kernel.Task) msgqueue.Caller {
	c := msgSender(t)
	c.TID = int32(t.Kernel().TaskSet().Root.IDOfTask(t))
	return c
}

// msgSender is msgCaller without TID, which only a blocked receiver needs.
func msgSender(t *kernel.Task) msgqueue.Caller {
	return msgqueue.Caller{
		Creds: t.Credentials(),
		PID:   int32(t.Kernel().TaskSet().Root.IDOfThreadGroup(t.ThreadGroup())),
	}
}

// msgBlockInterrupted is what a blocked msgsnd or msgrcv returns when its
// wait is interrupted. For a signal it is Linux's -ERESTARTNOHAND: EINTR
// when a handler runs (SA_RESTART or not: SysV calls are never restarted
// after a handler), the same call again otherwise (a stop signal).
//
// A checkpoint interrupts the wait too, but must be invisible: the task
// resumes through restart, which holds the queue it was blocked on, so a
// queue removed before the task waits again gives EIDRM as it would have
// had the task never left its wait, not the EINVAL of a fresh lookup.
func msgBlockInterrupted(t *kernel.Task, restart kernel.SyscallRestartBlock) error {
	if t.Kernel().IsPaused() {
		t.SetSyscallRestartBlock(restart)
		return linuxerr.ERESTART_RESTARTBLOCK
	}
	return linuxerr.ERESTARTNOHAND
}

// msgsndRestart resumes a msgsnd interrupted by a checkpoint.
//
// +stateify savable
type msgsndRestart struct {
	queue *msgqueue.Queue
	addr  hostarch.Addr
	size  uint
	flag  int32
}

// Restart implements kernel.SyscallRestartBlock.Restart.
func (r *msgsndRestart) Restart(t *kernel.Task) (uintptr, error) {
	msg, err := msgCopyIn(t, msgQueues(t), int32(r.queue.ID()), r.addr, r.size)
	if err != nil {
		return 0, err
	}
	return 0, msgSendTo(t, r.queue, msg, *r)
}

// msgrcvRestart resumes a msgrcv interrupted by a checkpoint.
//
// +stateify savable
type msgrcvRestart struct {
	queue  *msgqueue.Queue
	addr   hostarch.Addr
	size   uint
	msgtyp int64
	flag   int32
}

// Restart implements kernel.SyscallRestartBlock.Restart.
func (r *msgrcvRestart) Restart(t *kernel.Task) (uintptr, error) {
	return msgReceiveFrom(t, r.queue, *r)
}

// Msgget implements msgget(2).
func Msgget(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	key := sysvipc.Key(args[0].Int())
	flag := args[1].Int()

	q, err := msgQueues(t).Get(t, t.Credentials(), key, flag)
	if err != nil {
		return 0, nil, err
	}
	return uintptr(q.ID()), nil, nil
}

// Msgsnd implements msgsnd(2). Linux reads mtype before anything else, then
// checks the size, id and type, then reads mtext, then looks the queue up.
func Msgsnd(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	id := args[0].Int()
	addr := args[1].Pointer()
	size := args[2].SizeT()
	flag := args[3].Int()

	r := msgQueues(t)
	msg, err := msgCopyIn(t, r, id, addr, size)
	if err != nil {
		return 0, nil, err
	}
	q, err := r.FindByID(sysvipc.ID(id))
	if err != nil {
		return 0, nil, err
	}

	return 0, nil, msgSendTo(t, q, msg, msgsndRestart{queue: q, addr: addr, size: size, flag: flag})
}

// msgSendTo queues msg on q as call describes, waiting for room unless
// IPC_NOWAIT.
func msgSendTo(t *kernel.Task, q *msgqueue.Queue, msg *msgqueue.Message, call msgsndRestart) error {
	// Try without a waiter first: only a full queue needs one.
	c := msgSender(t)
	err := q.Send(t, c, msg, nil)
	if err != linuxerr.EAGAIN || call.flag&linux.IPC_NOWAIT != 0 {
		return err
	}
	w := msgqueue.GetWaiter()
	defer msgqueue.PutWaiter(w)
	if err := q.Send(t, c, msg, w); err != msgqueue.ErrWaiting {
		return err
	}
	t.Block(w.C())
	if done, err := q.FinishSend(w); done {
		return err
	}
	// A copy, so that only an interrupted call pays for a restart block
	// on the heap (&call would move every call's argument there).
	restart := call
	return msgBlockInterrupted(t, &restart)
}

// msgCopyIn reads msgsnd's message, with Linux's order of checks (see
// Msgsnd and checkMsgsnd). A small message is read with mtype in one copy;
// if that copy fails, the reads are done again one by one for Linux's error
// (when it succeeds, mtype was readable and mtext would have been: the
// checks between give what they would have).
func msgCopyIn(t *kernel.Task, r *msgqueue.Registry, id int32, addr hostarch.Addr, size uint) (*msgqueue.Message, error) {
	msgMax := r.MsgMax()
	if size <= msgScratchText {
		buf := t.CopyScratchBuffer(sizeofMtype + msgScratchText)[:sizeofMtype+size]
		if _, err := t.CopyInBytes(addr, buf); err == nil {
			mtype := int64(hostarch.ByteOrder.Uint64(buf))
			if err := checkMsgsnd(id, size, mtype, msgMax); err != nil {
				return nil, err
			}
			msg := &msgqueue.Message{Type: mtype, Text: make([]byte, size)}
			copy(msg.Text, buf[sizeofMtype:])
			return msg, nil
		}
	}
	var mtype primitive.Int64
	if _, err := mtype.CopyIn(t, addr); err != nil {
		return nil, err
	}
	if err := checkMsgsnd(id, size, int64(mtype), msgMax); err != nil {
		return nil, err
	}
	msg := &msgqueue.Message{Type: int64(mtype), Text: make([]byte, size)}
	if size > 0 {
		if _, err := t.CopyInBytes(addr+sizeofMtype, msg.Text); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// msgScratchText is the longest mtext copied with its mtype through the
// task's scratch buffer (144 bytes).
const msgScratchText = 128

// Msgrcv implements msgrcv(2).
func Msgrcv(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	id := args[0].Int()
	addr := args[1].Pointer()
	size := args[2].SizeT()
	msgtyp := args[3].Int64()
	flag := args[4].Int()

	if err := checkMsgrcv(id, size, flag); err != nil {
		return 0, nil, err
	}
	r := msgQueues(t)
	if flag&linux.MSG_COPY != 0 {
		// Linux loads a copy buffer from the caller's msgbuf first
		// (prepare_copy): a bad buffer fails before the lookup.
		if err := probeUserRead(t, addr, msgCopyMax(size, r.MsgMax())); err != nil {
			return 0, nil, err
		}
	}
	q, err := r.FindByID(sysvipc.ID(id))
	if err != nil {
		return 0, nil, err
	}

	n, err := msgReceiveFrom(t, q, msgrcvRestart{queue: q, addr: addr, size: size, msgtyp: msgtyp, flag: flag})
	return n, nil, err
}

// msgReceiveFrom takes the message call asks for from q, waiting for one
// unless IPC_NOWAIT or MSG_COPY, and copies it out.
func msgReceiveFrom(t *kernel.Task, q *msgqueue.Queue, call msgrcvRestart) (uintptr, error) {
	req := msgqueue.ReceiveRequest{Type: call.msgtyp, Flags: call.flag, MaxSize: uint64(call.size)}
	if call.flag&linux.MSG_COPY != 0 {
		req.CopyMax = msgCopyMax(call.size, msgQueues(t).MsgMax())
	}
	// Try without a waiter first: only a receiver that finds nothing needs
	// one (and its thread id). MSG_COPY never waits.
	msg, err := q.Receive(t, msgSender(t), req, nil)
	if err == linuxerr.ENOMSG && call.flag&(linux.IPC_NOWAIT|linux.MSG_COPY) == 0 {
		w := msgqueue.GetWaiter()
		defer msgqueue.PutWaiter(w)
		msg, err = q.Receive(t, msgCaller(t), req, w)
		if err == msgqueue.ErrWaiting {
			t.Block(w.C())
			var done bool
			if msg, done, err = q.FinishReceive(w); !done {
				restart := call // see msgSendTo
				return 0, msgBlockInterrupted(t, &restart)
			}
		}
	}
	if err != nil {
		return 0, err
	}
	// Like Linux, a message already dequeued is lost if the copy faults.
	addr := call.addr
	n := min(uint64(call.size), msg.Size())
	if n <= msgScratchText {
		// mtype and mtext in one copy: the bytes written before a fault
		// are the same as with two.
		buf := t.CopyScratchBuffer(sizeofMtype + msgScratchText)[:sizeofMtype+n]
		hostarch.ByteOrder.PutUint64(buf, uint64(msg.Type))
		copy(buf[sizeofMtype:], msg.Text[:n])
		if _, err := t.CopyOutBytes(addr, buf); err != nil {
			return 0, err
		}
		return uintptr(n), nil
	}
	mtype := primitive.Int64(msg.Type)
	if _, err := mtype.CopyOut(t, addr); err != nil {
		return 0, err
	}
	if _, err := t.CopyOutBytes(addr+sizeofMtype, msg.Text[:n]); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// probeUserRead reads n bytes at addr, in chunks, only to fail with EFAULT
// where Linux's copy_from_user would.
func probeUserRead(t *kernel.Task, addr hostarch.Addr, n uint64) error {
	const chunk = 64 << 10
	buf := make([]byte, min(n, chunk))
	for n > 0 {
		c := min(n, chunk)
		if _, err := t.CopyInBytes(addr, buf[:c]); err != nil {
			return err
		}
		addr += hostarch.Addr(c)
		n -= c
	}
	return nil
}

// Msgctl implements msgctl(2).
func Msgctl(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	id := args[0].Int()
	cmd := args[1].Int()
	buf := args[2].Pointer()

	if id < 0 || cmd < 0 {
		return 0, nil, linuxerr.EINVAL
	}
	r := msgQueues(t)
	creds := t.Credentials()

	switch cmd {
	case linux.IPC_INFO, linux.MSG_INFO:
		info := r.Info(cmd == linux.MSG_INFO)
		out := make([]byte, sizeofMsginfo)
		info.MsgInfo.MarshalBytes(out)
		if _, err := t.CopyOutBytes(buf, out); err != nil {
			return 0, nil, err
		}
		return uintptr(info.MaxIndex), nil, nil

	case linux.IPC_STAT, linux.MSG_STAT, linux.MSG_STAT_ANY:
		var q *msgqueue.Queue
		var err error
		if cmd == linux.IPC_STAT {
			q, err = r.FindByID(sysvipc.ID(id))
		} else {
			// The argument is an index; the result is the id.
			q, err = r.FindByIndex(id)
		}
		if err != nil {
			return 0, nil, err
		}
		st, err := q.Stat(creds, cmd != linux.MSG_STAT_ANY)
		if err != nil {
			return 0, nil, err
		}
		ds := linux.MsqidDS{
			MsgPerm:   st.Perm.ABI(creds.UserNamespace),
			MsgStime:  linux.TimeT(st.STime),
			MsgRtime:  linux.TimeT(st.RTime),
			MsgCtime:  linux.TimeT(st.CTime),
			MsgCbytes: st.CBytes,
			MsgQnum:   st.QNum,
			MsgQbytes: st.QBytes,
			MsgLspid:  ipcproc.RootPIDIn(t, st.LSPID),
			MsgLrpid:  ipcproc.RootPIDIn(t, st.LRPID),
		}
		if _, err := ds.CopyOut(t, buf); err != nil {
			return 0, nil, err
		}
		if cmd == linux.IPC_STAT {
			return 0, nil, nil
		}
		return uintptr(q.ID()), nil, nil

	case linux.IPC_SET:
		// Linux copies the buffer in before looking the id up.
		var ds linux.MsqidDS
		if _, err := ds.CopyIn(t, buf); err != nil {
			return 0, nil, err
		}
		return 0, nil, r.Set(t, creds, sysvipc.ID(id), msgqueue.SetRequest{
			UID:    ds.MsgPerm.UID,
			GID:    ds.MsgPerm.GID,
			Mode:   uint32(ds.MsgPerm.Mode),
			QBytes: ds.MsgQbytes,
		})

	case linux.IPC_RMID:
		return 0, nil, r.Remove(creds, sysvipc.ID(id))

	default:
		return 0, nil, linuxerr.EINVAL
	}
}
