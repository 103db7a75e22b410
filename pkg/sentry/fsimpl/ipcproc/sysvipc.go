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

package ipcproc

import (
	"bytes"
	"fmt"

	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
)

// RootPIDIn translates pid, recorded in the root PID namespace (as the
// syscall layer records a queue's lspid and lrpid), into t's PID namespace:
// Linux keeps a struct pid and shows pid_vnr. A pid no longer in use is only
// known to the root namespace. msgctl(IPC_STAT) and /proc/sysvipc/msg both
// show pids through it.
func RootPIDIn(t *kernel.Task, pid int32) int32 {
	if pid == 0 {
		return 0
	}
	root := t.Kernel().TaskSet().Root
	if task := root.TaskWithID(kernel.ThreadID(pid)); task != nil {
		return int32(t.PIDNamespace().IDOfTask(task))
	}
	if t.PIDNamespace() == root {
		return pid
	}
	return 0
}

// sysvipcMsgData is /proc/sysvipc/msg.
//
// +stateify savable
type sysvipcMsgData struct{}

// sysvipcMsgHeader is the first line of /proc/sysvipc/msg.
const sysvipcMsgHeader = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"

// Generate implements vfs.DynamicBytesSource.Generate: one line per queue
// in index order, as Linux's sysvipc_msg_proc_show prints it, with ids as
// the reader's user namespace sees them and pids as its PID namespace does
// (Linux's sysvipc_proc_open takes the opener's active PID namespace). The
// reader is the task of ctx, as for taskproc's files; a context without a
// task sees the root namespace's pids.
func (d *sysvipcMsgData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	buf.WriteString(sysvipcMsgHeader)
	r := msgqueue.RegistryFromContext(ctx)
	if r == nil {
		return nil
	}
	reader := kernel.TaskFromContext(ctx)
	pidOf := func(pid int32) int32 {
		if reader == nil {
			return pid
		}
		return RootPIDIn(reader, pid)
	}
	userNS := r.UserNamespace()
	if creds := auth.CredentialsFromContext(ctx); creds != nil {
		userNS = creds.UserNamespace
	}
	for _, q := range r.Queues() {
		st, err := q.Stat(nil, false)
		if err != nil {
			continue // removed meanwhile
		}
		p := st.Perm.ABI(userNS)
		fmt.Fprintf(buf, "%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d\n",
			int32(p.Key), int32(st.Perm.ID), p.Mode, st.CBytes, st.QNum,
			pidOf(st.LSPID), pidOf(st.LRPID),
			p.UID, p.GID, p.CUID, p.CGID, st.STime, st.RTime, st.CTime)
	}
	return nil
}
