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
