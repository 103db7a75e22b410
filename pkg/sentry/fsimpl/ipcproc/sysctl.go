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
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// sysctlMsgNextID is the one sysctl whose file has its own permission rule.
const sysctlMsgNextID = "kernel/msg_next_id"

// mqueueSysctls are the files of /proc/sys/fs/mqueue.
var mqueueSysctls = []string{"msg_max", "msgsize_max", "queues_max", "msg_default", "msgsize_default"}

// ipcNamespace is the IPC namespace a sysctl file shows: its two
// registries. Linux binds a /proc/sys file to the ctl_table_set of the
// opener's IPC namespace (ipc/ipc_sysctl.c, ipc/mq_sysctl.c), so a file
// passed to a task of another namespace still shows and sets the opener's.
// The registries, not the namespace, are held: like Linux's open sysctl
// file, an open file does not keep the namespace alive, and a registry
// stays safe to use after its namespace is gone.
//
// +stateify savable
type ipcNamespace struct {
	SysV  *msgqueue.Registry
	Posix *mq.Registry
}

// ipcNamespaceFromContext returns the IPC namespace of the task of ctx.
func ipcNamespaceFromContext(ctx context.Context) ipcNamespace {
	return ipcNamespace{SysV: msgqueue.RegistryFromContext(ctx), Posix: mq.RegistryFromContext(ctx)}
}

// owner returns the user namespace owning ns (the owner of both its
// registries), nil without one.
func (ns ipcNamespace) owner() *auth.UserNamespace {
	switch {
	case ns.SysV != nil:
		return ns.SysV.UserNamespace()
	case ns.Posix != nil:
		return ns.Posix.UserNamespace()
	}
	return nil
}

// sysctl reads and writes one integer of an IPC namespace. set receives a
// value already checked against [min, max].
type sysctl struct {
	min, max int64
	get      func(ns ipcNamespace) (int64, error)
	set      func(ns ipcNamespace, v int64) error
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
		get: func(ns ipcNamespace) (int64, error) {
			if ns.SysV == nil {
				return 0, linuxerr.EINVAL
			}
			l := ns.SysV.Limits()
			return int64(*field(&l)), nil
		},
		set: func(ns ipcNamespace, v int64) error {
			if ns.SysV == nil {
				return linuxerr.EINVAL
			}
			return ns.SysV.UpdateLimits(func(l *msgqueue.Limits) { *field(l) = int32(v) })
		},
	}
}

// posixLimit is a /proc/sys/fs/mqueue limit.
func posixLimit(min, max int64, field func(*mq.Limits) *int64) sysctl {
	return sysctl{
		min: min, max: max,
		get: func(ns ipcNamespace) (int64, error) {
			if ns.Posix == nil {
				return 0, linuxerr.EINVAL
			}
			l := ns.Posix.Limits()
			return *field(&l), nil
		},
		set: func(ns ipcNamespace, v int64) error {
			if ns.Posix == nil {
				return linuxerr.EINVAL
			}
			return ns.Posix.UpdateLimits(func(l *mq.Limits) { *field(l) = v })
		},
	}
}

// sysctls maps a sysctlData name to its integer, with each file's range as
// Linux's table gives it: queues_max is a plain proc_dointvec (any int; a
// negative value reads back as written and, compared unsigned, lifts the
// limit), the others proc_dointvec_minmax.
var sysctls = map[string]sysctl{
	"kernel/msgmax": sysvLimit(math.MaxInt32, func(l *msgqueue.Limits) *int32 { return &l.MsgMax }),
	"kernel/msgmnb": sysvLimit(math.MaxInt32, func(l *msgqueue.Limits) *int32 { return &l.MsgMnb }),
	"kernel/msgmni": sysvLimit(sysvipc.IndexCount, func(l *msgqueue.Limits) *int32 { return &l.MsgMni }),
	sysctlMsgNextID: {
		min: 0, max: math.MaxInt32,
		get: func(ns ipcNamespace) (int64, error) {
			if ns.SysV == nil {
				return 0, linuxerr.EINVAL
			}
			return int64(ns.SysV.NextID()), nil
		},
		set: func(ns ipcNamespace, v int64) error {
			if ns.SysV == nil {
				return linuxerr.EINVAL
			}
			return ns.SysV.SetNextID(int32(v))
		},
	},
	"fs/mqueue/msg_max":         posixLimit(mq.MsgMaxMin, mq.MsgMaxHard, func(l *mq.Limits) *int64 { return &l.MsgMax }),
	"fs/mqueue/msgsize_max":     posixLimit(mq.MsgSizeMaxMin, mq.MsgSizeMaxHard, func(l *mq.Limits) *int64 { return &l.MsgSizeMax }),
	"fs/mqueue/queues_max":      posixLimit(math.MinInt32, math.MaxInt32, func(l *mq.Limits) *int64 { return &l.QueuesMax }),
	"fs/mqueue/msg_default":     posixLimit(mq.MsgMaxMin, mq.MsgMaxHard, func(l *mq.Limits) *int64 { return &l.MsgDefault }),
	"fs/mqueue/msgsize_default": posixLimit(mq.MsgSizeMaxMin, mq.MsgSizeMaxHard, func(l *mq.Limits) *int64 { return &l.MsgSizeDefault }),
}

