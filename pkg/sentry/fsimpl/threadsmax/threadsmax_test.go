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

package threadsmax

import (
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

func TestThreadsMax(t *testing.T) {
	userNS := auth.NewRootUserNamespace()
	ctx := auth.ContextWithCredentials(context.Background(), auth.NewRootCredentials(userNS))
	tm := NewThreadsMax()
	read := func() string {
		var buf bytes.Buffer
		if err := tm.Generate(ctx, &buf); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		return buf.String()
	}
	if got, want := read(), "65536\n"; kernel.TasksLimit != 65536 || got != want {
		t.Errorf("initial threads-max = %q, want %q (kernel.TasksLimit %d)", got, want, kernel.TasksLimit)
	}
	for _, tc := range []struct {
		in   string
		err  error
		want string
	}{
		{"0\n", linuxerr.EINVAL, "65536\n"},
		{"-1", linuxerr.EINVAL, "65536\n"},
		{"1073741824", linuxerr.EINVAL, "65536\n"},
		{"abc", linuxerr.EINVAL, "65536\n"},
		{"1\n", nil, "1\n"},
		{" 1073741823 \n", nil, "1073741823\n"},
		{"20", nil, "20\n"},
	} {
		n, err := tm.Write(ctx, nil, usermem.BytesIOSequence([]byte(tc.in)), 0)
		if err != tc.err {
			t.Errorf("write %q: %v, want %v", tc.in, err, tc.err)
		}
		if err == nil && n != int64(len(tc.in)) {
			t.Errorf("write %q: wrote %d, want %d", tc.in, n, len(tc.in))
		}
		if got := read(); got != tc.want {
			t.Errorf("after write %q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Linux's sysctl_perm on threads-max, at open and at every write: the
// global root writes, anybody reads, and no capability lets another user
// write; a write by such a user through a descriptor root opened is EPERM.
func TestThreadsMaxPermissions(t *testing.T) {
	userNS := auth.NewRootUserNamespace()
	allCaps := auth.TaskCapabilities{EffectiveCaps: auth.AllCapabilities}
	root := auth.NewRootCredentials(userNS)
	nobody := auth.NewUserCredentials(65534, 65534, nil, &allCaps, userNS)
	tm := NewThreadsMax()
	if err := ipcproc.SysctlAccess(tm, root, vfs.MayRead|vfs.MayWrite); err != nil {
		t.Errorf("root opening for writing: %v", err)
	}
	if err := ipcproc.SysctlAccess(tm, nobody, vfs.MayRead); err != nil {
		t.Errorf("nobody opening for reading: %v", err)
	}
	if err := ipcproc.SysctlAccess(tm, nobody, vfs.MayWrite); err != linuxerr.EACCES {
		t.Errorf("nobody with every capability opening for writing: %v, want EACCES", err)
	}
	ctx := auth.ContextWithCredentials(context.Background(), nobody)
	if n, err := tm.Write(ctx, nil, usermem.BytesIOSequence([]byte("20")), 0); err != linuxerr.EPERM {
		t.Errorf("nobody writing: %d, %v; want EPERM", n, err)
	}
	var buf bytes.Buffer
	if err := tm.Generate(ctx, &buf); err != nil || buf.String() != "65536\n" {
		t.Errorf("nobody reads %q, %v", buf.String(), err)
	}
}
