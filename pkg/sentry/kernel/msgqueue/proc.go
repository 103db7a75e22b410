package msgqueue

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	gvipc "gvisor.dev/gvisor/pkg/sentry/kernel/ipc"
	ktime "gvisor.dev/gvisor/pkg/sentry/ktime"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipc"
)

// This file provides the procfs files of System V message queues:
//
//	/proc/sys/kernel/msgmax, msgmnb, msgmni   the limits (read/write)
//	/proc/sys/kernel/msg_next_id              the id of the next msgget
//	/proc/sysvipc/msg                         one line per queue
//
// Each shows the IPC namespace of the task reading or writing it, as in
// Linux. gVisor's procfs builds its tree in code we do not replace; a small
// file added to its package (see _shims/fsimpl/proc) calls InstallProcFiles
// once the /proc root is populated.

// RegistryFromContext returns the registry of the IPC namespace ctx runs in,
// or nil if ctx has none (or the kernel was built without mqsentry's
// kernel/msgqueue shim).
func RegistryFromContext(ctx context.Context) *Registry {
	v := ctx.Value(gvipc.CtxIPCNamespace)
	if v == nil {
		return nil
	}
	ns, ok := v.(interface {
		MsgqueueRegistry() *Registry
		DecRef(context.Context)
	})
	if !ok {
		return nil
	}
	defer ns.DecRef(ctx)
	return ns.MsgqueueRegistry()
}

// pidTranslator turns a root-namespace pid into the one the task of ctx
// sees; the syscall layer, which knows tasks, installs it.
var pidTranslator = func(_ context.Context, pid int32) int32 { return pid }

// SetPIDTranslator installs the function /proc/sysvipc/msg uses to show
// lspid and lrpid in the reader's PID namespace. It must be called during
// initialization, before any task runs.
func SetPIDTranslator(f func(ctx context.Context, pid int32) int32) {
	pidTranslator = f
}

// ProcDir is a directory of a procfs being built: a kernfs.OrderedChildren.
type ProcDir interface {
	Lookup(ctx context.Context, name string) (kernfs.Inode, error)
	Insert(name string, child kernfs.Inode) error
}

// Sysctl names.
const (
	sysctlMsgMax    = "msgmax"
	sysctlMsgMnb    = "msgmnb"
	sysctlMsgMni    = "msgmni"
	sysctlMsgNextID = "msg_next_id"
)

// InstallProcFiles adds the message queue files to a procfs whose root
// directory is root, right after gVisor populated it: gVisor's read-only
// msgmax, msgmnb and msgmni files are re-initialized with our data (and
// Linux's mode 0644), msg_next_id and /proc/sysvipc/msg are added. creds
// own the new files; devMinor and nextIno are the procfs's. It returns the
// number of directories it added to root, for root's link count.
func InstallProcFiles(root ProcDir, creds *auth.Credentials, devMinor uint32, nextIno func() uint64) uint32 {
	ctx := installContext{context.Background()}
	newFile := func(data vfs.DynamicBytesSource, perm linux.FileMode) kernfs.Inode {
		f := &kernfs.DynamicBytesFile{}
		f.Init(ctx, creds, linux.UNNAMED_MAJOR, devMinor, nextIno(), data, perm)
		return f
	}

	if kdir, ref := lookupDir(ctx, root, "sys", "kernel"); ref != nil {
		for _, name := range []string{sysctlMsgMax, sysctlMsgMnb, sysctlMsgMni} {
			data := &sysctlData{Name: name}
			child, err := kdir.Lookup(ctx, name)
			if err != nil {
				kdir.Insert(name, newFile(data, 0644))
				continue
			}
			// gVisor's static file keeps its inode; only its
			// contents and mode become ours.
			if f, ok := child.(dynamicBytesInode); ok {
				f.Init(ctx, creds, linux.UNNAMED_MAJOR, devMinor, f.Ino(), data, 0644)
			}
			child.DecRef(ctx)
		}
		next := &nextIDFile{}
		next.Init(ctx, creds, linux.UNNAMED_MAJOR, devMinor, nextIno(), &sysctlData{Name: sysctlMsgNextID}, 0444)
		kdir.Insert(sysctlMsgNextID, next)
		ref.DecRef(ctx)
	}

	msg := newFile(&sysvipcMsgData{}, 0444)
	dir := kernfs.NewStaticDir(ctx, creds, linux.UNNAMED_MAJOR, devMinor, nextIno(), 0555,
		map[string]kernfs.Inode{"msg": msg}, kernfs.GenericDirectoryFDOptions{SeekEnd: kernfs.SeekEndZero})
	if err := root.Insert("sysvipc", dir); err != nil {
		dir.DecRef(ctx)
		return 0
	}
	return 1
}

// dynamicBytesInode is a kernfs.DynamicBytesFile, such as gVisor's static
// procfs files.
type dynamicBytesInode interface {
	kernfs.Inode
	Ino() uint64
	Init(ctx context.Context, creds *auth.Credentials, devMajor, devMinor uint32, ino uint64, data vfs.DynamicBytesSource, perm linux.FileMode)
}

// lookupDir walks names down from root. It returns the directory reached
// and the reference to DecRef when done with it, or nil.
func lookupDir(ctx context.Context, root ProcDir, names ...string) (ProcDir, kernfs.Inode) {
	dir := root
	var held kernfs.Inode
	for _, name := range names {
		child, err := dir.Lookup(ctx, name)
		if held != nil {
			held.DecRef(ctx)
			held = nil
		}
		if err != nil {
			return nil, nil
		}
		held = child
		next, ok := child.(ProcDir)
		if !ok {
			child.DecRef(ctx)
			return nil, nil
		}
		dir = next
	}
	return dir, held
}

