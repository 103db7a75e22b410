package proc

import (
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/taskproc"
)

// IncLinks shadows kernfs.InodeAttrs.IncLinks on /proc/PID and
// /proc/PID/task/TID. newTaskInode calls it exactly once, right after
// populating the directory: the one point where mqsentry can add map_files
// without editing gVisor's tree builders. The procfs is taken from the fd
// directory, the child that holds it. The files and their logic are
// mqsentry's (package taskproc).
func (i *taskInode) IncLinks(n uint32) {
	var fs *filesystem
	i.OrderedChildren.ForEachChild(func(_ string, child kernfs.Inode) {
		if fd, ok := child.(*fdDirInode); ok {
			fs = fd.fs
		}
	})
	if fs != nil {
		n += taskproc.InstallMapFiles(&i.OrderedChildren, i.task, fs, fs.devMinor)
	}
	i.InodeAttrs.IncLinks(n)
}
