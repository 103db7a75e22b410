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
	if sb == nil || !sb.IsRootContainer(c.ID) || !sb.IsRunning() || !hasJoinedContainers(conf.RootDir, sb.ID, c.ID) {
		return sb
	}
	if err := sb.SignalContainer(c.ID, unix.SIGKILL, true /* all */); err != nil {
		// Its processes may all be gone already.
		_ = err
	}
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

// hasJoinedContainers reports whether a container other than except that
// joined an IPC namespace in sandbox sandboxID is in rootDir.
func hasJoinedContainers(rootDir, sandboxID, except string) bool {
	ids, err := container.List(rootDir)
	if err != nil {
		return false
	}
	for _, id := range ids {
		if id.SandboxID != sandboxID || id.ContainerID == except {
			continue
		}
		c, err := container.Load(rootDir, id, container.LoadOpts{Exact: true, SkipCheck: true})
		if err == nil && IsJoined(c.Spec) {
			return true
		}
	}
	return false
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