// installContext is the context InstallProcFiles builds inodes with: gVisor
// calls it where no task context is at hand, and inode construction only
// asks the context for the time.
type installContext struct {
	context.Context
}

// Value implements context.Context.Value.
func (c installContext) Value(key any) any {
	if key == ktime.CtxRealtimeClock {
		return wallClock{}
	}
	return c.Context.Value(key)
}

// wallClock reads the host's real time, which gVisor's CLOCK_REALTIME
// follows.
type wallClock struct{}

// Now implements ktime.Clock.Now.
func (wallClock) Now() ktime.Time { return ktime.FromNanoseconds(time.Now().UnixNano()) }

// NewTimer implements ktime.Clock.NewTimer.
func (wallClock) NewTimer(ktime.Listener) ktime.Timer {
	panic("msgqueue: timers are not available while building procfs")
}

// sysctlData is one of /proc/sys/kernel/msg{max,mnb,mni} and msg_next_id.
//
// +stateify savable
type sysctlData struct {
	Name string
}

// Generate implements vfs.DynamicBytesSource.Generate.
func (d *sysctlData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	r := RegistryFromContext(ctx)
	if r == nil {
		return linuxerr.EINVAL
	}
	var v int32
	if d.Name == sysctlMsgNextID {
		v = r.NextID()
	} else {
		l := r.Limits()
		v = *d.field(&l)
	}
	fmt.Fprintf(buf, "%d\n", v)
	return nil
}

func (d *sysctlData) field(l *Limits) *int32 {
	switch d.Name {
	case sysctlMsgMax:
		return &l.MsgMax
	case sysctlMsgMnb:
		return &l.MsgMnb
	default:
		return &l.MsgMni
	}
}

// Write implements vfs.WritableDynamicBytesSource.Write like Linux's
// proc_dointvec_minmax with strict writes: one integer, optionally
// surrounded by white space, within the sysctl's range (EINVAL otherwise);
// a write at a non-zero offset is ignored.
func (d *sysctlData) Write(ctx context.Context, _ *vfs.FileDescription, src usermem.IOSequence, offset int64) (int64, error) {
	if offset != 0 {
		return 0, nil
	}
	r := RegistryFromContext(ctx)
	if r == nil {
		return 0, linuxerr.EINVAL
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
	if d.Name == sysctlMsgNextID {
		if v < 0 || v > math.MaxInt32 {
			return 0, linuxerr.EINVAL
		}
		if err := r.SetNextID(int32(v)); err != nil {
			return 0, err
		}
		return src.NumBytes(), nil
	}
	hi := int64(math.MaxInt32)
	if d.Name == sysctlMsgMni {
		hi = ipc.IndexCount
	}
	if v < 0 || v > hi {
		return 0, linuxerr.EINVAL
	}
	if err := r.updateLimit(func(l *Limits) { *d.field(l) = int32(v) }); err != nil {
		return 0, err
	}
	return src.NumBytes(), nil
}

// nextIDFile is /proc/sys/kernel/msg_next_id. It reads as mode 0444, but
// like Linux (ipc/ipc_sysctl.c, ipc_permissions) it opens for writing for
// whoever has CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the user namespace
// of the opener's IPC namespace, and for nobody else: CAP_DAC_OVERRIDE does
// not help.
//
// +stateify savable
type nextIDFile struct {
	kernfs.DynamicBytesFile
}

// CheckPermissions implements kernfs.Inode.CheckPermissions.
func (f *nextIDFile) CheckPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	if !ats.MayWrite() {
		return f.DynamicBytesFile.CheckPermissions(ctx, creds, ats)
	}
	if ats.MayExec() {
		return linuxerr.EACCES
	}
	r := RegistryFromContext(ctx)
	if r == nil {
		return linuxerr.EACCES
	}
	if creds.HasCapabilityIn(linux.CAP_CHECKPOINT_RESTORE, r.UserNamespace()) ||
		creds.HasCapabilityIn(linux.CAP_SYS_ADMIN, r.UserNamespace()) {
		return nil
	}
	return linuxerr.EACCES
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

// updateLimit changes one limit under the registry lock.
func (r *Registry) updateLimit(set func(*Limits)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.limits
	set(&l)
	if !l.Valid() {
		return linuxerr.EINVAL
	}
	r.limits = l
	return nil
}

// sysvipcMsgData is /proc/sysvipc/msg.
//
// +stateify savable
type sysvipcMsgData struct{}

// sysvipcMsgHeader is the first line of /proc/sysvipc/msg.
const sysvipcMsgHeader = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"

// Generate implements vfs.DynamicBytesSource.Generate: one line per queue
// in index order, as Linux's sysvipc_msg_proc_show prints it, with ids as
// the reader's user namespace sees them and pids as its PID namespace does
// (Linux uses the PID namespace of the procfs mount, normally the same).
func (d *sysvipcMsgData) Generate(ctx context.Context, buf *bytes.Buffer) error {
	buf.WriteString(sysvipcMsgHeader)
	r := RegistryFromContext(ctx)
	if r == nil {
		return nil
	}
	userNS := r.UserNamespace()
	if creds := auth.CredentialsFromContext(ctx); creds != nil {
		userNS = creds.UserNamespace
	}
	for _, q := range r.Queues() {
		st, err := q.Stat(nil, false)
		if err != nil {
			continue // removed meanwhile
		}
		p := st.Perm.ABI(userNS)
		fmt.Fprintf(buf, "%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d\n",
			int32(p.Key), int32(st.Perm.ID), p.Mode, st.CBytes, st.QNum,
			pidTranslator(ctx, st.LSPID), pidTranslator(ctx, st.LRPID),
			p.UID, p.GID, p.CUID, p.CGID, st.STime, st.RTime, st.CTime)
	}
	return nil
}
