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
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// rootMode is the root directory's mode: world-writable and sticky, so any
// user may create queues and only a queue's owner may remove it.
const rootMode = linux.ModeDirectory | linux.ModeSticky | 0777

// rootInode is the filesystem's only directory; every queue is a child.
//
// +stateify savable
type rootInode struct {
	kernfs.InodeAlwaysValid
	kernfs.InodeAttrs
	kernfs.InodeDirectoryNoNewChildren
	kernfs.InodeFSOwned
	kernfs.InodeNoopRefCount
	kernfs.InodeNotAnonymous
	kernfs.InodeNotSymlink
	kernfs.InodeTemporary
	kernfs.InodeWatches
	kernfs.OrderedChildren
	inodeNoXattrs

	fs    *filesystem
	locks vfs.FileLocks
}

var (
	_ kernfs.Inode           = (*rootInode)(nil)
	_ kernfs.InodeWithXattrs = (*rootInode)(nil)
)

func (fs *filesystem) newRootInode(ctx context.Context, creds *auth.Credentials) *rootInode {
	inode := &rootInode{fs: fs}
	inode.InodeAttrs.Init(ctx, creds, linux.UNNAMED_MAJOR, fs.devMinor, fs.NextIno(), rootMode)
	inode.OrderedChildren.Init(kernfs.OrderedChildrenOptions{Writable: true})
	return inode
}

// Open implements kernfs.Inode.Open.
func (i *rootInode) Open(ctx context.Context, rp *vfs.ResolvingPath, d *kernfs.Dentry, opts vfs.OpenOptions) (*vfs.FileDescription, error) {
	fd, err := kernfs.NewGenericDirectoryFD(rp.Mount(), d, rp.Credentials(), &i.OrderedChildren, &i.locks, &opts, kernfs.GenericDirectoryFDOptions{
		SeekEnd: kernfs.SeekEndZero,
	})
	if err != nil {
		return nil, err
	}
	return fd.VFSFileDescription(), nil
}

type createAttrKey struct{}

// WithCreateAttr returns a context under which a queue created by opening a
// missing name gets attr's geometry instead of the namespace defaults: this
// is how mq_open passes its mq_attr through the filesystem, as Linux's
// vfs_mkobj does.
func WithCreateAttr(ctx context.Context, attr *mq.Attr) context.Context {
	return context.WithValue(ctx, createAttrKey{}, attr)
}

// NewFile implements kernfs.Inode.NewFile: creating a file creates a queue,
// whether through mq_open or open(O_CREAT) in a mount.
func (i *rootInode) NewFile(ctx context.Context, name string, opts vfs.OpenOptions) (kernfs.Inode, error) {
	creds := auth.CredentialsFromContext(ctx)
	// The new queue would be owned by the creator, whom the namespace's
	// user namespace must be able to name: Linux's may_create
	// (fsuidgid_has_mapping) refuses before any other creation check, e.g.
	// in a new user namespace whose uid_map is not written yet.
	if !creds.EffectiveKUID.In(i.fs.userNS).Ok() || !creds.EffectiveKGID.In(i.fs.userNS).Ok() {
		return nil, linuxerr.EOVERFLOW
	}
	// The namespace must stay alive until the queue is named: Linux's
	// mqueue_create_attr holds a reference on it, and refuses with EACCES
	// once it is gone (a mount that outlives it).
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if i.fs.registry == nil {
		return nil, linuxerr.EACCES
	}
	attr, _ := ctx.Value(createAttrKey{}).(*mq.Attr)
	q, err := i.fs.registry.NewQueue(ctx, name, attr)
	if err != nil {
		return nil, err
	}
	inode := i.fs.newQueueInode(ctx, creds, q, opts.Mode.Permissions())
	if err := i.OrderedChildren.Insert(name, inode); err != nil {
		q.Unlinked()
		return nil, err
	}
	return inode, nil
}

// Unlink implements kernfs.Inode.Unlink.
func (i *rootInode) Unlink(ctx context.Context, name string, child kernfs.Inode) error {
	if err := i.OrderedChildren.Unlink(ctx, name, child); err != nil {
		return err
	}
	child.(*queueInode).queue.Unlinked()
	return nil
}

// unlinkAll removes every name, when the filesystem is released.
func (i *rootInode) unlinkAll(ctx context.Context) {
	children := make(map[string]kernfs.Inode)
	i.OrderedChildren.ForEachChild(func(name string, child kernfs.Inode) {
		children[name] = child
	})
	for name, child := range children {
		_ = i.Unlink(ctx, name, child)
	}
}

// Rename implements kernfs.Inode.Rename: queues cannot be renamed.
func (*rootInode) Rename(ctx context.Context, oldname, newname string, child, dstDir kernfs.Inode) error {
	return linuxerr.EPERM
}

// StatFS implements kernfs.Inode.StatFS.
func (*rootInode) StatFS(context.Context, *vfs.Filesystem) (linux.Statfs, error) {
	return vfs.GenericStatFS(linux.MQUEUE_MAGIC), nil
}
