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
	"testing"

	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

func TestParseSysctlInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5\n", 5, true},
		{"  42", 42, true},
		{"-1\n", -1, true},
		{"+7 8", 7, true},
		{"98317\n", 98317, true},
		{"", 0, false},
		{"\n", 0, false},
		{"12abc", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999", 0, false},
	} {
		v, err := parseSysctlInt(tc.in)
		if (err == nil) != tc.ok || (tc.ok && v != tc.want) {
			t.Errorf("parseSysctlInt(%q) = %d, %v; want %d, ok=%v", tc.in, v, err, tc.want, tc.ok)
		}
	}
}

// Without an IPC namespace in the context the sysctls' owner is the global
// root: its owner bits apply to uid 0 only, group bits to gid 0, and no
// capability lifts the other bits (Linux's sysctl_perm has no override).
func TestSysctlPermissions(t *testing.T) {
	ctx := context.Background()
	userNS := auth.NewRootUserNamespace()
	allCaps := auth.TaskCapabilities{EffectiveCaps: auth.AllCapabilities}
	root := auth.NewRootCredentials(userNS)
	staff := auth.NewUserCredentials(1000, 0, nil, nil, userNS)
	nobodyWithCaps := auth.NewUserCredentials(65534, 65534, nil, &allCaps, userNS)
	d := &sysctlData{Name: "fs/mqueue/msg_max"}
	for _, tc := range []struct {
		name  string
		creds *auth.Credentials
		ats   vfs.AccessTypes
		want  error
	}{
		{"root writes", root, vfs.MayRead | vfs.MayWrite, nil},
		{"root cannot execute", root, vfs.MayExec, linuxerr.EACCES},
		{"group 0 reads", staff, vfs.MayRead, nil},
		{"group 0 cannot write", staff, vfs.MayWrite, linuxerr.EACCES},
		{"others read", nobodyWithCaps, vfs.MayRead, nil},
		{"capabilities do not grant writing", nobodyWithCaps, vfs.MayWrite, linuxerr.EACCES},
	} {
		if got := d.checkPermissions(ctx, tc.creds, tc.ats, 0644); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
