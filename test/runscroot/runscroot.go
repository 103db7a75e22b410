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

// Package runscroot holds what the tests that drive runsc themselves share:
// cleaning up the --root directories they give runsc, and starting a
// detached container and waiting for its output.
package runscroot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
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

// StartDetached runs cmd, a runsc run -detach or restore -detach, with the
// container's output going to outPath; on failure the error holds that
// output.
func StartDetached(cmd *exec.Cmd, outPath string) error {
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		data, _ := os.ReadFile(outPath)
		return fmt.Errorf("%w: %s", err, data)
	}
	return nil
}

// WaitForOutput waits until the file at path holds marker, failing early
// when it holds "FAIL" and after timeout.
func WaitForOutput(path, marker string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), marker) {
			return nil
		}
		if strings.Contains(string(data), "FAIL") {
			return fmt.Errorf("program failed: %s", data)
		}
		time.Sleep(100 * time.Millisecond)
	}
	data, _ := os.ReadFile(path)
	return fmt.Errorf("no %q in output after %v: %s", marker, timeout, data)
}
