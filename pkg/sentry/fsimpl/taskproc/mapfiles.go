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

package taskproc

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// ProcFS is the procfs a task directory belongs to: gVisor's proc
// filesystem, through the kernfs.Filesystem it embeds.
type ProcFS interface {
	NextIno() uint64
	SafeDecRefFD(ctx context.Context, fd *vfs.FileDescription)
	SafeDecRef(ctx context.Context, vd vfs.VirtualDentry)
}

// TaskDir is a /proc/PID or /proc/PID/task/TID directory being built: a
// kernfs.OrderedChildren.
type TaskDir interface {
	ForEachChild(fn func(name string, child kernfs.Inode))
	Insert(name string, child kernfs.Inode) error
}

// InstallMapFiles adds map_files to the directory of task t, right after
// gVisor populated it, if it is a /proc/PID directory (one with a "task"
// child): Linux has map_files in /proc/PID (tgid_base_stuff) but not in
// /proc/PID/task/TID. fs and devMinor are the procfs's. It returns the
// number of directories it added, for the directory's link count.
func InstallMapFiles(dir TaskDir, t *kernel.Task, fs ProcFS, devMinor uint32) uint32 {
	isThreadGroup := false
	dir.ForEachChild(func(name string, _ kernfs.Inode) {
		if name == "task" {
			isThreadGroup = true
		}
	})
	if !isThreadGroup {
		return 0
	}
	d := &mapFilesDir{fs: fs, task: t}
	// The owner is computed on each use (taskOwner); these are placeholders.
	// The task serves as the context: construction only asks it for the time.
	d.InodeAttrs.Init(t, t.Credentials(), linux.UNNAMED_MAJOR, devMinor, fs.NextIno(), linux.ModeDirectory|0500)
	d.OrderedChildren.Init(kernfs.OrderedChildrenOptions{})
	if err := dir.Insert("map_files", d); err != nil {
		return 0
	}
	return 1
}

// CheckTaskDirAlive is the first check of Linux's proc_pid_permission on
// /proc/PID and /proc/PID/task/TID, whose task is t (nil for any other
// task-owned /proc file): ESRCH once the task is reaped. Walks by path no
// longer find such a directory, but a descriptor still reaches it, e.g.
// openat of ".." from an open /proc/PID/map_files.
func CheckTaskDirAlive(t *kernel.Task) error {
	if t != nil && t.ExitState() == kernel.TaskExitDead {
		return linuxerr.ESRCH
	}
	return nil
}

// mapFilesDir is /proc/PID/map_files: an entry per mapping of a file in
// the task's address space, computed on each lookup and listing.
//
// +stateify savable
type mapFilesDir struct {
	kernfs.InodeAttrs
	kernfs.InodeDirectoryNoNewChildren
	kernfs.InodeFSOwned
	kernfs.InodeNoopRefCount
	kernfs.InodeNotAnonymous
	kernfs.InodeNotSymlink
	kernfs.InodeWatches
	// OrderedChildren stays empty: the entries are dynamic.
	kernfs.OrderedChildren

	locks vfs.FileLocks
	fs    ProcFS
	task  *kernel.Task
}

var _ kernfs.Inode = (*mapFilesDir)(nil)

// StatFS implements kernfs.Inode.StatFS.
func (*mapFilesDir) StatFS(context.Context, *vfs.Filesystem) (linux.Statfs, error) {
	return vfs.GenericStatFS(linux.PROC_SUPER_MAGIC), nil
}

// Valid implements kernfs.Inode.Valid: the directory lives while its task.
func (d *mapFilesDir) Valid(context.Context, *kernfs.Dentry, string) bool {
	return d.task.ExitState() != kernel.TaskExitDead
}

// Stat implements kernfs.Inode.Stat, with the task's owner.
func (d *mapFilesDir) Stat(ctx context.Context, fs *vfs.Filesystem, opts vfs.StatOptions) (linux.Statx, error) {
	return statAsTask(ctx, &d.InodeAttrs, d.task, fs, opts)
}

// SetStat implements kernfs.Inode.SetStat.
func (*mapFilesDir) SetStat(context.Context, *vfs.Filesystem, *auth.Credentials, vfs.SetStatOptions) error {
	return linuxerr.EPERM
}

// CheckPermissions implements kernfs.Inode.CheckPermissions like Linux's
// proc_fd_permission: the mode and the task's owner decide, and the task's
// own thread group is always let in.
func (d *mapFilesDir) CheckPermissions(ctx context.Context, creds *auth.Credentials, ats vfs.AccessTypes) error {
	uid, gid := taskOwner(d.task)
	err := vfs.GenericCheckPermissions(creds, ats, d.Mode(), nil, uid, gid)
	if err == nil {
		return nil
	}
	if t := kernel.TaskFromContext(ctx); t != nil && t.ThreadGroup() == d.task.ThreadGroup() {
		return nil
	}
	return err
}

