package proc

import (
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/taskproc"
)

// IncLinks shadows kernfs.InodeAttrs.IncLinks on /proc's root directory.
// newTasksInode calls it exactly once, right after populating /proc: the one
// point where mqsentry can add its files (/proc/sys/kernel/msg*,
// /proc/sysvipc/msg, /proc/sys/fs/mqueue, /proc/sys/kernel/threads-max)
// without editing gVisor's tree builders. The files and their logic are
// mqsentry's (packages ipcproc and taskproc).
func (i *tasksInode) IncLinks(n uint32) {
	creds := auth.NewRootCredentials(i.pidns.UserNamespace())
	n += ipcproc.Install(&i.OrderedChildren, creds, i.fs.devMinor, i.fs.NextIno)
	ipcproc.AddSysctl(&i.OrderedChildren, []string{"sys", "kernel"}, "threads-max", taskproc.NewThreadsMax(), taskproc.ThreadsMaxMode, creds, i.fs.devMinor, i.fs.NextIno)
	i.InodeAttrs.IncLinks(n)
}
