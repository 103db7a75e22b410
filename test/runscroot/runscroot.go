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

// Package runscroot cleans up the --root directories that the tests give
// runsc.
package runscroot

import (
	"os"
	"path/filepath"
	"syscall"
)

// UnmountNullNetNS removes the bind mounts of the gofers' null network
// namespace that runsc --network=none leaves in its --root directory root
// (runsc/specutils.NullNetNSFilename); runs sharing a root may stack
// several. Until they go, the directory cannot be removed.
func UnmountNullNetNS(root string) {
	for syscall.Unmount(filepath.Join(root, "null-netns"), syscall.MNT_DETACH) == nil {
	}
}

// RemoveAll removes dir, which holds runsc's --root directory root, and
// what runsc mounted in it.
func RemoveAll(dir, root string) error {
	UnmountNullNetNS(root)
	return os.RemoveAll(dir)
}
