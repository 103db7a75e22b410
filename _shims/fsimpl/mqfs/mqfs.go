// Package mqfs is gVisor's mqueue filesystem, replaced by mqsentry's.
package mqfs

import ourmqfs "github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/mqfs"

// Name is the filesystem type name.
const Name = ourmqfs.Name

// FilesystemType is mqsentry's filesystem type.
type FilesystemType = ourmqfs.FilesystemType

// RegistryImpl is mqsentry's per-namespace filesystem.
type RegistryImpl = ourmqfs.RegistryImpl

// NewRegistryImpl is mqsentry's constructor.
var NewRegistryImpl = ourmqfs.NewRegistryImpl
