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
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/runsc/config"
	"gvisor.dev/gvisor/runsc/specutils"
)

func TestProcPid(t *testing.T) {
	for path, want := range map[string]int{
		"/proc/42/ns/ipc":         42,
		"/proc/42/task/43/ns/ipc": 42,
		"/proc//42/ns/ipc/":       42,
		"/proc/self/ns/ipc":       0,
		"/proc/0/ns/ipc":          0,
		"/run/ipcns/pod":          0,
		"proc/42/ns/ipc":          0,
		"/proc/42/ns":             0,
	} {
		if got := procPid(path); got != want {
			t.Errorf("procPid(%q) = %d, want %d", path, got, want)
		}
	}
}

func TestFlagValues(t *testing.T) {
	got := flagValues([]string{"runsc-sandbox", "--platform=systrap", "-network=none", "--debug", "boot", "--bundle=/b"})
	for name, want := range map[string]string{"platform": "systrap", "network": "none", "bundle": "/b", "debug": ""} {
		if got[name] != want {
			t.Errorf("flagValues()[%q] = %q, want %q", name, got[name], want)
		}
	}
}

func specWithIPC(path string) *specs.Spec {
	return &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace, Path: path}}}}
}

func TestPrepareLeavesPrivateNamespaces(t *testing.T) {
	conf := &config.Config{RootDir: t.TempDir()}
	for name, spec := range map[string]*specs.Spec{
		"no linux":      {},
		"own namespace": specWithIPC(""),
		"host":          {Linux: &specs.Linux{}},
	} {
		if err := Prepare(conf, spec); err != nil {
			t.Errorf("%s: Prepare: %v", name, err)
		}
		if IsJoined(spec) || NeedsWaiter(spec) {
			t.Errorf("%s: joined %v, waiter %v; want neither", name, IsJoined(spec), NeedsWaiter(spec))
		}
	}
}

// A pod's container is placed by its annotations; its namespace path (the
// pause container's) is not looked up.
func TestPrepareLeavesPodContainers(t *testing.T) {
	spec := specWithIPC("/proc/1/ns/ipc")
	spec.Annotations = map[string]string{
		specutils.ContainerdContainerTypeAnnotation: specutils.ContainerdContainerTypeContainer,
		specutils.ContainerdSandboxIDAnnotation:     "pod",
	}
	if err := Prepare(&config.Config{RootDir: t.TempDir()}, spec); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if IsJoined(spec) || NeedsWaiter(spec) {
		t.Errorf("pod container: joined %v, waiter %v; want neither", IsJoined(spec), NeedsWaiter(spec))
	}
}

// A path to a namespace that no container of the root holds (this test's
// own, a host process's) fails, naming the path and the process.
func TestPrepareRefusesForeignNamespace(t *testing.T) {
	root := t.TempDir()
	path := fmt.Sprintf("/proc/%d/ns/ipc", os.Getpid())
	spec := specWithIPC(path)
	err := Prepare(&config.Config{RootDir: root}, spec)
	if err == nil || !strings.Contains(err.Error(), strconv.Quote(path)) || !strings.Contains(err.Error(), fmt.Sprintf("process %d is not a container of this runsc", os.Getpid())) {
		t.Fatalf("Prepare(%s) = %v, want the refusal naming the namespace and the process", path, err)
	}
	missing := filepath.Join(root, "gone")
	if err := Prepare(&config.Config{RootDir: root}, specWithIPC(missing)); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Prepare(%s) = %v, want ENOENT", missing, err)
	}
	if IsJoined(spec) {
		t.Errorf("a refused spec is marked joined")
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestNeedsWaiter(t *testing.T) {
	shm := func(typ string) *specs.Spec {
		return &specs.Spec{Mounts: []specs.Mount{{Destination: "/dev/shm", Type: typ}}}
	}
	if !NeedsWaiter(shm("bind")) {
		t.Errorf("a first container with a bound /dev/shm (shareable) needs no waiter")
	}
	if NeedsWaiter(shm("tmpfs")) {
		t.Errorf("a private container (tmpfs /dev/shm) gets a waiter")
	}
	pause := shm("bind")
	pause.Annotations = map[string]string{specutils.ContainerdContainerTypeAnnotation: specutils.ContainerdContainerTypeSandbox}
	if NeedsWaiter(pause) {
		t.Errorf("a pod's sandbox container gets a waiter")
	}
	joined := shm("tmpfs")
	joined.Annotations = map[string]string{JoinedAnnotation: "prod"}
	if !NeedsWaiter(joined) {
		t.Errorf("a joined container needs no waiter")
	}
}
