package linux

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// notifyTarget is the thread group registered with mq_notify.
//
// +stateify savable
type notifyTarget struct {
	tg *kernel.ThreadGroup
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
		var sev linux.Sigevent
		if _, err := sev.CopyIn(t, sigevAddr); err != nil {
			return 0, nil, err
		}
		switch sev.Notify {
		case linux.SIGEV_NONE:
		case linux.SIGEV_SIGNAL:
			if sev.Signo < 0 || sev.Signo > linux.SignalMaximum {
				return 0, nil, linuxerr.EINVAL
			}
		case linux.SIGEV_THREAD:
			// glibc's SIGEV_THREAD needs the kernel to write a cookie into
			// one of the caller's netlink sockets, which the Sentry does
			// not expose to us; glibc reports the failure to its caller.
			return 0, nil, linuxerr.ENOSYS
		default:
			return 0, nil, linuxerr.EINVAL
		}
		reg = &mq.Registration{
			Target: &notifyTarget{tg: t.ThreadGroup()},
			Method: sev.Notify,
			Signo:  sev.Signo,
			Value:  sev.Value,
		}
	}
	qfd, err := queueFD(t, fd)
	if err != nil {
		return 0, nil, err
	}
	defer qfd.VFSFileDescription().DecRef(t)
	return 0, nil, qfd.Queue().Notify(t, reg)
}
