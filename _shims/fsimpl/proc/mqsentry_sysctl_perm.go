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
