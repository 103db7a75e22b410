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

// Package ociipc applies the IPC parts of an OCI runtime spec to a sandbox
// the way runc applies them on Linux:
//
//   - every mount of type "mqueue" (Docker, podman and containerd's CRI put
//     one at /dev/mqueue) becomes the mqueue filesystem of the container's
//     IPC namespace, with the spec's mount flags (runc: mount(2));
//   - linux.sysctl's message queue limits (kernel.msgmax, kernel.msgmnb,
//     kernel.msgmni, fs.mqueue.*) are set in that namespace before the
//     container's first process runs (runc: writes to /proc/sys), their
//     keys read as runc 1.1 reads them (its validator's key rules, the file
//     it writes for a key, which of two keys for one file wins: see
//     sortSysctls); the IPC keys this runsc does not implement (kernel.sem,
//     kernel.shm*) are ignored as stock runsc ignores them, with a warning.
//
// runsc's OCI handling has no hook for either, so edits declared in
// build/overlay.list (build/edits/*.edit) add one call to this package at
// each point: where runsc checks a spec it reads (Validate: a spec Linux
// would refuse fails before a sandbox exists, naming what is wrong), where
// runsc/boot mounts a spec's mounts (MqueueMount) and where it prepares a
// container's first process (ApplySysctls). The logic stays here.
package ociipc

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate checks the IPC parts of spec when runsc reads it, before any
// sandbox exists, so that a spec runc would refuse fails `runsc create` or
// `runsc run` with runc's words, naming the culprit: an mqueue mount's
// option that is not a mount flag or its place at or under /proc, or an
// IPC sysctl runc refuses (its key, its namespace or its value).
func Validate(spec *specs.Spec) error {
	for i := range spec.Mounts {
		if spec.Mounts[i].Type != MqueueType {
			continue
		}
		if _, _, err := MqueueMount(&spec.Mounts[i]); err != nil {
			return err
		}
		if err := procMountError(spec.Mounts, i); err != nil {
			return err
		}
	}
	return validateSysctls(spec)
}
