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
