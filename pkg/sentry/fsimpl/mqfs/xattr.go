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
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// inodeNoXattrs makes an inode answer the xattr calls as Linux's mqueue
// inodes do: the mqueue filesystem stores no extended attributes, but
// fs/xattr.c checks the caller's permission (xattr_permission) before it
// finds that out, so a caller without write access gets EACCES from
// setxattr and removexattr, and everybody else EOPNOTSUPP; listxattr lists
// nothing. Implementing kernfs.InodeWithXattrs is what makes kernfs run
// those permission checks first.
//
// +stateify savable
type inodeNoXattrs struct{}

// GetXattr implements kernfs.InodeWithXattrs.GetXattr.
func (inodeNoXattrs) GetXattr(context.Context, vfs.GetXattrOptions) (string, error) {
	return "", linuxerr.EOPNOTSUPP
}

// SetXattr implements kernfs.InodeWithXattrs.SetXattr.
func (inodeNoXattrs) SetXattr(context.Context, vfs.SetXattrOptions) error {
	return linuxerr.EOPNOTSUPP
}

// ListXattr implements kernfs.InodeWithXattrs.ListXattr.
func (inodeNoXattrs) ListXattr(context.Context, uint64) ([]string, error) {
	return nil, nil
}

// RemoveXattr implements kernfs.InodeWithXattrs.RemoveXattr.
func (inodeNoXattrs) RemoveXattr(context.Context, string) error {
	return linuxerr.EOPNOTSUPP
}
