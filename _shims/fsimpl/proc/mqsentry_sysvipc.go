package proc

import (
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

// IncLinks shadows kernfs.InodeAttrs.IncLinks on /proc's root directory.
// newTasksInode calls it exactly once, right after populating /proc: the one
// point where mqsentry can add its message queue files (/proc/sys/kernel/msg*,
// /proc/sysvipc/msg, /proc/sys/fs/mqueue) without editing gVisor's tree
// builders. The files and their logic are mqsentry's (package ipcproc).
func (i *tasksInode) IncLinks(n uint32) {
	creds := auth.NewRootCredentials(i.pidns.UserNamespace())
	n += ipcproc.Install(&i.OrderedChildren, creds, i.fs.devMinor, i.fs.NextIno)
	i.InodeAttrs.IncLinks(n)
}
