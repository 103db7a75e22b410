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
	"strconv"
	"strings"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipc"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
)

// sysctlMsgNextID is the one sysctl whose file has its own permission rule.
const sysctlMsgNextID = "kernel/msg_next_id"

// mqueueSysctls are the files of /proc/sys/fs/mqueue.
var mqueueSysctls = []string{"msg_max", "msgsize_max", "queues_max", "msg_default", "msgsize_default"}

// sysctl reads and writes one integer of the caller's IPC namespace. set
// receives a value already checked against [min, max].
type sysctl struct {
	min, max int64
	get      func(ctx context.Context) (int64, error)
	set      func(ctx context.Context, v int64) error
}

// checkSysctlRange is the range check of Linux's proc_dointvec_minmax.
func checkSysctlRange(v, lo, hi int64) error {
	if v < lo || v > hi {
		return linuxerr.EINVAL
	}
	return nil
}

// errNoSuchSysctl is what opening a missing /proc/sys file gives.
var errNoSuchSysctl = linuxerr.ENOENT

// sysvLimit is a /proc/sys/kernel/msg* limit.
func sysvLimit(max int64, field func(*msgqueue.Limits) *int32) sysctl {
	return sysctl{
		min: 0, max: max,
		get: func(ctx context.Context) (int64, error) {
			r := msgqueue.RegistryFromContext(ctx)
			if r == nil {
				return 0, linuxerr.EINVAL
			}
			l := r.Limits()
			return int64(*field(&l)), nil
		},
		set: func(ctx context.Context, v int64) error {
			r := msgqueue.RegistryFromContext(ctx)
			if r == nil {
				return linuxerr.EINVAL
			}
			return r.UpdateLimits(func(l *msgqueue.Limits) { *field(l) = int32(v) })
		},
	}
}

// ipcNamespaceOwner returns the user namespace owning the caller's IPC
// namespace (the owner of both its registries), nil without one.
func ipcNamespaceOwner(ctx context.Context) *auth.UserNamespace {
	if r := msgqueue.RegistryFromContext(ctx); r != nil {
		return r.UserNamespace()
	}
	return nil
}

// posixLimit is a /proc/sys/fs/mqueue limit.
func posixLimit(min, max int64, field func(*mq.Limits) *int64) sysctl {
	return sysctl{
		min: min, max: max,
		get: func(ctx context.Context) (int64, error) {
			r := mq.RegistryFromContext(ctx)
			if r == nil {
				return 0, linuxerr.EINVAL
			}
			l := r.Limits()
			return *field(&l), nil
		},
		set: func(ctx context.Context, v int64) error {
			r := mq.RegistryFromContext(ctx)
			if r == nil {
				return linuxerr.EINVAL
			}
			return r.UpdateLimits(func(l *mq.Limits) { *field(l) = v })
		},
	}
}

// sysctls maps a sysctlData name to its integer.
var sysctls = map[string]sysctl{
	"kernel/msgmax": sysvLimit(math.MaxInt32, func(l *msgqueue.Limits) *int32 { return &l.MsgMax }),
	"kernel/msgmnb": sysvLimit(math.MaxInt32, func(l *msgqueue.Limits) *int32 { return &l.MsgMnb }),
	"kernel/msgmni": sysvLimit(ipc.IndexCount, func(l *msgqueue.Limits) *int32 { return &l.MsgMni }),
	sysctlMsgNextID: {
		min: 0, max: math.MaxInt32,
		get: func(ctx context.Context) (int64, error) {
			r := msgqueue.RegistryFromContext(ctx)
			if r == nil {
				return 0, linuxerr.EINVAL
			}
			return int64(r.NextID()), nil
		},
		set: func(ctx context.Context, v int64) error {
			r := msgqueue.RegistryFromContext(ctx)
			if r == nil {
				return linuxerr.EINVAL
			}
			return r.SetNextID(int32(v))
		},
	},
	"fs/mqueue/msg_max":         posixLimit(mq.MsgMaxMin, mq.MsgMaxHard, func(l *mq.Limits) *int64 { return &l.MsgMax }),
	"fs/mqueue/msgsize_max":     posixLimit(mq.MsgSizeMaxMin, mq.MsgSizeMaxHard, func(l *mq.Limits) *int64 { return &l.MsgSizeMax }),
	"fs/mqueue/queues_max":      posixLimit(0, math.MaxInt32, func(l *mq.Limits) *int64 { return &l.QueuesMax }),
	"fs/mqueue/msg_default":     posixLimit(mq.MsgMaxMin, mq.MsgMaxHard, func(l *mq.Limits) *int64 { return &l.MsgDefault }),
	"fs/mqueue/msgsize_default": posixLimit(mq.MsgSizeMaxMin, mq.MsgSizeMaxHard, func(l *mq.Limits) *int64 { return &l.MsgSizeDefault }),
}

