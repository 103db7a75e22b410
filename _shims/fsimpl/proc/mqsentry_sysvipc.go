package proc

import (
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	ourmsg "github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
)

// IncLinks shadows kernfs.InodeAttrs.IncLinks on /proc's root directory.
// newTasksInode calls it exactly once, right after populating /proc: the one
// point where mqsentry can add its System V message queue files
// (/proc/sys/kernel/msg*, /proc/sysvipc/msg) without editing gVisor's tree
// builders. The files and their logic are mqsentry's.
func (i *tasksInode) IncLinks(n uint32) {
	creds := auth.NewRootCredentials(i.pidns.UserNamespace())
	n += ourmsg.InstallProcFiles(&i.OrderedChildren, creds, i.fs.devMinor, i.fs.NextIno)
	i.InodeAttrs.IncLinks(n)
}