// Sysctl is the contents of a /proc/sys file. Who may read or write it is
// decided as Linux's sysctl_perm (fs/proc/proc_sysctl.c) decides it, when
// the file is opened and again, with the caller's credentials, at every
// read and write (proc_sys_call_handler): so a descriptor opened by a
// privileged task and passed on, or kept across setuid, gives its holder
// only what the holder may do.
type Sysctl interface {
	vfs.WritableDynamicBytesSource

	// SysctlMode returns the file's mode as creds see it: Linux's
	// ctl_table_root.permissions, or the table's mode where the root has
	// none. Its bits then apply as Linux's test_perm applies them.
	SysctlMode(creds *auth.Credentials) linux.FileMode
}

// SysctlAccess decides whether creds may access (ats) the sysctl s, as
// Linux's sysctl_perm and test_perm do: the mode's owner bits apply to the
// global root (kuid 0), its group bits to group 0, its other bits to
// everybody else, and no capability overrides them. It returns EACCES, the
// error of open(2); see CheckSysctlCaller for reads and writes.
func SysctlAccess(s Sysctl, creds *auth.Credentials, ats vfs.AccessTypes) error {
	bits := uint16(s.SysctlMode(creds).Permissions())
	switch {
	case creds.EffectiveKUID == auth.RootKUID:
		bits >>= 6
	case creds.InGroup(auth.RootKGID):
		bits >>= 3
	}
	if uint16(ats)&^bits&7 != 0 {
		return linuxerr.EACCES
	}
	return nil
}

// CheckSysctlCaller is the check Linux's proc_sys_call_handler makes before
// every read and write of a sysctl file: the caller (the credentials of
// ctx) must be allowed ats by SysctlAccess, whoever opened the file;
// otherwise the call fails with EPERM.
func CheckSysctlCaller(ctx context.Context, s Sysctl, ats vfs.AccessTypes) error {
	if SysctlAccess(s, auth.CredentialsFromContext(ctx), ats) != nil {
		return linuxerr.EPERM
	}
	return nil
}

// sysctlData is the contents of one IPC sysctl file, named by its path
// under /proc/sys (the key of sysctls), with the file's mode. The inode
// holds one with no namespace and gives each open a copy bound to the
// opener's IPC namespace (DataSource), as Linux binds the file.
//
// +stateify savable
type sysctlData struct {
	Name string
	Perm linux.FileMode
	NS   ipcNamespace
}

// DataSource implements kernfs.DataSourceProvider.DataSource: the file as
// opened by the task of ctx, bound to its IPC namespace.
func (d *sysctlData) DataSource(ctx context.Context) (vfs.DynamicBytesSource, error) {
	return &sysctlData{Name: d.Name, Perm: d.Perm, NS: ipcNamespaceFromContext(ctx)}, nil
}

