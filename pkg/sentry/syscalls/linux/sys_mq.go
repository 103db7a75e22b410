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
	"strings"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/fspath"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/marshal/primitive"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	ktime "gvisor.dev/gvisor/pkg/sentry/ktime"
	"gvisor.dev/gvisor/pkg/sentry/limits"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/mqfs"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// openFlags are the mq_open flags that reach the queue description. Linux
// hands all of them to dentry_open: the status flags show in F_GETFL and
// O_DIRECT fails (mqfs refuses it) once the queue exists. O_PATH,
// O_DIRECTORY, O_NOFOLLOW and O_TMPFILE, which gVisor's VFS would act on as
// path flags, are ignored.
const openFlags = linux.O_ACCMODE | linux.O_CREAT | linux.O_EXCL | linux.O_NONBLOCK |
	linux.O_APPEND | linux.O_ASYNC | linux.O_DSYNC | linux.O_SYNC | linux.O_NOATIME |
	linux.O_LARGEFILE | linux.O_DIRECT

// copyInQueueName reads a queue name (glibc has stripped the leading '/')
// and rejects what Linux's lookup_one_len rejects.
func copyInQueueName(t *kernel.Task, addr hostarch.Addr) (string, error) {
	name, err := t.CopyInString(addr, linux.PATH_MAX)
	if err != nil {
		return "", err
	}
	switch {
	case name == "":
		return "", linuxerr.ENOENT
	case strings.ContainsRune(name, '/'), name == ".", name == "..":
		return "", linuxerr.EACCES
	case len(name) > mq.MaxName:
		return "", linuxerr.ENAMETOOLONG
	}
	return name, nil
}

// posixQueues returns the POSIX queue registry of t's IPC namespace. The
// kernel declares it as gVisor's *mq.Registry, which the runsc build aliases
// to ours; asking through mq.Namespace keeps this package compiling against
// unmodified gVisor too (go vet, go test).
func posixQueues(t *kernel.Task) *mq.Registry {
	ns, ok := any(t.IPCNamespace()).(mq.Namespace)
	if !ok {
		panic("mqsentry: kernel built without mqsentry's kernel/mq shim")
	}
	return ns.PosixQueues()
}

// queuePath resolves name in the private mount of t's IPC namespace. The
// caller must DecRef the returned root.
func queuePath(t *kernel.Task, name string) (vfs.VirtualDentry, *vfs.PathOperation) {
	root := posixQueues(t).Impl().(*mqfs.RegistryImpl).Root()
	return root, &vfs.PathOperation{Root: root, Start: root, Path: fspath.Parse(name)}
}

// MqOpen implements mq_open(2).
func MqOpen(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	nameAddr := args[0].Pointer()
	flags := args[1].Int()
	mode := args[2].ModeT()
	attrAddr := args[3].Pointer()

	// Like Linux, read the attributes whenever the pointer is non-NULL,
	// O_CREAT or not, before anything else: a bad pointer is EFAULT even
	// when opening an existing queue. They only count if the queue is
	// created.
	var attr *mq.Attr
	if attrAddr != 0 {
		var in linux.MqAttr
		if _, err := in.CopyIn(t, attrAddr); err != nil {
			return 0, nil, err
		}
		a := decodeMqOpenAttr(&in)
		attr = &a
	}
	name, err := copyInQueueName(t, nameAddr)
	if err != nil {
		return 0, nil, err
	}
	// Linux allocates the descriptor before it looks the name up, so a full
	// descriptor table wins over every lookup error.
	if !hasFreeFD(t) {
		return 0, nil, linuxerr.EMFILE
	}
	root, path := queuePath(t, name)
	defer root.DecRef(t)
	// O_ACCMODE itself is accepted when creating, refused when opening an
	// existing queue (after O_EXCL's EEXIST), as Linux's prepare_open does.
	if flags&linux.O_ACCMODE == linux.O_ACCMODE {
		if _, err := t.Kernel().VFS().StatAt(t, t.Credentials(), path, &vfs.StatOptions{}); err == nil {
			if flags&(linux.O_CREAT|linux.O_EXCL) == linux.O_CREAT|linux.O_EXCL {
				return 0, nil, linuxerr.EEXIST
			}
			return 0, nil, linuxerr.EINVAL
		}
	}
	fd, err := t.Kernel().VFS().OpenAt(mqfs.WithCreateAttr(t, attr), t.Credentials(), path, &vfs.OpenOptions{
		Flags: uint32(flags&openFlags) | linux.O_CLOEXEC,
		Mode:  linux.FileMode(mode&0777) &^ linux.FileMode(t.FSContext().Umask()),
	})
	if err != nil {
		return 0, nil, err
	}
	defer fd.DecRef(t)
	// Linux allocates every queue descriptor close-on-exec, asked or not.
	n, err := t.NewFDFrom(0, fd, kernel.FDFlags{CloseOnExec: true})
	return uintptr(n), nil, err
}

