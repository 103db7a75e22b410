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

package mqfs

import (
	"bytes"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/usermem"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// queueFileSize is the size stat reports for a queue file, as Linux's
// FILENT_SIZE.
const queueFileSize = 80

// queueInode is the file that names a queue.
//
// +stateify savable
type queueInode struct {
	kernfs.InodeAlwaysValid
	kernfs.InodeAttrs
	kernfs.InodeFSOwned
	kernfs.InodeNoopRefCount
	kernfs.InodeNotAnonymous
	kernfs.InodeNotDirectory
	kernfs.InodeNotSymlink
	kernfs.InodeWatches
	inodeNoXattrs

	queue *mq.Queue
	locks vfs.FileLocks
}

var (
	_ kernfs.Inode           = (*queueInode)(nil)
	_ kernfs.InodeWithXattrs = (*queueInode)(nil)
)

func (fs *filesystem) newQueueInode(ctx context.Context, creds *auth.Credentials, q *mq.Queue, perm linux.FileMode) *queueInode {
	inode := &queueInode{queue: q}
	inode.InodeAttrs.Init(ctx, creds, linux.UNNAMED_MAJOR, fs.devMinor, fs.NextIno(), linux.ModeRegular|perm)
	return inode
}

// Keep implements kernfs.Inode.Keep: the name must stay cached while linked.
func (*queueInode) Keep() bool { return true }

// StatFS implements kernfs.Inode.StatFS.
func (*queueInode) StatFS(context.Context, *vfs.Filesystem) (linux.Statfs, error) {
	return vfs.GenericStatFS(linux.MQUEUE_MAGIC), nil
}

// Stat implements kernfs.Inode.Stat.
func (i *queueInode) Stat(ctx context.Context, fs *vfs.Filesystem, opts vfs.StatOptions) (linux.Statx, error) {
	stat, err := i.InodeAttrs.Stat(ctx, fs, opts)
	stat.Size = queueFileSize
	return stat, err
}

// Open implements kernfs.Inode.Open.
func (i *queueInode) Open(ctx context.Context, rp *vfs.ResolvingPath, d *kernfs.Dentry, opts vfs.OpenOptions) (*vfs.FileDescription, error) {
	// A queue file has no direct I/O (Linux: no FMODE_CAN_ODIRECT); the
	// queue stays created if this open made it.
	if opts.Flags&linux.O_DIRECT != 0 {
		return nil, linuxerr.EINVAL
	}
	fd := &QueueFD{queue: i.queue}
	fd.LockFD.Init(&i.locks)
	// Metadata calls on the descriptor (fstat, fchmod, fstatfs, the f*xattr
	// calls) go to the queue's inode through kernfs, with kernfs's
	// permission checks, as Linux's go to the inode.
	if err := fd.vfsfd.Init(fd, opts.Flags, rp.Credentials(), rp.Mount(), d.VFSDentry(), &vfs.FileDescriptionOptions{UseDentryMetadata: true}); err != nil {
		return nil, err
	}
	fd.DynamicBytesFileDescriptionImpl.Init(&fd.vfsfd, fd)
	i.queue.Opened()
	return &fd.vfsfd, nil
}

// QueueFD is an open queue: a message queue descriptor (mqd_t). Its access
// mode and O_NONBLOCK are the description's status flags.
//
// +stateify savable
type QueueFD struct {
	vfsfd vfs.FileDescription
	vfs.FileDescriptionDefaultImpl
	vfs.DynamicBytesFileDescriptionImpl
	vfs.LockFD

	queue *mq.Queue
}

// Queue returns the queue fd describes.
func (fd *QueueFD) Queue() *mq.Queue { return fd.queue }

// VFSFileDescription returns the vfs.FileDescription of fd.
func (fd *QueueFD) VFSFileDescription() *vfs.FileDescription { return &fd.vfsfd }

// Generate implements vfs.DynamicBytesSource: the queue's status line.
func (fd *QueueFD) Generate(ctx context.Context, buf *bytes.Buffer) error {
	fd.queue.WriteStatus(ctx, buf)
	return nil
}

// Seek implements vfs.FileDescriptionImpl.Seek.
func (fd *QueueFD) Seek(ctx context.Context, offset int64, whence int32) (int64, error) {
	return fd.DynamicBytesFileDescriptionImpl.Seek(ctx, offset, whence)
}

// Read implements vfs.FileDescriptionImpl.Read.
func (fd *QueueFD) Read(ctx context.Context, dst usermem.IOSequence, opts vfs.ReadOptions) (int64, error) {
	return fd.DynamicBytesFileDescriptionImpl.Read(ctx, dst, opts)
}

// PRead implements vfs.FileDescriptionImpl.PRead.
func (fd *QueueFD) PRead(ctx context.Context, dst usermem.IOSequence, offset int64, opts vfs.ReadOptions) (int64, error) {
	return fd.DynamicBytesFileDescriptionImpl.PRead(ctx, dst, offset, opts)
}

// Write implements vfs.FileDescriptionImpl.Write: queue files have no write
// operation, so Linux answers EINVAL.
func (fd *QueueFD) Write(ctx context.Context, src usermem.IOSequence, opts vfs.WriteOptions) (int64, error) {
	return 0, linuxerr.EINVAL
}

// PWrite implements vfs.FileDescriptionImpl.PWrite.
func (fd *QueueFD) PWrite(ctx context.Context, src usermem.IOSequence, offset int64, opts vfs.WriteOptions) (int64, error) {
	return 0, linuxerr.EINVAL
}

// OnClose implements vfs.FileDescriptionImpl.OnClose: closing any descriptor
// of the queue drops the closer's notification, as Linux's flush does.
func (fd *QueueFD) OnClose(ctx context.Context) error {
	fd.queue.Flush(ctx)
	return nil
}

// Release implements vfs.FileDescriptionImpl.Release.
func (fd *QueueFD) Release(ctx context.Context) {
	fd.queue.Closed()
}

// Stat implements vfs.FileDescriptionImpl.Stat. With UseDentryMetadata,
// vfs asks the inode instead; this only settles which embedded Stat
// QueueFD has.
func (fd *QueueFD) Stat(ctx context.Context, opts vfs.StatOptions) (linux.Statx, error) {
	vd := fd.vfsfd.VirtualDentry()
	return vd.Dentry().Impl().(*kernfs.Dentry).Inode().Stat(ctx, vd.Mount().Filesystem(), opts)
}

// SetStat implements vfs.FileDescriptionImpl.SetStat, like Stat.
func (fd *QueueFD) SetStat(ctx context.Context, opts vfs.SetStatOptions) error {
	vd := fd.vfsfd.VirtualDentry()
	return vd.Dentry().Impl().(*kernfs.Dentry).Inode().SetStat(ctx, vd.Mount().Filesystem(), auth.CredentialsFromContext(ctx), opts)
}

// Readiness implements waiter.Waitable.Readiness.
func (fd *QueueFD) Readiness(mask waiter.EventMask) waiter.EventMask {
	return fd.queue.Readiness(mask)
}

// EventRegister implements waiter.Waitable.EventRegister.
func (fd *QueueFD) EventRegister(e *waiter.Entry) error {
	return fd.queue.EventRegister(e)
}

// EventUnregister implements waiter.Waitable.EventUnregister.
func (fd *QueueFD) EventUnregister(e *waiter.Entry) {
	fd.queue.EventUnregister(e)
}

// Epollable implements vfs.FileDescriptionImpl.Epollable.
func (fd *QueueFD) Epollable() bool { return true }
