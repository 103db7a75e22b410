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

// Package ocispec builds the OCI runtime specs (config.json) of the tests'
// bundles from the runtime-spec Go types, which runc and runsc read them
// into.
package ocispec

import (
	"encoding/json"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Version is the ociVersion of the specs: what they use is all in
// runtime-spec 1.0.
const Version = "1.0.2"

// ProcMount is /proc, which every container here has.
var ProcMount = specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}

// MqueueMount is a /dev/mqueue mount of type mqueue with options. Docker,
// podman and containerd's CRI put it in every spec with DockerMqueueOptions.
func MqueueMount(options ...string) specs.Mount {
	return specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: options}
}

// DockerMqueueOptions are the options of Docker's /dev/mqueue mount.
var DockerMqueueOptions = []string{"nosuid", "noexec", "nodev"}

// RootProcess is a process running args as root (uid and gid 0) without a
// terminal, in cwd with env, with caps as its bounding, effective and
// permitted capability sets.
func RootProcess(args, env []string, cwd string, caps []string) *specs.Process {
	return &specs.Process{
		Args: args,
		Env:  env,
		Cwd:  cwd,
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: caps,
			Permitted: caps,
		},
	}
}

// Namespaces is a linux.namespaces list of new namespaces of types.
func Namespaces(types ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
	ns := make([]specs.LinuxNamespace, len(types))
	for i, t := range types {
		ns[i].Type = t
	}
	return ns
}

// Write writes spec as dir/config.json, the bundle's spec.
func Write(dir string, spec *specs.Spec) error {
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}