// hasFreeFD reports whether t could allocate a descriptor under its
// RLIMIT_NOFILE, i.e. whether some number below the limit is unused.
func hasFreeFD(t *kernel.Task) bool {
	limit := limits.FromContext(t).Get(limits.NumberOfFiles).Cur
	if last := t.FDTable().GetLastFd(); last >= -1 && uint64(last+1) < limit {
		return true
	}
	fds := t.FDTable().GetFDs(t) // ascending
	for i, fd := range fds {
		if uint64(i) >= limit {
			return false
		}
		if fd != int32(i) {
			return true
		}
	}
	return uint64(len(fds)) < limit
}

// MqUnlink implements mq_unlink(2).
func MqUnlink(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	name, err := copyInQueueName(t, args[0].Pointer())
	if err != nil {
		return 0, nil, err
	}
	root, path := queuePath(t, name)
	defer root.DecRef(t)
	return 0, nil, t.Kernel().VFS().UnlinkAt(t, t.Credentials(), path)
}

// queueFD returns the queue description behind fd, with a reference, or
// EBADF when fd is not a queue descriptor.
func queueFD(t *kernel.Task, fd int32) (*mqfs.QueueFD, error) {
	file := t.GetFile(fd)
	if file == nil {
		return nil, linuxerr.EBADF
	}
	qfd, ok := file.Impl().(*mqfs.QueueFD)
	if !ok {
		file.DecRef(t)
		return nil, linuxerr.EBADF
	}
	return qfd, nil
}

// copyInDeadline reads an absolute CLOCK_REALTIME timeout; addr 0 means
// none. Linux validates it at entry, before it knows whether it will wait.
func copyInDeadline(t *kernel.Task, addr hostarch.Addr) (ktime.Time, bool, error) {
	if addr == 0 {
		return ktime.Time{}, false, nil
	}
	var ts linux.Timespec
	if _, err := ts.CopyIn(t, addr); err != nil {
		return ktime.Time{}, false, err
	}
	if !ts.Valid() {
		return ktime.Time{}, false, linuxerr.EINVAL
	}
	return ktime.FromTimespec(ts), true, nil
}

// blockOn waits for w until the deadline; an interrupted wait restarts the
// call, whose absolute deadline makes that safe (Linux: -ERESTARTSYS).
func blockOn(t *kernel.Task, w *mq.Waiter, haveDeadline bool, deadline ktime.Time) error {
	err := t.BlockWithDeadlineFrom(w.C(), t.Kernel().RealtimeClock(), haveDeadline, deadline)
	if linuxerr.Equals(linuxerr.ErrInterrupted, err) {
		return linuxerr.ERESTARTSYS
	}
	return err
}

// MqTimedsend implements mq_timedsend(2).
func MqTimedsend(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	fd := args[0].Int()
	msgAddr := args[1].Pointer()
	msgLen := args[2].SizeT()
	priority := args[3].Uint()
	timeoutAddr := args[4].Pointer()

	deadline, haveDeadline, err := copyInDeadline(t, timeoutAddr)
	if err != nil {
		return 0, nil, err
	}
	if priority >= linux.MQ_PRIO_MAX {
		return 0, nil, linuxerr.EINVAL
	}
	qfd, err := queueFD(t, fd)
	if err != nil {
		return 0, nil, err
	}
	defer qfd.VFSFileDescription().DecRef(t)
	if !qfd.VFSFileDescription().IsWritable() {
		return 0, nil, linuxerr.EBADF
	}
	q := qfd.Queue()
	if uint64(msgLen) > uint64(q.Attr().MaxMessageSize) {
		return 0, nil, linuxerr.EMSGSIZE
	}
	data := make([]byte, msgLen)
	if _, err := t.CopyInBytes(msgAddr, data); err != nil {
		return 0, nil, err
	}
	msg := mq.Message{Priority: priority, Data: data}

	// Only a call that has to wait pays for a Waiter.
	err = q.Send(t, msg, nil)
	if !linuxerr.Equals(linuxerr.EAGAIN, err) || qfd.VFSFileDescription().StatusFlags()&linux.O_NONBLOCK != 0 {
		return 0, nil, err
	}
	w := mq.NewWaiter()
	if err := q.Send(t, msg, w); err != mq.ErrWaiting {
		return 0, nil, err
	}
	blockErr := blockOn(t, w, haveDeadline, deadline)
	if q.FinishSend(w) {
		return 0, nil, nil
	}
	return 0, nil, blockErr
}

