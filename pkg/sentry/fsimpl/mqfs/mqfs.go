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

// Package mqfs is the mqueue filesystem: the names of one IPC namespace's
// POSIX message queues, as files. mq_open and mq_unlink resolve names in it
// (through a mount private to the namespace), `mount -t mqueue` shows it,
// reading a queue's file gives its status line, unlink(2) removes a queue and
// open(2) of a queue's file gives a descriptor the mq_* calls accept.
//
// It is the counterpart of the filesystem half of Linux's ipc/mqueue.c.
//
// Lock ordering:
//
//	kernfs.Filesystem.mu
//	  filesystem.mu (creating a queue)
//	    mq.Registry.mu
//	  mq.Queue.mu (opening a queue, unlinking it)
//
// A queue's last close (QueueFD.Release) and the status line of a read of
// its file take mq.Queue.mu without kernfs.Filesystem.mu; package mq
// describes what runs under it.
package mqfs

import (
	"fmt"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
	"gvisor.dev/gvisor/pkg/sync"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// Name is the filesystem type name given to mount(2).
const Name = "mqueue"

// maxCachedDentries bounds kernfs's dentry cache for one namespace's queues.
const maxCachedDentries = 1000

// FilesystemType implements vfs.FilesystemType.
//
// +stateify savable
type FilesystemType struct{}

// Name implements vfs.FilesystemType.Name.
func (FilesystemType) Name() string { return Name }

// Release implements vfs.FilesystemType.Release.
func (FilesystemType) Release(ctx context.Context) {}

// GetFilesystem implements vfs.FilesystemType.GetFilesystem. Every mount
// shows the one filesystem of the mounting task's IPC namespace, as Linux's
// mqueue_get_tree does.
func (FilesystemType) GetFilesystem(ctx context.Context, vfsObj *vfs.VirtualFilesystem, creds *auth.Credentials, source string, opts vfs.GetFilesystemOptions) (*vfs.Filesystem, *vfs.Dentry, error) {
	registry := mq.RegistryFromContext(ctx)
	if registry == nil {
		return nil, nil, fmt.Errorf("mqfs: IPC namespace has no POSIX queue registry")
	}
	// The mounter needs CAP_SYS_ADMIN over the user namespace that owns the
	// IPC namespace, not only over its mount namespace's owner (which vfs
	// checks): Linux's mqueue_get_tree makes that user namespace the
	// superblock's, and sget_fc checks it (mqueue is FS_USERNS_MOUNT).
	// Otherwise the root of a new user and mount namespace could mount, list
	// and open the queues of an IPC namespace it has no power over. runsc's
	// own mounts (InternalMount) are made for the container as it is
	// created, as runc's by a process holding every capability there.
	if !opts.InternalMount && !creds.HasCapabilityIn(linux.CAP_SYS_ADMIN, registry.UserNamespace()) {
		return nil, nil, linuxerr.EPERM
	}
	impl := registry.Impl().(*RegistryImpl)
	impl.fs.VFSFilesystem().IncRef()
	impl.root.IncRef()
	return impl.fs.VFSFilesystem(), impl.root.VFSDentry(), nil
}

// filesystem is one namespace's mqueue filesystem (Linux's superblock). It
// lives as long as a mount of it: the namespace's private mount, mounts made
// by mount(2), which may outlive the namespace, and open files.
//
// +stateify savable
type filesystem struct {
	kernfs.Filesystem
	devMinor uint32
	root     *rootInode

	// userNS owns the namespace. It is the filesystem's for good (Linux's
	// s_user_ns): a creator it cannot map gets EOVERFLOW even after the
	// namespace is gone.
	userNS *auth.UserNamespace

	// mu protects registry (see the package comment for its order).
	mu sync.Mutex `state:"nosave"`

	// registry is the namespace's, nil once the namespace is gone (Linux's
	// s_fs_info, which mq_clear_sbinfo clears).
	// +checklocks:mu
	registry *mq.Registry
}

// detach cuts the filesystem off its namespace, which is going away: no
// queue can be created in it any more. The queues it names stay, as long as
// the filesystem does.
func (fs *filesystem) detach() {
	fs.mu.Lock()
	fs.registry = nil
	fs.mu.Unlock()
}

// Release implements vfs.FilesystemImpl.Release: the last mount is gone, and
// the queues lose their names (Linux's kill_litter_super); those still open
// live on until closed.
func (fs *filesystem) Release(ctx context.Context) {
	fs.root.unlinkAll(ctx)
	fs.VFSFilesystem().VirtualFilesystem().PutAnonBlockDevMinor(fs.devMinor)
	fs.Filesystem.Release(ctx)
}

// MountOptions implements vfs.FilesystemImpl.MountOptions.
func (fs *filesystem) MountOptions() string { return "" }
