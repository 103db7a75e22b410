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

package ociipc

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

// mqueueSysctlPrefix names the sysctls of Linux's ipc/mq_sysctl.c, all of
// them per IPC namespace.
const mqueueSysctlPrefix = "fs/mqueue/"

// limitSysctls returns the message queue limits among spec's linux.sysctl
// (kernel.msgmax, kernel.msgmnb, kernel.msgmni and every fs.mqueue key) by
// their paths under /proc/sys; other keys are left to runsc.
func limitSysctls(spec *specs.Spec) map[string]string {
	if spec.Linux == nil {
		return nil
	}
	values := make(map[string]string)
	for key, value := range spec.Linux.Sysctl {
		// OCI keys are dotted ("fs.mqueue.msg_max"); runc also takes the
		// /proc/sys path form.
		name := strings.ReplaceAll(key, ".", "/")
		if ipcproc.IsLimitSysctl(name) || strings.HasPrefix(name, mqueueSysctlPrefix) {
			values[name] = value
		}
	}
	return values
}

// runcError words a refused limit as runc does when writing (or, for a key
// Linux does not have, opening) its /proc/sys file fails.
func runcError(err error) error {
	var refused *ipcproc.SysctlError
	if !errors.As(err, &refused) {
		return err
	}
	op := "write"
	if errors.Is(refused.Err, linuxerr.ENOENT) {
		op = "open"
	}
	return fmt.Errorf("write sysctl key %s: %s /proc/sys/%s: value %q: %w",
		strings.ReplaceAll(refused.Name, "/", "."), op, refused.Name, refused.Value, refused.Err)
}

// Validate checks the IPC parts of spec when runsc reads it, before any
// sandbox exists, so that a spec Linux would refuse fails `runsc create` or
// `runsc run` with a message naming the culprit: an mqueue mount's option
// that is not a mount flag, or a limit's value out of its sysctl's range.
func Validate(spec *specs.Spec) error {
	for i := range spec.Mounts {
		if spec.Mounts[i].Type == MqueueType {
			if _, _, err := MqueueMount(&spec.Mounts[i]); err != nil {
				return err
			}
		}
	}
	_, err := ipcproc.ParseSysctls(limitSysctls(spec))
	return runcError(err)
}

// ApplySysctls sets spec's message queue limits in the IPC namespace of
// ctx, all or none.
func ApplySysctls(ctx context.Context, spec *specs.Spec) error {
	values := limitSysctls(spec)
	if len(values) == 0 {
		return nil
	}
	return runcError(ipcproc.SetSysctls(ctx, values))
}
