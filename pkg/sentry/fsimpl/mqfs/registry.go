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
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/fsimpl/kernfs"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
)

// RegistryImpl is one IPC namespace's mqueue filesystem and the private mount
// through which mq_open and mq_unlink resolve names (Linux's
// ipc_namespace.mq_mnt). It implements mq.RegistryImpl.
//
// +stateify savable
type RegistryImpl struct {
	fs    *filesystem
	root  *kernfs.Dentry
	mount *vfs.Mount
}

// NewRegistryImpl creates the mqueue filesystem of a new IPC namespace.
func NewRegistryImpl(ctx context.Context, vfsObj *vfs.VirtualFilesystem, creds *auth.Credentials) (*RegistryImpl, error) {
	devMinor, err := vfsObj.GetAnonBlockDevMinor()
	if err != nil {
		return nil, err
	}
	fs := &filesystem{
		Filesystem: kernfs.Filesystem{MaxCachedDentries: maxCachedDentries},
		devMinor:   devMinor,
	}
	fs.VFSFilesystem().Init(vfsObj, &FilesystemType{}, fs)
	defer fs.VFSFilesystem().DecRef(ctx)

	fs.root = fs.newRootInode(ctx, creds)
	root := &kernfs.Dentry{}
	root.InitRoot(&fs.Filesystem, fs.root)
	mount := vfsObj.NewDisconnectedMount(fs.VFSFilesystem(), root.VFSDentry(), &vfs.MountOptions{})
	return &RegistryImpl{fs: fs, root: root, mount: mount}, nil
}

// Bind implements mq.RegistryImpl.Bind.
func (r *RegistryImpl) Bind(registry *mq.Registry) {
	r.fs.userNS = registry.UserNamespace()
	r.fs.mu.Lock()
	r.fs.registry = registry
	r.fs.mu.Unlock()
}

// Root returns the root of the namespace's private mount, with a reference
// the caller must drop.
func (r *RegistryImpl) Root() vfs.VirtualDentry {
	vd := vfs.MakeVirtualDentry(r.mount, r.root.VFSDentry())
	vd.IncRef()
	return vd
}

// Destroy implements mq.RegistryImpl.Destroy: the namespace is gone. As
// Linux's put_ipc_ns (mq_clear_sbinfo, then mq_put_mnt), the filesystem is
// detached from it, so that creating a queue in a mount of it that outlives
// the namespace gives EACCES, and the private mount is dropped. The queues
// keep their names, which such a mount still shows, until the filesystem's
// last mount is gone (filesystem.Release).
func (r *RegistryImpl) Destroy(ctx context.Context) {
	r.fs.detach()
	r.root.DecRef(ctx)
	r.mount.DecRef(ctx)
}
