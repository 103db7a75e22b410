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
	"math"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ucount"
)

// maxIPCNamespacesData is /proc/sys/user/max_ipc_namespaces: the limit of
// the caller's user namespace (Linux's user_table in kernel/ucount.c, one
// per user namespace).
//
// +stateify savable
type maxIPCNamespacesData struct{}

// Generate implements vfs.DynamicBytesSource.Generate.
func (*maxIPCNamespacesData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	fmt.Fprintf(buf, "%d\n", ucount.MaxIPCNamespaces(auth.CredentialsFromContext(ctx).UserNamespace))
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write: one integer in
// [0, INT_MAX] (proc_dointvec_minmax), by a writer with CAP_SYS_RESOURCE in
// its user namespace, checked at every write (EPERM, as
// proc_sys_call_handler's sysctl_perm gives).
func (*maxIPCNamespacesData) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	creds := auth.CredentialsFromContext(ctx)
	if !mayTuneUserNamespace(creds) {
		return 0, linuxerr.EPERM
	}
	return WriteSysctlInt(ctx, src, offset, 0, math.MaxInt32, func(v int64) error {
		ucount.SetMaxIPCNamespaces(creds.UserNamespace, v)
		return nil
	})
}

// mayTuneUserNamespace is Linux's set_permissions (kernel/ucount.c): with
// CAP_SYS_RESOURCE in the user namespace the file is read-write for
// everybody, without it read-only, whatever the uid.
func mayTuneUserNamespace(creds *auth.Credentials) bool {
	return creds.HasCapabilityIn(linux.CAP_SYS_RESOURCE, creds.UserNamespace)
}

// userSysctlFile is a /proc/sys/user file: its permission check is
// set_permissions' rather than the mode's.
//
// +stateify savable
type userSysctlFile struct {
	kernfs.DynamicBytesFile
}

// CheckPermissions implements kernfs.Inode.CheckPermissions.
func (f *userSysctlFile) CheckPermissions(_ context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	if ats.MayExec() || (ats.MayWrite() && !mayTuneUserNamespace(creds)) {
		return linuxerr.EACCES
	}
	return nil
}
