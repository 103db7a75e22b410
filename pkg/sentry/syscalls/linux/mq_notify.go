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
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/socket"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/syserr"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// notifyTarget is the thread group registered with mq_notify. For
// SIGEV_THREAD it also holds the netlink socket and the 32-byte cookie that
// glibc's helper thread waits for.
//
// +stateify savable
type notifyTarget struct {
	tg     *kernel.ThreadGroup
	sock   *vfs.FileDescription
	cookie []byte
}

// RawSender is what mq_notify needs of a netlink socket beyond gVisor's
// exported API: queueing a SIGEV_THREAD cookie as a datagram from the
// kernel. mqsentry's runsc adds it to gVisor's netlink.Socket
// (_shims/socket/netlink), and its syscall shim asserts at compile time that
// netlink.Socket implements it, so a pin whose netlink.Socket no longer
// matches stops the build. This package asks through the interface so that
// it also compiles against unmodified gVisor (go vet, go test), where no
// socket implements it and SIGEV_THREAD fails with EINVAL.
type RawSender interface {
	SendRaw(ctx context.Context, data []byte) *syserr.Error
}

// sendCookie delivers the SIGEV_THREAD cookie with its last byte set to
// status (NOTIFY_WOKENUP or NOTIFY_REMOVED). Either event ends the
// registration; the queue then calls Release, which drops the socket.
func (n *notifyTarget) sendCookie(ctx context.Context, status byte) {
	if n.sock == nil {
		return
	}
	n.cookie[linux.NOTIFY_COOKIE_LEN-1] = status
	if sender, ok := n.sock.Impl().(RawSender); ok {
		_ = sender.SendRaw(ctx, n.cookie)
	}
}

// Release implements mq.NotifyTarget.Release.
func (n *notifyTarget) Release(ctx context.Context) {
	if n.sock != nil {
		n.sock.DecRef(ctx)
		n.sock = nil
	}
}

// Removed implements mq.NotifyTarget.Removed.
func (n *notifyTarget) Removed(ctx context.Context) {
	n.sendCookie(ctx, linux.NOTIFY_REMOVED)
}

// IsCaller implements mq.NotifyTarget.IsCaller.
func (n *notifyTarget) IsCaller(ctx context.Context) bool {
	t := kernel.TaskFromContext(ctx)
	return t != nil && t.ThreadGroup() == n.tg
}

// PIDIn implements mq.NotifyTarget.PIDIn.
func (n *notifyTarget) PIDIn(ctx context.Context) int32 {
	t := kernel.TaskFromContext(ctx)
	if t == nil {
		return 0
	}
	return int32(t.PIDNamespace().IDOfThreadGroup(n.tg))
}

// Exited implements mq.NotifyTarget.Exited.
func (n *notifyTarget) Exited() bool {
	return n.tg.Count() == 0
}

// Notify implements mq.NotifyTarget.Notify: a SIGEV_SIGNAL notification
// carries SI_MESGQ, the sender's pid as the registrant sees it, the sender's
// real uid and the registered sigev_value.
func (n *notifyTarget) Notify(ctx context.Context, reg *mq.Registration) {
	if reg.Method == linux.SIGEV_THREAD {
		n.sendCookie(ctx, linux.NOTIFY_WOKENUP)
		return
	}
	if reg.Signo == 0 {
		return
	}
	info := &linux.SignalInfo{Signo: reg.Signo, Code: linux.SI_MESGQ}
	if sender := kernel.TaskFromContext(ctx); sender != nil {
		info.SetPID(int32(n.tg.PIDNamespace().IDOfThreadGroup(sender.ThreadGroup())))
		info.SetUID(int32(sender.Credentials().RealKUID.In(n.tg.Leader().UserNamespace()).OrOverflow()))
	}
	info.SetSigval(reg.Value)
	_ = n.tg.SendSignal(info)
}

// MqNotify implements mq_notify(2).
func MqNotify(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	fd := args[0].Int()
	sigevAddr := args[1].Pointer()

	var reg *mq.Registration
	if sigevAddr != 0 {
		var sigev linux.Sigevent
		if _, err := sigev.CopyIn(t, sigevAddr); err != nil {
			return 0, nil, err
		}
		req, err := decodeSigevent(&sigev)
		if err != nil {
			return 0, nil, err
		}
		target := &notifyTarget{tg: t.ThreadGroup()}
		if req.method == linux.SIGEV_THREAD {
			if err := target.attachSocket(t, req); err != nil {
				return 0, nil, err
			}
		}
		reg = &mq.Registration{Target: target, Method: req.method, Signo: req.signo, Value: req.value}
	}
	qfd, err := queueFD(t, fd)
	if err == nil {
		defer qfd.VFSFileDescription().DecRef(t)
		err = qfd.Queue().Notify(t, reg)
	}
	if err != nil && reg != nil {
		// The registration never took: let go of its socket quietly.
		if target := reg.Target.(*notifyTarget); target.sock != nil {
			target.sock.DecRef(t)
		}
	}
	return 0, nil, err
}

// attachSocket reads the SIGEV_THREAD cookie from sigev_value and takes the
// netlink socket named by sigev_signo, checking in Linux's order: EFAULT,
// EBADF, ENOTSOCK, then EINVAL for a socket that is not netlink.
func (n *notifyTarget) attachSocket(t *kernel.Task, req notifyRequest) error {
	cookie := make([]byte, linux.NOTIFY_COOKIE_LEN)
	if _, err := t.CopyInBytes(hostarch.Addr(req.value), cookie); err != nil {
		return err
	}
	sock := t.GetFile(req.signo)
	if sock == nil {
		return linuxerr.EBADF
	}
	if _, ok := sock.Impl().(socket.Socket); !ok {
		sock.DecRef(t)
		return linuxerr.ENOTSOCK
	}
	if _, ok := sock.Impl().(RawSender); !ok {
		sock.DecRef(t)
		return linuxerr.EINVAL
	}
	n.sock, n.cookie = sock, cookie
	return nil
}
