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
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/threadsmax"
)

// IncLinks shadows kernfs.InodeAttrs.IncLinks on /proc's root directory.
// newTasksInode calls it exactly once, right after populating /proc: the one
// point where mqsentry can add its files (/proc/sys/kernel/msg*,
// /proc/sysvipc/msg, /proc/sys/fs/mqueue, /proc/sys/kernel/threads-max)
// without editing gVisor's tree builders. The files and their logic are
// mqsentry's (packages ipcproc and threadsmax).
func (i *tasksInode) IncLinks(n uint32) {
	creds := auth.NewRootCredentials(i.pidns.UserNamespace())
	n += ipcproc.Install(&i.OrderedChildren, creds, i.fs.devMinor, i.fs.NextIno)
	ipcproc.AddSysctl(&i.OrderedChildren, []string{"sys", "kernel"}, "threads-max", threadsmax.NewThreadsMax(), threadsmax.ThreadsMaxMode, creds, i.fs.devMinor, i.fs.NextIno)
	i.InodeAttrs.IncLinks(n)
}