// sysctlData is the contents of one sysctl file, named by its path under
// /proc/sys (the key of sysctls).
//
// +stateify savable
type sysctlData struct {
	Name string
}

// checkPermissions decides who may open the sysctl file of mode perm, as
// Linux's ipc_permissions (ipc/ipc_sysctl.c) and mq_permissions
// (ipc/mq_sysctl.c) do through sysctl_perm (fs/proc/proc_sysctl.c): the
// file's owner bits apply to the root (uid 0) of the user namespace that
// owns the opener's IPC namespace, its group bits to that namespace's group
// 0, its other bits to everybody else, and no capability overrides them.
// So the root of a new user namespace may tune the IPC namespace it
// created, while the global root may not write that namespace's limits.
func (d *sysctlData) checkPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes, perm linux.FileMode) error {
	if ats.MayExec() {
		return linuxerr.EACCES
	}
	nsRootUID, nsRootGID := auth.RootKUID, auth.RootKGID
	if userNS := ipcNamespaceOwner(ctx); userNS != nil {
		// An unmapped root stands for the global root, as in Linux's
		// ipc_set_ownership.
		if uid := userNS.MapToKUID(auth.RootUID); uid.Ok() {
			nsRootUID = uid
		}
		if gid := userNS.MapToKGID(auth.RootGID); gid.Ok() {
			nsRootGID = gid
		}
	}
	bits := uint16(perm.Permissions())
	switch {
	case creds.EffectiveKUID == nsRootUID:
		bits >>= 6
	case creds.InGroup(nsRootGID):
		bits >>= 3
	}
	if uint16(ats)&^bits&7 != 0 {
		return linuxerr.EACCES
	}
	return nil
}

// CheckPermissions is the permission check of a procfs file that may show
// one of our sysctls: our own files, and gVisor's /proc/sys/kernel/msgmax,
// msgmnb and msgmni, whose contents Install replaced and whose inodes call
// this (see _shims/fsimpl/proc). Other files keep their inode's check.
func CheckPermissions(ctx context.Context, f *kernfs.DynamicBytesFile, creds *auth.Credentials, ats vfs.AccessTypes) error {
	if data, err := f.Data(ctx); err == nil {
		if d, ok := data.(*sysctlData); ok {
			return d.checkPermissions(ctx, creds, ats, f.Mode())
		}
	}
	return f.InodeAttrs.CheckPermissions(ctx, creds, ats)
}

// sysctlFile is a sysctl file Install adds (/proc/sys/fs/mqueue/*, and
// msgmax, msgmnb, msgmni where gVisor has none): a kernfs.DynamicBytesFile
// whose permission check is Linux's sysctl rule.
//
// +stateify savable
type sysctlFile struct {
	kernfs.DynamicBytesFile
}

// CheckPermissions implements kernfs.Inode.CheckPermissions.
func (f *sysctlFile) CheckPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	return CheckPermissions(ctx, &f.DynamicBytesFile, creds, ats)
}

// Generate implements vfs.DynamicBytesSource.Generate.
func (d *sysctlData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	v, err := sysctls[d.Name].get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(buf, "%d\n", v)
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write (see WriteSysctlInt).
func (d *sysctlData) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	s := sysctls[d.Name]
	return WriteSysctlInt(ctx, src, offset, s.min, s.max, func(v int64) error { return s.set(ctx, v) })
}

// WriteSysctlInt implements a sysctl file's write like Linux's
// proc_dointvec_minmax with strict writes: one integer, optionally
// surrounded by white space, within [lo, hi] (EINVAL otherwise), is
// passed to set; a write at a non-zero offset is ignored.
func WriteSysctlInt(ctx context.Context, src usermem.IOSequence, offset, lo, hi int64, set func(v int64) error) (int64, error) {
	if offset != 0 {
		return 0, nil
	}
	// Linux reads at most 21 characters of a number.
	buf := make([]byte, min(src.NumBytes(), 64))
	n, err := src.CopyIn(ctx, buf)
	if err != nil {
		return 0, err
	}
	v, err := parseSysctlInt(string(buf[:n]))
	if err != nil {
		return 0, err
	}
	if err := checkSysctlRange(v, lo, hi); err != nil {
		return 0, err
	}
	if err := set(v); err != nil {
		return 0, err
	}
	return src.NumBytes(), nil
}

// parseSysctlInt parses the integer written to a sysctl file.
func parseSysctlInt(s string) (int64, error) {
	s = strings.TrimLeft(s, " \t\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end < len(s) && !strings.ContainsRune(" \t\n", rune(s[end])) {
		return 0, linuxerr.EINVAL
	}
	v, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0, linuxerr.EINVAL
	}
	return v, nil
}
