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
package mqfs

import (
	"fmt"

	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

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
	impl := registry.Impl().(*RegistryImpl)
	impl.fs.VFSFilesystem().IncRef()
	impl.root.IncRef()
	return impl.fs.VFSFilesystem(), impl.root.VFSDentry(), nil
}

// filesystem is one namespace's mqueue filesystem.
//
// +stateify savable
type filesystem struct {
	kernfs.Filesystem
	registry *mq.Registry
	devMinor uint32
}

// Release implements vfs.FilesystemImpl.Release.
func (fs *filesystem) Release(ctx context.Context) {
	fs.VFSFilesystem().VirtualFilesystem().PutAnonBlockDevMinor(fs.devMinor)
	fs.Filesystem.Release(ctx)
}

// MountOptions implements vfs.FilesystemImpl.MountOptions.
func (fs *filesystem) MountOptions() string { return "" }