// Lookup implements kernfs.Inode.Lookup like Linux's proc_map_files_lookup,
// which also answers every lookup of a cached entry (mapLink.Valid): ENOENT
// once the task is reaped or for a name that is no mapping's bounds; then
// accessMM's ESRCH for a zombie, EACCES without ptrace read access; ENOENT
// unless name is the exact bounds of a mapping of a file.
func (d *mapFilesDir) Lookup(ctx context.Context, name string) (kernfs.Inode, error) {
	if d.task.ExitState() == kernel.TaskExitDead {
		return nil, linuxerr.ENOENT
	}
	start, end, ok := parseMapName(name)
	if !ok {
		return nil, linuxerr.ENOENT
	}
	m, release, err := accessMM(ctx, d.task)
	if err != nil {
		return nil, err
	}
	defer release()
	file := mappedFile(m, start, end)
	if file == nil {
		return nil, linuxerr.ENOENT
	}
	mode := linkMode(file.IsReadable(), file.IsWritable())
	d.fs.SafeDecRefFD(ctx, file)
	return d.newLink(ctx, start, end, mode), nil
}

// IterDirents implements kernfs.Inode.IterDirents like Linux's
// proc_map_files_readdir after "." and "..", on every read of the
// directory: a zombie's directory has nothing more; EACCES without ptrace
// read access to the task; then one symlink per mapping of a file, in
// address order. relOffset counts those mappings.
func (d *mapFilesDir) IterDirents(ctx context.Context, mnt *vfs.Mount, cb vfs.IterDirentsCallback, offset, relOffset int64) (int64, error) {
	m, release, err := accessMM(ctx, d.task)
	if linuxerr.Equals(linuxerr.ESRCH, err) {
		return offset, nil
	}
	if err != nil {
		return offset, err
	}
	maps := fileMappings(m)
	release()
	for i := relOffset; i >= 0 && i < int64(len(maps)); i++ {
		dirent := vfs.Dirent{
			Name:    mapName(maps[i].start, maps[i].end),
			Type:    linux.DT_LNK,
			Ino:     d.fs.NextIno(),
			NextOff: offset + 1,
		}
		if err := cb.Handle(dirent); err != nil {
			return offset, err
		}
		offset++
	}
	return offset, nil
}

// Open implements kernfs.Inode.Open.
func (d *mapFilesDir) Open(ctx context.Context, rp *vfs.ResolvingPath, vd *kernfs.Dentry, opts vfs.OpenOptions) (*vfs.FileDescription, error) {
	fd := &mapFilesFD{task: d.task}
	if err := fd.Init(&d.OrderedChildren, &d.locks, &opts, kernfs.GenericDirectoryFDOptions{SeekEnd: kernfs.SeekEndZero}); err != nil {
		return nil, err
	}
	if err := fd.VFSFileDescription().Init(fd, opts.Flags, rp.Credentials(), rp.Mount(), vd.VFSDentry(), &vfs.FileDescriptionOptions{}); err != nil {
		return nil, err
	}
	return fd.VFSFileDescription(), nil
}

// mapFilesFD is an open map_files directory.
//
// +stateify savable
type mapFilesFD struct {
	kernfs.GenericDirectoryFD

	task *kernel.Task
}

// IterDirents implements vfs.FileDescriptionImpl.IterDirents. As in Linux,
// every read of the directory, "." and ".." included, needs the task not
// reaped (ENOENT); mapFilesDir.IterDirents checks the rest after the dots.
func (fd *mapFilesFD) IterDirents(ctx context.Context, cb vfs.IterDirentsCallback) error {
	if fd.task.ExitState() == kernel.TaskExitDead {
		return linuxerr.ENOENT
	}
	return fd.GenericDirectoryFD.IterDirents(ctx, cb)
}

// mapLink is the /proc/PID/map_files entry of the mapping [start, end).
//
// +stateify savable
type mapLink struct {
	kernfs.InodeAttrs
	kernfs.InodeFSOwned
	kernfs.InodeNoopRefCount
	kernfs.InodeNotAnonymous
	kernfs.InodeSymlink
	kernfs.InodeWatches

	fs    ProcFS
	task  *kernel.Task
	start uint64
	end   uint64
}

var _ kernfs.Inode = (*mapLink)(nil)

func (d *mapFilesDir) newLink(ctx context.Context, start, end uint64, mode linux.FileMode) *mapLink {
	l := &mapLink{fs: d.fs, task: d.task, start: start, end: end}
	l.InodeAttrs.Init(ctx, d.task.Credentials(), linux.UNNAMED_MAJOR, d.DevMinor(), d.fs.NextIno(), mode)
	return l
}

