package proc

import (
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

// CheckPermissions shadows kernfs.DynamicBytesFile.CheckPermissions on
// gVisor's static /proc files. /proc/sys/kernel/msgmax, msgmnb and msgmni
// are such files whose contents mqsentry replaced; ipcproc applies Linux's
// per-IPC-namespace sysctl rule to those and the inode's own check to
// every other file.
func (s *staticFile) CheckPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	return ipcproc.CheckPermissions(ctx, &s.DynamicBytesFile, creds, ats)
}
