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

package ipcproc

import (
	"fmt"
	"sort"

	"gvisor.dev/gvisor/pkg/context"
)

// SysctlError is a value SetSysctls refused, with the error a write of it
// to its /proc/sys file gives.
type SysctlError struct {
	Name  string
	Value string
	Err   error
}

// Error implements error.
func (e *SysctlError) Error() string {
	return fmt.Sprintf("%s = %q: %v", e.Name, e.Value, e.Err)
}

// Unwrap gives the errno.
func (e *SysctlError) Unwrap() error { return e.Err }

// IsLimitSysctl reports whether name (a path under /proc/sys, such as
// "fs/mqueue/msg_max") is one of the IPC namespace's message queue limits.
func IsLimitSysctl(name string) bool {
	_, ok := sysctls[name]
	return ok && name != sysctlMsgNextID
}

// SysctlValues are limits checked by ParseSysctls, ready to be set.
type SysctlValues struct {
	names  []string // sorted, so that errors and the order of sets are stable
	raw    []string
	parsed []sysctlWrite
}

// ParseSysctls checks limits as writes of the values to their /proc/sys
// files would (runc writes each value to its file): each is parsed as the
// file parses a write (parseSysctlInt) and checked against its file's
// range; an empty value, an empty write, sets nothing. Names
// are paths under /proc/sys (see IsLimitSysctl); a name that is not a limit
// is refused with ENOENT, as opening its file would be.
func ParseSysctls(values map[string]string) (SysctlValues, error) {
	var v SysctlValues
	for name := range values {
		v.names = append(v.names, name)
	}
	sort.Strings(v.names)
	for _, name := range v.names {
		if !IsLimitSysctl(name) {
			return SysctlValues{}, &SysctlError{Name: name, Value: values[name], Err: errNoSuchSysctl}
		}
		w, err := parseSysctlInt([]byte(values[name]), int64(len(values[name])))
		if err == nil && w.set {
			err = checkSysctlRange(w.v, sysctls[name].min, sysctls[name].max)
		}
		if err != nil {
			return SysctlValues{}, &SysctlError{Name: name, Value: values[name], Err: err}
		}
		v.raw = append(v.raw, values[name])
		v.parsed = append(v.parsed, w)
	}
	return v, nil
}

// Set sets the limits in the IPC namespace of ctx. It checks no
// credentials: it is for a container runtime setting up a namespace.
func (v SysctlValues) Set(ctx context.Context) error {
	ns := ipcNamespaceFromContext(ctx)
	for i, name := range v.names {
		if !v.parsed[i].set {
			continue
		}
		if err := sysctls[name].set(ns, v.parsed[i].v); err != nil {
			return &SysctlError{Name: name, Value: v.raw[i], Err: err}
		}
	}
	return nil
}

// SetSysctls sets limits of the IPC namespace in ctx, all or none: every
// value is checked (ParseSysctls) before any is set.
func SetSysctls(ctx context.Context, values map[string]string) error {
	v, err := ParseSysctls(values)
	if err != nil {
		return err
	}
	return v.Set(ctx)
}
