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

package taskproc

import (
	"bytes"
	"fmt"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/atomicbitops"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
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

// ThreadsMax is the contents of /proc/sys/kernel/threads-max. It starts at
// the sandbox's task limit: gVisor gives each PID namespace at most
// kernel.TasksLimit thread ids.
//
// +stateify savable
type ThreadsMax struct {
	max atomicbitops.Int64
}

// NewThreadsMax returns threads-max at its initial value.
func NewThreadsMax() *ThreadsMax {
	t := &ThreadsMax{}
	t.max.Store(kernel.TasksLimit)
	return t
}

// Generate implements vfs.DynamicBytesSource.Generate.
func (t *ThreadsMax) Generate(_ context.Context, buf *bytes.Buffer) error {
	fmt.Fprintf(buf, "%d\n", t.max.Load())
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write: one integer in
// [1, FUTEX_TID_MASK]. The file is root's, mode 0644, as in Linux.
func (t *ThreadsMax) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	return ipcproc.WriteSysctlInt(ctx, src, offset, threadsMaxMin, threadsMaxMax, func(v int64) error {
		t.max.Store(v)
		return nil
	})
}