// StatFS implements kernfs.Inode.StatFS.
func (*mapLink) StatFS(context.Context, *vfs.Filesystem) (linux.Statfs, error) {
	return vfs.GenericStatFS(linux.PROC_SUPER_MAGIC), nil
}

// Valid implements kernfs.Inode.Valid like Linux's map_files_d_revalidate,
// on every walk to a cached entry: the entry stays while the caller may
// read the task's address space and it has a mapping of a file with
// exactly the entry's bounds. Otherwise the walk looks the name up afresh
// (mapFilesDir.Lookup), which gives the caller Linux's error rather than a
// cached entry another caller was allowed to see.
func (l *mapLink) Valid(ctx context.Context, _ *kernfs.Dentry, _ string) bool {
	if l.task.ExitState() == kernel.TaskExitDead {
		return false
	}
	file, err := l.file(ctx)
	if err != nil {
		return false
	}
	l.fs.SafeDecRefFD(ctx, file)
	return true
}

// file returns the file of l's mapping with a reference for the caller, as
// Linux's map_files_get_link finds it for a caller proc_fd_access_allowed
// lets in: EACCES without ptrace read access to the task; ENOENT once the
// task has no address space or no mapping of a file with exactly l's
// bounds.
func (l *mapLink) file(ctx context.Context) (*vfs.FileDescription, error) {
	m, release, err := accessMM(ctx, l.task)
	if linuxerr.Equals(linuxerr.ESRCH, err) {
		return nil, linuxerr.ENOENT
	}
	if err != nil {
		return nil, err
	}
	defer release()
	file := mappedFile(m, l.start, l.end)
	if file == nil {
		return nil, linuxerr.ENOENT
	}
	return file, nil
}

// Stat implements kernfs.Inode.Stat: the task's owner, and the size Linux
// gives every such link (64).
func (l *mapLink) Stat(ctx context.Context, fs *vfs.Filesystem, opts vfs.StatOptions) (linux.Statx, error) {
	stat, err := statAsTask(ctx, &l.InodeAttrs, l.task, fs, opts)
	if err == nil && opts.Mask&linux.STATX_SIZE != 0 {
		stat.Mask |= linux.STATX_SIZE
		stat.Size = 64
	}
	return stat, err
}

// SetStat implements kernfs.Inode.SetStat.
func (*mapLink) SetStat(context.Context, *vfs.Filesystem, *auth.Credentials, vfs.SetStatOptions) error {
	return linuxerr.EPERM
}

// Readlink implements kernfs.Inode.Readlink like Linux's proc_pid_readlink,
// checked again on each call (readlinkat of an O_PATH descriptor walks to
// no entry): l.file's errors; the mapped file's path as the reader sees
// it, with " (deleted)" once it is unlinked (a memfd's is "/memfd:NAME
// (deleted)", shared anonymous memory's "/dev/zero (deleted)").
func (l *mapLink) Readlink(ctx context.Context, _ *vfs.Mount) (string, error) {
	file, err := l.file(ctx)
	if err != nil {
		return "", err
	}
	defer l.fs.SafeDecRefFD(ctx, file)
	root := vfs.RootFromContext(ctx)
	defer l.fs.SafeDecRef(ctx, root)
	return l.task.Kernel().VFS().PathnameWithDeleted(ctx, root, file.VirtualDentry())
}

// Getlink implements kernfs.Inode.Getlink like Linux's
// proc_map_files_get_link: EPERM without CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE in the initial user namespace, then l.file's
// errors; otherwise the walk goes on at the mapped file itself, unlinked or
// not.
func (l *mapLink) Getlink(ctx context.Context, _ *vfs.Mount) (vfs.VirtualDentry, string, error) {
	if !mayFollow(ctx) {
		return vfs.VirtualDentry{}, "", linuxerr.EPERM
	}
	file, err := l.file(ctx)
	if err != nil {
		return vfs.VirtualDentry{}, "", err
	}
	defer l.fs.SafeDecRefFD(ctx, file)
	vd := file.VirtualDentry()
	vd.IncRef()
	return vd, "", nil
}

// statAsTask is attrs' stat with the owner Linux gives task's files.
func statAsTask(ctx context.Context, attrs *kernfs.InodeAttrs, t *kernel.Task, fs *vfs.Filesystem, opts vfs.StatOptions) (linux.Statx, error) {
	stat, err := attrs.Stat(ctx, fs, opts)
	if err != nil {
		return stat, err
	}
	if opts.Mask&(linux.STATX_UID|linux.STATX_GID) != 0 {
		uid, gid := taskOwner(t)
		stat.UID = uint32(uid)
		stat.GID = uint32(gid)
	}
	return stat, nil
}