// SysctlMode implements Sysctl.SysctlMode like Linux's ipc_permissions
// (ipc/ipc_sysctl.c) and mq_permissions (ipc/mq_sysctl.c): the file's
// owner bits belong to the root (uid 0) of the user namespace that owns the
// bound IPC namespace, its group bits to that namespace's group 0, its
// other bits to everybody else. So the root of a new user namespace may
// tune the IPC namespace it created, while the global root may not write
// that namespace's limits. msg_next_id, mode 0444, is read-write (0666)
// for whoever has CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in that user
// namespace, and read-only for everybody else: CAP_DAC_OVERRIDE does not
// help.
func (d *sysctlData) SysctlMode(creds *auth.Credentials) linux.FileMode {
	userNS := d.NS.owner()
	if d.Name == sysctlMsgNextID && userNS != nil &&
		(creds.HasCapabilityIn(linux.CAP_CHECKPOINT_RESTORE, userNS) || creds.HasCapabilityIn(linux.CAP_SYS_ADMIN, userNS)) {
		return 0666
	}
	nsRootUID, nsRootGID := auth.RootKUID, auth.RootKGID
	if userNS != nil {
		// An unmapped root stands for the global root, as in Linux's
		// ipc_set_ownership.
		if uid := userNS.MapToKUID(auth.RootUID); uid.Ok() {
			nsRootUID = uid
		}
		if gid := userNS.MapToKGID(auth.RootGID); gid.Ok() {
			nsRootGID = gid
		}
	}
	bits := d.Perm.Permissions()
	switch {
	case creds.EffectiveKUID == nsRootUID:
		bits >>= 6
	case creds.InGroup(nsRootGID):
		bits >>= 3
	}
	bits &= 7
	return linux.FileMode(bits<<6 | bits<<3 | bits)
}

// CheckPermissions is the permission check of a procfs file that may show
// a Sysctl: our own files, and gVisor's /proc/sys/kernel/msgmax, msgmnb and
// msgmni, whose contents Install replaced and whose inodes call this (see
// _shims/fsimpl/proc). Opening for execution is refused (EACCES), as
// Linux's proc_sys_permission refuses it. Other files keep their inode's
// check.
func CheckPermissions(ctx context.Context, f *kernfs.DynamicBytesFile, creds *auth.Credentials, ats vfs.AccessTypes) error {
	if data, err := f.Data(ctx); err == nil {
		if s, ok := data.(Sysctl); ok {
			if ats.MayExec() {
				return linuxerr.EACCES
			}
			return SysctlAccess(s, creds, ats)
		}
	}
	return f.InodeAttrs.CheckPermissions(ctx, creds, ats)
}

// sysctlFile is a sysctl file mqsentry adds (/proc/sys/fs/mqueue/*,
// msg_next_id, threads-max, and msgmax, msgmnb, msgmni where gVisor has
// none): a kernfs.DynamicBytesFile whose permission check is Linux's
// sysctl rule.
//
// +stateify savable
type sysctlFile struct {
	kernfs.DynamicBytesFile
}

// CheckPermissions implements kernfs.Inode.CheckPermissions.
func (f *sysctlFile) CheckPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	return CheckPermissions(ctx, &f.DynamicBytesFile, creds, ats)
}

// Generate implements vfs.DynamicBytesSource.Generate: the value of the
// bound namespace.
func (d *sysctlData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	if err := CheckSysctlCaller(ctx, d, vfs.MayRead); err != nil {
		return err
	}
	v, err := sysctls[d.Name].get(d.NS)
	if err != nil {
		return err
	}
	fmt.Fprintf(buf, "%d\n", v)
	return nil
}

// Write implements vfs.WritableDynamicBytesSource.Write: the value is set
// in the bound namespace (see WriteSysctlInt).
func (d *sysctlData) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	if err := CheckSysctlCaller(ctx, d, vfs.MayWrite); err != nil {
		return 0, err
	}
	s := sysctls[d.Name]
	return WriteSysctlInt(ctx, src, offset, s.min, s.max, func(v int64) error { return s.set(d.NS, v) })
}

// WriteSysctlInt implements a write to an integer sysctl file like Linux's
// proc_dointvec_minmax with strict writes (see parseSysctlInt): the
// integer written, within [lo, hi] (EINVAL otherwise), is passed to set,
// and the write returns the bytes Linux consumes. A write at a non-zero
// offset is ignored and reported as written in full, as Linux's
// proc_first_pos_non_zero_ignore does.
func WriteSysctlInt(ctx context.Context, src usermem.IOSequence, offset, lo, hi int64, set func(v int64) error) (int64, error) {
	if offset != 0 {
		return src.NumBytes(), nil
	}
	buf := make([]byte, min(src.NumBytes(), sysctlWriteMax))
	if _, err := src.CopyIn(ctx, buf); err != nil {
		return 0, err
	}
	w, err := parseSysctlInt(buf, src.NumBytes())
	if err != nil {
		return 0, err
	}
	if w.set {
		if err := checkSysctlRange(w.v, lo, hi); err != nil {
			return 0, err
		}
		if err := set(w.v); err != nil {
			return 0, err
		}
	}
	return w.n, nil
}
