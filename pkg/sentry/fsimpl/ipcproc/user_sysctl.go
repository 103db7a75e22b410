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
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ucount"
)

// maxIPCNamespaces is /proc/sys/user/max_ipc_namespaces: the limit of one
// user namespace (Linux's user_table in kernel/ucount.c, one set per user
// namespace, picked by the opener's). The inode holds one with no user
// namespace and gives each open a copy bound to the opener's.
//
// +stateify savable
type maxIPCNamespaces struct {
	UserNS *auth.UserNamespace
}

var _ Sysctl = (*maxIPCNamespaces)(nil)

// DataSource implements kernfs.DataSourceProvider.DataSource.
func (*maxIPCNamespaces) DataSource(ctx context.Context) (vfs.DynamicBytesSource, error) {
	return &maxIPCNamespaces{UserNS: auth.CredentialsFromContext(ctx).UserNamespace}, nil
}

// SysctlMode implements Sysctl.SysctlMode as Linux's set_permissions: with
// CAP_SYS_RESOURCE in the bound user namespace the file is read-write for
// everybody, without it read-only, whatever the uid.
func (d *maxIPCNamespaces) SysctlMode(creds *auth.Credentials) linux.FileMode {
	userNS := d.UserNS
	if userNS == nil {
		userNS = creds.UserNamespace
	}
	if creds.HasCapabilityIn(linux.CAP_SYS_RESOURCE, userNS) {
		return 0666
	}
	return 0444
}

// Generate implements vfs.DynamicBytesSource.Generate.
func (d *maxIPCNamespaces) Generate(ctx context.Context, buf *bytes.Buffer) error {
	if err := CheckSysctlCaller(ctx, d, vfs.MayRead); err != nil {
		return err
	}
	fmt.Fprintf(buf, "%d\n", ucount.MaxIPCNamespaces(d.UserNS))
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write: one integer in
// [0, INT_MAX] (proc_dointvec_minmax).
func (d *maxIPCNamespaces) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	if err := CheckSysctlCaller(ctx, d, vfs.MayWrite); err != nil {
		return 0, err
	}
	return WriteSysctlInt(ctx, src, offset, 0, math.MaxInt32, func(v int64) error {
		ucount.SetMaxIPCNamespaces(d.UserNS, v)
		return nil
	})
}
