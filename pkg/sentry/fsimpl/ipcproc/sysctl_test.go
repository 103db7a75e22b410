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
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipcnstest"
)

// The cases are what Linux 6.18 answers to write(2) of the input to
// /proc/sys/kernel/msgmni at offset 0 (an int, at most 32768).
func TestParseSysctlInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		n    int64 // bytes consumed; -1: EINVAL
	}{
		{"5\n", 5, 2},
		{"  42", 42, 4},
		{"-1\n", -1, 3},
		{"98317\n", 98317, 6},
		{"5 6", 5, 2},
		{"5 x", 5, 2},
		{"5" + strings.Repeat(" ", 4093) + "x", 5, 4094},
		{"5\t6\n", 5, 2},
		{"1 2 3", 1, 2},
		{"5\n6", 5, 2},
		{" 5 ", 5, 3},
		{"7\n\n\n", 7, 4},
		{"010", 8, 3},
		{"0012", 10, 4},
		{"0x64", 100, 4},
		{"0X1f", 31, 4},
		{"0x7fff", 32767, 6},
		{"-0x10", -16, 5},
		{"-0", 0, 2},
		{"\r\v\f 7", 7, 5},
		{"\xa0 9", 9, 3},
		{"00000000000000000005", 5, 20},
		{"-2147483648", -2147483648, 11},
		{"2147483647", 2147483647, 10},
		{"5" + strings.Repeat(" ", 4094) + "x", 5, 4096},
		{"5" + strings.Repeat(" ", 4999), 5, 5000},
		{" ", 0, -1},
		{"\n", 0, -1},
		{"-", 0, -1},
		{"- 5", 0, -1},
		{"--5", 0, -1},
		{"+100", 0, -1},
		{"+7 8", 0, -1},
		{"08", 0, -1},
		{"0x", 0, -1},
		{"0xg", 0, -1},
		{"0o7", 0, -1},
		{"1e3", 0, -1},
		{"12abc", 0, -1},
		{"7\r", 0, -1},
		{"7\x00", 0, -1},
		{"5-", 0, -1},
		{"000000000000000000005", 0, -1},
		{"  000000000000000000005", 0, -1},
		{"-00000000000000000005", 0, -1},
		{"2147483648", 0, -1},
		{"-2147483649", 0, -1},
		{"4294967296", 0, -1},
		{"18446744073709551615", 0, -1},
		{"18446744073709551616", 0, -1},
		{"99999999999999999999", 0, -1},
	} {
		buf := []byte(tc.in)
		w, err := parseSysctlInt(buf[:min(len(buf), sysctlWriteMax)], int64(len(buf)))
		if tc.n < 0 {
			if err != linuxerr.EINVAL {
				t.Errorf("parseSysctlInt(%q) = %+v, %v; want EINVAL", tc.in, w, err)
			}
			continue
		}
		if err != nil || !w.set || w.v != tc.want || w.n != tc.n {
			t.Errorf("parseSysctlInt(%q) = %+v, %v; want %d consuming %d", tc.in, w, err, tc.want, tc.n)
		}
	}
	if w, err := parseSysctlInt(nil, 0); err != nil || w.set || w.n != 0 {
		t.Errorf("empty write: %+v, %v; want nothing set, 0 bytes", w, err)
	}
}

