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

// Package threadsmax provides /proc/sys/kernel/threads-max, the limit on
// the number of tasks, which gVisor's procfs lacks: Linux's
// sysctl_max_threads (kernel/fork.c). The file is added through
// ipcproc.AddSysctl, which gives it Linux's sysctl permission rule, once
// the /proc root is populated (see _shims/fsimpl/proc).
package threadsmax

import (
	"bytes"
	"fmt"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/atomicbitops"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

// Bounds of threads-max: Linux's sysctl_max_threads (kernel/fork.c, since
// 5.4) accepts 1 to MAX_THREADS, FUTEX_TID_MASK; anything else is EINVAL.
const (
	threadsMaxMin = 1
	threadsMaxMax = linux.FUTEX_TID_MASK
)

// ThreadsMaxMode is the mode of /proc/sys/kernel/threads-max, root's as in
// Linux.
const ThreadsMaxMode = 0644

// ThreadsMax is the contents of /proc/sys/kernel/threads-max. It starts at
// the sandbox's task limit: gVisor gives each PID namespace at most
// kernel.TasksLimit thread ids.
//
// +stateify savable
type ThreadsMax struct {
	max atomicbitops.Int64
}

var _ ipcproc.Sysctl = (*ThreadsMax)(nil)

// NewThreadsMax returns threads-max at its initial value.
func NewThreadsMax() *ThreadsMax {
	t := &ThreadsMax{}
	t.max.Store(kernel.TasksLimit)
	return t
}

// SysctlMode implements ipcproc.Sysctl.SysctlMode: Linux's default sysctl
// root has no permissions hook, so the table's mode applies, to the global
// root as owner (a user namespace's root may read it only).
func (*ThreadsMax) SysctlMode(*auth.Credentials) linux.FileMode { return ThreadsMaxMode }

// Generate implements vfs.DynamicBytesSource.Generate.
func (t *ThreadsMax) Generate(ctx context.Context, buf *bytes.Buffer) error {
	if err := ipcproc.CheckSysctlCaller(ctx, t, vfs.MayRead); err != nil {
		return err
	}
	fmt.Fprintf(buf, "%d\n", t.max.Load())
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write: one integer in
// [1, FUTEX_TID_MASK], by a caller the file's mode lets write now.
func (t *ThreadsMax) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	if err := ipcproc.CheckSysctlCaller(ctx, t, vfs.MayWrite); err != nil {
		return 0, err
	}
	return ipcproc.WriteSysctlInt(ctx, src, offset, threadsMaxMin, threadsMaxMax, func(v int64) error {
		t.max.Store(v)
		return nil
	})
}
