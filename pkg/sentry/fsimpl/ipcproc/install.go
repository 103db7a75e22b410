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

// Package ipcproc provides the procfs files of message queues:
//
//	/proc/sys/kernel/msgmax, msgmnb, msgmni   SysV limits (read/write)
//	/proc/sys/kernel/msg_next_id              the id of the next msgget
//	/proc/sysvipc/msg                         one line per SysV queue
//	/proc/sys/fs/mqueue/*                     POSIX limits (read/write)
//	/proc/sys/user/max_ipc_namespaces         IPC namespaces per user (package ucount)
//
// Each sysctl file shows the IPC namespace of the task that opened it, and
// /proc/sysvipc/msg that of the task reading it, as Linux's
// ipc/ipc_sysctl.c, ipc/mq_sysctl.c and ipc/msg.c do. gVisor's procfs builds
// its tree in code we do not replace; a small file added to its package
// (see _shims/fsimpl/proc) calls Install once the /proc root is populated.
package ipcproc

import (
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	ktime "gvisor.dev/gvisor/pkg/sentry/ktime"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// ProcDir is a directory of a procfs being built: a kernfs.OrderedChildren.
type ProcDir interface {
	Lookup(ctx context.Context, name string) (kernfs.Inode, error)
	Insert(name string, child kernfs.Inode) error
}

// Install adds the message queue files to a procfs whose root directory is
// root, right after gVisor populated it: gVisor's read-only msgmax, msgmnb
// and msgmni files are re-initialized with our data (and Linux's mode 0644);
// msg_next_id, /proc/sys/fs/mqueue and /proc/sysvipc are added. creds own
// the new files; devMinor and nextIno are the procfs's. It returns the
// number of directories it added to root, for root's link count.
func Install(root ProcDir, creds *auth.Credentials, devMinor uint32, nextIno func() uint64) uint32 {
	m := fileMaker{installContext{context.Background()}, creds, devMinor, nextIno}
	ctx := m.ctx

	if kdir, ref := lookupDir(ctx, root, "sys", "kernel"); ref != nil {
		for _, name := range []string{"msgmax", "msgmnb", "msgmni"} {
			data := &sysctlData{Name: "kernel/" + name, Perm: 0644}
			child, err := kdir.Lookup(ctx, name)
			if err != nil {
				kdir.Insert(name, m.newSysctlFile(data))
				continue
			}
			// gVisor's static file keeps its inode; only its
			// contents and mode become ours (its permission check
			// calls CheckPermissions, see _shims/fsimpl/proc).
			if f, ok := child.(dynamicBytesInode); ok {
				m.initSysctl(f, f.Ino(), data)
			}
			child.DecRef(ctx)
		}
		kdir.Insert("msg_next_id", m.newSysctlFile(&sysctlData{Name: sysctlMsgNextID, Perm: 0444}))
		ref.DecRef(ctx)
	}

	if fsdir, ref := lookupDir(ctx, root, "sys", "fs"); ref != nil {
		files := make(map[string]kernfs.Inode)
		for _, name := range mqueueSysctls {
			files[name] = m.newSysctlFile(&sysctlData{Name: "fs/mqueue/" + name, Perm: 0644})
		}
		if dir := m.newDir(files); fsdir.Insert("mqueue", dir) != nil {
			dir.DecRef(ctx)
		}
		ref.DecRef(ctx)
	}

	if sysdir, ref := lookupDir(ctx, root, "sys"); ref != nil {
		userFile := &sysctlFile{}
		data := &maxIPCNamespaces{}
		m.initFile(userFile, nextIno(), data, 0644)
		userFile.SetDataSourceProvider(data)
		if dir := m.newDir(map[string]kernfs.Inode{"max_ipc_namespaces": userFile}); sysdir.Insert("user", dir) != nil {
			dir.DecRef(ctx)
		}
		ref.DecRef(ctx)
	}

	dir := m.newDir(map[string]kernfs.Inode{"msg": m.newFile(&sysvipcMsgData{}, 0444)})
	if err := root.Insert("sysvipc", dir); err != nil {
		dir.DecRef(ctx)
		return 0
	}
	return 1
}

// AddSysctl adds a sysctl file named name with contents data and
// permissions perm, owned by creds, to the directory reached from root
// through dirs, after gVisor populated the procfs (as Install does). Other
// packages' sysctls, such as /proc/sys/kernel/threads-max, are added
// through it.
func AddSysctl(root ProcDir, dirs []string, name string, data Sysctl, perm linux.FileMode, creds *auth.Credentials, devMinor uint32, nextIno func() uint64) {
	m := fileMaker{installContext{context.Background()}, creds, devMinor, nextIno}
	dir, ref := lookupDir(m.ctx, root, dirs...)
	if ref == nil {
		return
	}
	defer ref.DecRef(m.ctx)
	f := &sysctlFile{}
	m.initFile(f, m.nextIno(), data, perm)
	if dir.Insert(name, f) != nil {
		f.DecRef(m.ctx)
	}
}

// fileMaker makes the inodes mqsentry adds to one procfs: owned by creds,
// on the procfs's device, numbered by its nextIno.
type fileMaker struct {
	ctx      context.Context
	creds    *auth.Credentials
	devMinor uint32
	nextIno  func() uint64
}

// initFile (re)initializes f as inode ino showing data with mode perm.
func (m fileMaker) initFile(f dynamicBytesInode, ino uint64, data vfs.DynamicBytesSource, perm linux.FileMode) {
	f.Init(m.ctx, m.creds, linux.UNNAMED_MAJOR, m.devMinor, ino, data, perm)
}

func (m fileMaker) newFile(data vfs.DynamicBytesSource, perm linux.FileMode) kernfs.Inode {
	f := &kernfs.DynamicBytesFile{}
	m.initFile(f, m.nextIno(), data, perm)
	return f
}

// initSysctl (re)initializes f as inode ino showing the IPC sysctl data,
// each open of which binds it to the opener's IPC namespace.
func (m fileMaker) initSysctl(f dynamicBytesInode, ino uint64, data *sysctlData) {
	m.initFile(f, ino, data, data.Perm)
	f.SetDataSourceProvider(data)
}

func (m fileMaker) newSysctlFile(data *sysctlData) kernfs.Inode {
	f := &sysctlFile{}
	m.initSysctl(f, m.nextIno(), data)
	return f
}

func (m fileMaker) newDir(children map[string]kernfs.Inode) kernfs.Inode {
	return kernfs.NewStaticDir(m.ctx, m.creds, linux.UNNAMED_MAJOR, m.devMinor, m.nextIno(), 0555,
		children, kernfs.GenericDirectoryFDOptions{SeekEnd: kernfs.SeekEndZero})
}

// dynamicBytesInode is a kernfs.DynamicBytesFile, such as gVisor's static
// procfs files.
type dynamicBytesInode interface {
	kernfs.Inode
	Ino() uint64
	Init(ctx context.Context, creds *auth.Credentials, devMajor, devMinor uint32, ino uint64, data vfs.DynamicBytesSource, perm linux.FileMode)
	SetDataSourceProvider(p kernfs.DataSourceProvider)
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

// installContext is the context Install builds inodes with: gVisor
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
	panic("ipcproc: timers are not available while building procfs")
}