// Without an IPC namespace the sysctls' owner is the global root: its
// owner bits apply to uid 0 only, group bits to gid 0, and no capability
// lifts the other bits (Linux's sysctl_perm has no override).
func TestSysctlPermissions(t *testing.T) {
	userNS := auth.NewRootUserNamespace()
	allCaps := auth.TaskCapabilities{EffectiveCaps: auth.AllCapabilities}
	root := auth.NewRootCredentials(userNS)
	staff := auth.NewUserCredentials(1000, 0, nil, nil, userNS)
	nobodyWithCaps := auth.NewUserCredentials(65534, 65534, nil, &allCaps, userNS)
	d := &sysctlData{Name: "fs/mqueue/msg_max", Perm: 0644}
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
		if got := SysctlAccess(d, tc.creds, tc.ats); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// withCreds is ctx with the credentials of a task.
func withCreds(ctx context.Context, creds *auth.Credentials) context.Context {
	return auth.ContextWithCredentials(ctx, creds)
}

func writeString(ctx context.Context, s vfs.WritableDynamicBytesSource, text string) (int64, error) {
	return s.Write(ctx, nil, usermem.BytesIOSequence([]byte(text)), 0)
}

// A sysctl file shows and sets the IPC namespace it was opened in, whoever
// reads or writes it later, as in Linux.
func TestSysctlBindsOpenersNamespace(t *testing.T) {
	openerCtx, opener := ipcnstest.New()
	otherCtx, other := ipcnstest.New()
	root := auth.NewRootCredentials(opener.SysV.UserNamespace())
	for name := range sysctls {
		inode := &sysctlData{Name: name, Perm: 0644}
		src, err := inode.DataSource(openerCtx)
		if err != nil {
			t.Fatalf("%s: DataSource: %v", name, err)
		}
		f := src.(*sysctlData)
		sysvBefore, posixBefore := other.SysV.Limits(), other.Posix.Limits()
		// Written from the other namespace, read back through the file.
		if n, err := writeString(withCreds(otherCtx, root), f, "200\n"); err != nil || n != 4 {
			t.Fatalf("%s: write = %d, %v", name, n, err)
		}
		var buf bytes.Buffer
		if err := f.Generate(withCreds(otherCtx, root), &buf); err != nil || buf.String() != "200\n" {
			t.Errorf("%s: reads %q, %v; want 200", name, buf.String(), err)
		}
		if v, _ := sysctls[name].get(ipcNamespace{opener.SysV, opener.Posix}); v != 200 {
			t.Errorf("%s: opener's namespace has %d, want 200", name, v)
		}
		if other.SysV.Limits() != sysvBefore || other.Posix.Limits() != posixBefore || other.SysV.NextID() != -1 {
			t.Errorf("%s: the writer's namespace changed", name)
		}
	}
}

// Permission is checked again at every write, with the writer's
// credentials: a descriptor opened by root and kept after dropping to
// nobody writes nothing (EPERM).
func TestSysctlWriteChecksWriter(t *testing.T) {
	ctx, ns := ipcnstest.New()
	userNS := ns.SysV.UserNamespace()
	allCaps := auth.TaskCapabilities{EffectiveCaps: auth.AllCapabilities}
	nobody := auth.NewUserCredentials(65534, 65534, nil, nil, userNS)
	nobodyWithCaps := auth.NewUserCredentials(65534, 65534, nil, &allCaps, userNS)
	rootWithoutCaps := auth.NewUserCredentials(0, 0, nil, &auth.TaskCapabilities{}, userNS)
	for _, tc := range []struct {
		name  string
		perm  linux.FileMode
		creds *auth.Credentials
		want  error
	}{
		{"kernel/msgmni", 0644, auth.NewRootCredentials(userNS), nil},
		{"kernel/msgmni", 0644, nobody, linuxerr.EPERM},
		{"fs/mqueue/queues_max", 0644, nobodyWithCaps, linuxerr.EPERM},
		{sysctlMsgNextID, 0444, nobodyWithCaps, nil}, // CAP_SYS_ADMIN
		{sysctlMsgNextID, 0444, nobody, linuxerr.EPERM},
		{sysctlMsgNextID, 0444, rootWithoutCaps, linuxerr.EPERM},
	} {
		f, _ := (&sysctlData{Name: tc.name, Perm: tc.perm}).DataSource(ctx)
		before, _ := sysctls[tc.name].get(f.(*sysctlData).NS)
		n, err := writeString(withCreds(ctx, tc.creds), f.(*sysctlData), "7")
		if err != tc.want {
			t.Errorf("%s by uid %d: write = %d, %v; want %v", tc.name, tc.creds.EffectiveKUID, n, err, tc.want)
		}
		after, _ := sysctls[tc.name].get(f.(*sysctlData).NS)
		if changed := after != before; changed != (tc.want == nil) {
			t.Errorf("%s by uid %d: %d -> %d", tc.name, tc.creds.EffectiveKUID, before, after)
		}
	}
}

// Linux's proc_first_pos_non_zero_ignore: a write past offset 0 changes
// nothing and reports every byte written; an empty write changes nothing.
func TestWriteSysctlIntIgnoredWrites(t *testing.T) {
	ctx := context.Background()
	set := func(v int64) error { t.Errorf("set(%d) called", v); return nil }
	if n, err := WriteSysctlInt(ctx, usermem.BytesIOSequence([]byte("12")), 1, 0, 100, set); n != 2 || err != nil {
		t.Errorf("write at offset 1 = %d, %v; want 2, nil", n, err)
	}
	if n, err := WriteSysctlInt(ctx, usermem.BytesIOSequence(nil), 0, 0, 100, set); n != 0 || err != nil {
		t.Errorf("empty write = %d, %v; want 0, nil", n, err)
	}
	if _, err := WriteSysctlInt(ctx, usermem.BytesIOSequence([]byte("101")), 0, 0, 100, set); err != linuxerr.EINVAL {
		t.Errorf("out of range: %v, want EINVAL", err)
	}
}
