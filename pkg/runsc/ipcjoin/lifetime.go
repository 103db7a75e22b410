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

package ipcjoin

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/runsc/config"
	"gvisor.dev/gvisor/runsc/container"
	"gvisor.dev/gvisor/runsc/sandbox"
)

// A sandbox that containers joined lives as long as its last container, as
// the namespace they share does under runc, not as long as the container
// that started it: runsc destroys a sandbox with its first container.
// BeforeDestroy and AfterDestroy bracket `runsc delete`'s Container.Destroy.

// BeforeDestroy is called by `runsc delete` before it destroys c. When c
// started a sandbox that joined containers still use, only c's processes
// are killed and c is detached from the sandbox, so that Destroy removes
// c's state and gofer but leaves the sandbox running. It returns c's
// sandbox for AfterDestroy.
func BeforeDestroy(conf *config.Config, c *container.Container) *sandbox.Sandbox {
	StopWaiter(conf.RootDir, c.ID)
	sb := c.Sandbox
	if sb != nil && isZombie(sb.Getpid()) {
		// Nothing is left in it to destroy, and runsc would take the
		// unreaped sandbox for a running one that refuses.
		c.Sandbox = nil
		return nil
	}
	if sb == nil || !sb.IsRootContainer(c.ID) || !sb.IsRunning() || len(joinedContainers(conf.RootDir, sb.ID, c.ID)) == 0 {
		return sb
	}
	// An error means its processes are all gone already.
	_ = sb.SignalContainer(c.ID, unix.SIGKILL, true /* all */)
	c.Sandbox = nil
	return sb
}

// AfterDestroy is called by `runsc delete` after it destroyed the container
// whose sandbox BeforeDestroy returned: the sandbox of joined containers
// ends when the last of them is deleted after the container that started
// it.
func AfterDestroy(conf *config.Config, sb *sandbox.Sandbox) error {
	if sb == nil || !sb.IsRunning() || containersOf(conf.RootDir, sb.ID) > 0 {
		return nil
	}
	return sb.DestroyContainer(sb.ID)
}

// joinedContainers returns the containers other than except in rootDir
// that joined an IPC namespace in sandbox sandboxID.
func joinedContainers(rootDir, sandboxID, except string) []string {
	ids, err := container.List(rootDir)
	if err != nil {
		return nil
	}
	var joined []string
	for _, id := range ids {
		if id.SandboxID != sandboxID || id.ContainerID == except {
			continue
		}
		c, err := container.Load(rootDir, id, container.LoadOpts{Exact: true, SkipCheck: true})
		if err == nil && IsJoined(c.Spec) {
			joined = append(joined, id.ContainerID)
		}
	}
	return joined
}

// containersOf counts the containers of sandbox sandboxID in rootDir.
func containersOf(rootDir, sandboxID string) int {
	ids, err := container.List(rootDir)
	if err != nil {
		return 0
	}
	n := 0
	for _, id := range ids {
		if id.SandboxID == sandboxID {
			n++
		}
	}
	return n
}

// CheckCheckpoint is called by `runsc checkpoint` for container c. A sandbox
// that containers joined is saved and restored as one unit, with all its
// containers, while Docker and podman checkpoint and restore each container
// on its own: restoring one would bring back the others' processes without
// their containers. Such a checkpoint is refused, naming the containers, and
// the sandbox runs on with nothing lost.
func CheckCheckpoint(conf *config.Config, c *container.Container) error {
	if c.Sandbox == nil {
		return nil
	}
	joined := joinedContainers(conf.RootDir, c.Sandbox.ID, "")
	if len(joined) == 0 {
		return nil
	}
	return fmt.Errorf("container %q shares its sandbox with containers that joined an IPC namespace in it (%s): runsc checkpoints and restores a sandbox as one unit, not its containers one by one; remove the joined containers first", c.ID, strings.Join(joined, ", "))
}

// NoteExitedSandbox marks c stopped when its sandbox process has exited but
// is not yet reaped (a zombie, which runsc takes for a running sandbox).
// The sandbox of joined containers exits with the last of them, and by then
// it is no longer the child of a shim that reaps it at once: the first
// container's shim adopted it and is gone. `runsc delete` of that last
// container, run as soon as its waiter exits, must not find it running.
func NoteExitedSandbox(c *container.Container) {
	if c.Sandbox == nil || c.Status == container.Stopped {
		return
	}
	if isZombie(c.Sandbox.Getpid()) {
		c.Status = container.Stopped
	}
}

// isZombie reports whether process pid has exited and awaits its reaper.
func isZombie(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command, which may hold spaces.
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
