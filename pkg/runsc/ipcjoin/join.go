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

// Package ipcjoin runs a container whose OCI spec names another container's
// IPC namespace by path (Docker's and podman's `--ipc container:NAME`, a
// podman pod's members) inside that container's sandbox, where the Sentry
// gives every container the sandbox's IPC namespace: the containers share
// POSIX queues, System V keys, /dev/mqueue and the IPC sysctls as they do
// under runc, where the path is the host's setns(2) target. A path runsc
// cannot honour fails `runsc create`, naming the namespace.
//
// Linux counterpart: the setns(2) into an IPC namespace that runc performs
// for a namespace path (libcontainer's nsexec); the Sentry has no host
// namespace to enter, so joining means sharing the sandbox.
//
// The package also bridges what such a container needs of the container
// engines' shims (which run runsc as they run runc, see waiter.go) and the
// sandbox's lifetime, which is no longer its first container's (lifetime.go).
package ipcjoin

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/runsc/config"
	"gvisor.dev/gvisor/runsc/container"
	"gvisor.dev/gvisor/runsc/specutils"
)

// JoinedAnnotation marks the spec of a container runsc added to another
// container's sandbox because it joined that container's IPC namespace; its
// value is that container's ID. It is kept in the container's saved spec, so
// start, delete and the waiter know the container without a table of their
// own.
const JoinedAnnotation = "dev.mqsentry.ipc-joined"

// sandboxFlags are the runsc flags two containers must agree on to share a
// sandbox: the sandbox was started with the first container's, and the
// joining container would silently run with them instead of its own.
var sandboxFlags = []string{"platform", "network", "file-access", "overlay2", "rootless", "directfs"}

// Prepare is called by `runsc create` with the spec it read. When the spec
// names the IPC namespace of a container of this runsc root, the spec is
// made a subcontainer of that container's sandbox (the annotations runsc
// reads for a Kubernetes pod's containers) and marked with JoinedAnnotation.
// A spec already placed in a sandbox by its annotations (a pod's container,
// which the pod's sandbox gives the pod's IPC namespace) is left alone.
func Prepare(conf *config.Config, spec *specs.Spec) error {
	path := ipcNamespacePath(spec)
	if path == "" || !specutils.IsRootContainer(spec) {
		return nil
	}
	owner, err := findOwner(conf, path)
	if err != nil {
		return fmt.Errorf("cannot join IPC namespace %q: %w", path, err)
	}
	if err := checkSameFlags(conf, owner.Sandbox.Getpid()); err != nil {
		return fmt.Errorf("cannot join IPC namespace %q of container %q: %w", path, owner.ID, err)
	}
	if spec.Annotations == nil {
		spec.Annotations = make(map[string]string)
	}
	spec.Annotations[specutils.ContainerdContainerTypeAnnotation] = specutils.ContainerdContainerTypeContainer
	spec.Annotations[specutils.ContainerdSandboxIDAnnotation] = owner.Sandbox.ID
	spec.Annotations[JoinedAnnotation] = owner.ID
	return nil
}

// IsJoined reports whether spec is that of a container Prepare added to
// another container's sandbox.
func IsJoined(spec *specs.Spec) bool {
	_, ok := spec.Annotations[JoinedAnnotation]
	return ok
}

func ipcNamespacePath(spec *specs.Spec) string {
	if spec.Linux == nil {
		return ""
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.IPCNamespace {
			return ns.Path
		}
	}
	return ""
}

// findOwner returns the running container of conf's root whose IPC
// namespace path names: /proc/PID/ns/ipc with PID one that runsc reported
// for the container (its sandbox's, its gofer's or its waiter's), or any
// path to the sandbox's host IPC namespace (a bind mount of it, as podman
// pods keep), recognised by device and inode.
func findOwner(conf *config.Config, path string) (*container.Container, error) {
	var target unix.Stat_t
	if err := unix.Stat(path, &target); err != nil {
		return nil, err
	}
	pid := procPid(path)
	ids, err := container.List(conf.RootDir)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		c, err := container.Load(conf.RootDir, id, container.LoadOpts{Exact: true, SkipCheck: true})
		if err != nil || c.Sandbox == nil || !c.Sandbox.IsRunning() {
			continue
		}
		if pid != 0 && (pid == c.Sandbox.Getpid() || pid == int(c.GoferPid.Load()) || pid == waiterPid(conf.RootDir, c.ID)) {
			return c, nil
		}
		if sameNamespace(&target, c.Sandbox.Getpid()) {
			return c, nil
		}
	}
	if pid != 0 {
		return nil, fmt.Errorf("process %d is not a container of this runsc (--root %s); runsc can join only the IPC namespace of a container it runs, whose sandbox holds that namespace", pid, conf.RootDir)
	}
	return nil, fmt.Errorf("it is not the namespace of a container of this runsc (--root %s); runsc can join only the IPC namespace of a container it runs, whose sandbox holds that namespace", conf.RootDir)
}

// procPid returns PID of a path /proc/PID/ns/ipc or
// /proc/PID/task/TID/ns/ipc (the thread's namespace is its process's), or 0.
func procPid(path string) int {
	parts := strings.Split(filepath.Clean(path), "/")
	if len(parts) < 5 || parts[0] != "" || parts[1] != "proc" || parts[len(parts)-2] != "ns" {
		return 0
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// sameNamespace reports whether target is the host IPC namespace of the
// sandbox process pid and that namespace is the sandbox's own: a sandbox
// left in its creator's namespace must not be found by a path to that
// (host) namespace.
func sameNamespace(target *unix.Stat_t, pid int) bool {
	var sandboxNS, selfNS unix.Stat_t
	if unix.Stat(fmt.Sprintf("/proc/%d/ns/ipc", pid), &sandboxNS) != nil || unix.Stat("/proc/self/ns/ipc", &selfNS) != nil {
		return false
	}
	if sandboxNS.Dev == selfNS.Dev && sandboxNS.Ino == selfNS.Ino {
		return false
	}
	return target.Dev == sandboxNS.Dev && target.Ino == sandboxNS.Ino
}

// checkSameFlags compares the joining runsc's sandboxFlags with those the
// sandbox process pid was started with.
func checkSameFlags(conf *config.Config, pid int) error {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return err
	}
	running := flagValues(strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"))
	ours := flagValues(conf.ToFlags())
	for _, name := range sandboxFlags {
		if running[name] != ours[name] {
			return fmt.Errorf("its sandbox runs with --%s=%q, this container asks for --%s=%q", name, running[name], name, ours[name])
		}
	}
	return nil
}

// flagValues maps the "--name=value" arguments of args to their values.
func flagValues(args []string) map[string]string {
	values := make(map[string]string)
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if ok {
			values[name] = value
		}
	}
	return values
}