// MqTimedreceive implements mq_timedreceive(2).
func MqTimedreceive(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	fd := args[0].Int()
	msgAddr := args[1].Pointer()
	msgLen := args[2].SizeT()
	priorityAddr := args[3].Pointer()
	timeoutAddr := args[4].Pointer()

	deadline, haveDeadline, err := copyInDeadline(t, timeoutAddr)
	if err != nil {
		return 0, nil, err
	}
	qfd, err := queueFD(t, fd)
	if err != nil {
		return 0, nil, err
	}
	defer qfd.VFSFileDescription().DecRef(t)
	if !qfd.VFSFileDescription().IsReadable() {
		return 0, nil, linuxerr.EBADF
	}
	q := qfd.Queue()
	bufSize := int64(msgLen)
	if msgLen > uint(1<<62) {
		bufSize = 1 << 62
	}

	nonblocking := qfd.VFSFileDescription().StatusFlags()&linux.O_NONBLOCK != 0
	msg, err := receive(t, q, bufSize, nonblocking, haveDeadline, deadline)
	if err != nil {
		return 0, nil, err
	}
	// Like Linux, a message already dequeued is lost if the copy faults.
	if _, err := t.CopyOutBytes(msgAddr, msg.Data); err != nil {
		return 0, nil, err
	}
	if priorityAddr != 0 {
		p := primitive.Uint32(msg.Priority)
		if _, err := p.CopyOut(t, priorityAddr); err != nil {
			return 0, nil, err
		}
	}
	return uintptr(len(msg.Data)), nil, nil
}

// receive takes the next message of q, waiting for one unless nonblocking.
func receive(t *kernel.Task, q *mq.Queue, bufSize int64, nonblocking, haveDeadline bool, deadline ktime.Time) (mq.Message, error) {
	msg, err := q.Receive(t, bufSize, nil)
	if !linuxerr.Equals(linuxerr.EAGAIN, err) || nonblocking {
		return msg, err
	}
	// Only a call that has to wait pays for a Waiter.
	w := mq.NewWaiter()
	if msg, err = q.Receive(t, bufSize, w); err != mq.ErrWaiting {
		return msg, err
	}
	blockErr := blockOn(t, w, haveDeadline, deadline)
	if msg, ok := q.FinishReceive(w); ok {
		return msg, nil
	}
	return mq.Message{}, blockErr
}

// MqGetsetattr implements mq_getsetattr(2).
func MqGetsetattr(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	fd := args[0].Int()
	newAddr := args[1].Pointer()
	oldAddr := args[2].Pointer()

	var newFlags uint32
	if newAddr != 0 {
		var in linux.MqAttr
		if _, err := in.CopyIn(t, newAddr); err != nil {
			return 0, nil, err
		}
		var err error
		if newFlags, err = decodeMqSetattr(&in); err != nil {
			return 0, nil, err
		}
	}
	qfd, err := queueFD(t, fd)
	if err != nil {
		return 0, nil, err
	}
	file := qfd.VFSFileDescription()
	defer file.DecRef(t)

	attr := qfd.Queue().Attr()
	count, _ := qfd.Queue().Stat()
	old := linux.MqAttr{
		MqFlags:   int64(file.StatusFlags() & linux.O_NONBLOCK),
		MqMaxmsg:  attr.MaxMessages,
		MqMsgsize: attr.MaxMessageSize,
		MqCurmsgs: count,
	}
	if newAddr != 0 {
		flags := file.StatusFlags()&^linux.O_NONBLOCK | newFlags
		if err := file.SetStatusFlags(t, t.Credentials(), flags); err != nil {
			return 0, nil, err
		}
	}
	if oldAddr != 0 {
		if _, err := old.CopyOut(t, oldAddr); err != nil {
			return 0, nil, err
		}
	}
	return 0, nil, nil
}
