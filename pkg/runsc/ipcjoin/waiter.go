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
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/runsc/container"
	"gvisor.dev/gvisor/runsc/specutils"
)

// The shims of Docker and podman (containerd's runc shim, conmon) run runsc
// as they run runc, and two of runc's behaviours they rely on differ for a
// container in an existing sandbox:
//   - exit: the shim learns that the container exited when the process whose
//     pid `create` wrote to --pid-file does, and reaps it as a subreaper.
//     runsc writes the sandbox's pid, which exits with the sandbox's last
//     container, not with this one;
//   - stdio: runc's container keeps the stdio of `runc create` (the shim's
//     pipes to the container's log); runsc gives a subcontainer the stdio of
//     `runsc start`, which the shim runs with its output captured and reads
//     to the end, so the container would hold that pipe and start would never
//     return.
// So create starts a waiter, a process of this runsc that keeps create's
// stdio and is written to --pid-file as the container's process. start gives
// the container the waiter's stdio; the waiter then lets go of it, waits for
// the container and exits with its status (128+signal when killed, as the
// shim reports a killed runc init). deploy/containerd/runsc-cri does the same
// for a Kubernetes pod's containers behind containerd's runc shim.
//
// A container that others may join needs a waiter too, without the stdio
// (the sandbox has its create's): once a container joined it, the sandbox
// outlives its init, and its shim must still see it exit (`docker stop`
// waits for that). Which containers may be joined is the engine's choice,
// made before any joins: Docker's `--ipc shareable` and every podman
// container get a /dev/shm bound from the host, for the joiners to share,
// where a private IPC namespace gets a tmpfs.

// NeedsWaiter reports whether `runsc create` of spec starts a waiter: spec
// joined another container's IPC namespace (Prepare), or it is a sandbox's
// first container whose engine made its IPC namespace shareable. A
// Kubernetes pod's containers are left to the pod's shim.
func NeedsWaiter(spec *specs.Spec) bool {
	if IsJoined(spec) {
		return true
	}
	if specutils.SpecContainerType(spec) != specutils.ContainerTypeUnspecified {
		return false
	}
	for _, m := range spec.Mounts {
		if m.Destination == "/dev/shm" && m.Type == "bind" {
			return true
		}
	}
	return false
}

// WaiterCommand is the first argument of a waiter's command line; cmd/runsc
// hands such a process to WaiterMain instead of runsc's command line.
const WaiterCommand = "mqsentry-ipcjoin-wait"

// waiterPollInterval is how often a waiter looks whether its container has
// been started (or deleted) before it waits on it.
const waiterPollInterval = 20 * time.Millisecond

func waiterFile(rootDir, id string) string {
	return filepath.Join(rootDir, id+".mqsentry-waiter")
}

// waiterPid returns the pid of container id's waiter, or 0.
func waiterPid(rootDir, id string) int {
	data, err := os.ReadFile(waiterFile(rootDir, id))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0
	}
	return pid
}

// StartWaiter starts container id's waiter with this process's stdio and
// writes its pid to pidFile (when given) and to the runsc root. It is called
// by `runsc create` after the joined container was created.
func StartWaiter(rootDir, id, pidFile string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, WaiterCommand, rootDir, id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the container's waiter: %w", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	if err := os.WriteFile(waiterFile(rootDir, id), []byte(pid), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	// No newline: containerd's shim parses the file whole.
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(pid), 0o644); err != nil {
			_ = cmd.Process.Kill()
			return err
		}
	}
	// The waiter is the shim's to reap once this process exits.
	return cmd.Process.Release()
}

// AdoptWaiterStdio makes the waiter's stdio this process's, for `runsc
// start` to give the container. It does nothing for a container without a
// waiter.
func AdoptWaiterStdio(rootDir, id string) error {
	pid := waiterPid(rootDir, id)
	if pid == 0 {
		return nil
	}
	for fd, flags := range []int{unix.O_RDONLY, unix.O_WRONLY, unix.O_WRONLY} {
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/%d", pid, fd), flags, 0)
		if err != nil {
			return fmt.Errorf("taking the stdio of the container's waiter: %w", err)
		}
		err = unix.Dup3(int(f.Fd()), fd, 0)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// StopWaiter ends container id's waiter (a container deleted before it was
// started leaves its waiter polling) and forgets it.
func StopWaiter(rootDir, id string) {
	if pid := waiterPid(rootDir, id); pid != 0 {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	_ = os.Remove(waiterFile(rootDir, id))
}

// WaiterMain is the waiter's program: args are the runsc root and the
// container's ID. It returns the exit status.
func WaiterMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s ROOT ID\n", WaiterCommand)
		return 2
	}
	rootDir, id := args[0], args[1]
	full := container.FullID{ContainerID: id}
	var c *container.Container
	for {
		var err error
		c, err = container.Load(rootDir, full, container.LoadOpts{SkipCheck: true})
		if err != nil {
			// Deleted before it was started.
			return 255
		}
		if c.Status != container.Created {
			break
		}
		time.Sleep(waiterPollInterval)
	}
	// start has taken the stdio (a first container's went to its sandbox at
	// create); holding it would keep the container's log open after the
	// container exits.
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		for fd := 0; fd <= 2; fd++ {
			_ = unix.Dup3(int(null.Fd()), fd, 0)
		}
		null.Close()
	}
	ws, err := waitInit(c)
	if err != nil {
		return 255
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// waitInit waits for c's init process to exit. Container.Wait waits for a
// sandbox's first container's sandbox too, which joined containers keep
// running: its init is waited for as process 1 of the sandbox, unless it is
// gone already (a sandbox's init is reaped as it exits), when Wait gives its
// status, once the sandbox's other containers are gone.
func waitInit(c *container.Container) (unix.WaitStatus, error) {
	if c.Sandbox.IsRootContainer(c.ID) {
		if ws, err := c.WaitRootPID(1); err == nil {
			return ws, nil
		}
	}
	return c.Wait()
}
