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

package proc

import (
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/mm"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/taskproc"
)

// The accessor _shims/mm adds is what map_files finds through
// taskproc.MappingLister; a pin whose MemoryManager no longer matches stops
// this build instead of leaving map_files empty.
var _ taskproc.MappingLister = (*mm.MemoryManager)(nil)

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
