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
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
)

// pidTranslator turns a root-namespace pid into the one the task of ctx
// sees; the syscall layer, which knows tasks, installs it.
var pidTranslator = func(_ context.Context, pid int32) int32 { return pid }

// SetPIDTranslator installs the function /proc/sysvipc/msg uses to show
// lspid and lrpid in the reader's PID namespace. It must be called during
// initialization, before any task runs.
func SetPIDTranslator(f func(ctx context.Context, pid int32) int32) {
	pidTranslator = f
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
// (Linux uses the PID namespace of the procfs mount, normally the same).
func (d *sysvipcMsgData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	buf.WriteString(sysvipcMsgHeader)
	r := msgqueue.RegistryFromContext(ctx)
	if r == nil {
		return nil
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
			pidTranslator(ctx, st.LSPID), pidTranslator(ctx, st.LRPID),
			p.UID, p.GID, p.CUID, p.CGID, st.STime, st.RTime, st.CTime)
	}
	return nil
}
