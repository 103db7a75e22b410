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
	"path"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/log"

	"github.com/mqsentry/mqsentry/pkg/sentry/fsimpl/ipcproc"
)

// mqueueSysctlDir is the directory of Linux's ipc/mq_sysctl.c sysctls, all
// of them per IPC namespace.
const mqueueSysctlDir = "fs/mqueue"

// runcIPCKeys are the keys runc's validator (libcontainer/configs/validate,
// sysctl) takes as the IPC namespace's besides every "fs.mqueue." key: it
// allows them only in a spec with an IPC namespace of its own.
var runcIPCKeys = map[string]bool{
	"kernel.msgmax":          true,
	"kernel.msgmnb":          true,
	"kernel.msgmni":          true,
	"kernel.sem":             true,
	"kernel.shmall":          true,
	"kernel.shmmax":          true,
	"kernel.shmmni":          true,
	"kernel.shm_rmid_forced": true,
}

// runcName is key as runc's validator reads it and names it in its errors:
// a key whose first separator is '/' has every '.' and '/' swapped (runc's
// convertSysctlVariableToDotsSeparator), so "kernel/msgmax" is
// kernel.msgmax, but "fs/mqueue.msg_max" is fs.mqueue/msg_max.
func runcName(key string) string {
	i := strings.IndexAny(key, "./")
	if i < 0 || key[i] == '.' {
		return key
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, key)
}

// sysctlPath is the file under /proc/sys that runc writes for key: every '.'
// becomes '/' and path.Join cleans the result, dropping empty and trailing
// components ("fs.mqueue.msg_max/" and "fs/mqueue//msg_max" both write
// fs/mqueue/msg_max). No '.' survives, so no component is "..": the path
// never leaves /proc/sys.
func sysctlPath(key string) string {
	return strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(key, ".", "/")), "/")
}

// isIPCPath reports whether p, a path under /proc/sys, is in the IPC
// namespace's part of /proc/sys (runc's IPC keys and fs/mqueue).
func isIPCPath(p string) bool {
	return p == mqueueSysctlDir || strings.HasPrefix(p, mqueueSysctlDir+"/") ||
		runcIPCKeys[strings.ReplaceAll(p, "/", ".")]
}

// openError is the error opening /proc/sys/p for writing gives on Linux when
// p, in the IPC part of /proc/sys, is not a file: EISDIR for the fs/mqueue
// directory, ENOTDIR below one of its files. nil otherwise, including for a
// name that does not exist (ipcproc.ParseSysctls refuses that with ENOENT).
func openError(p string) error {
	if p == mqueueSysctlDir {
		return linuxerr.EISDIR
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if ipcproc.IsLimitSysctl(dir) {
			return linuxerr.ENOTDIR
		}
	}
	return nil
}

// hasIPCNamespace reports whether spec gives the container an IPC namespace
// of its own (new, or joined by path as a pod's containers join the pod's),
// runc's condition for IPC sysctls.
func hasIPCNamespace(spec *specs.Spec) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.IPCNamespace {
			return true
		}
	}
	return false
}

// ipcSysctls are the IPC keys of a spec's linux.sysctl, sorted out.
type ipcSysctls struct {
	// limits are the message queue limits to set, by path under /proc/sys.
	limits map[string]string
	// keys are the spec's keys of limits.
	keys map[string]string
	// overridden are keys whose value another key for the same file
	// replaced, each with the one that did.
	overridden [][2]string
	// ignored are IPC keys this runsc does not implement (kernel.sem and
	// kernel.shm*).
	ignored []string
}

// sortSysctls sorts out the IPC keys of spec's linux.sysctl, or returns
// the error runc gives for the spec:
//
//   - a key runc's validator does not take as an IPC key although it writes
//     an IPC sysctl ("fs.mqueue/msg_max", "fs/mqueue.msg_max",
//     "kernel.sem/"): runc refuses it as "not in a separate kernel
//     namespace";
//   - an IPC key in a spec without its own IPC namespace: runc refuses it
//     as "not allowed in the hosts ipc namespace";
//   - a key whose file is a directory or under a file (EISDIR, ENOTDIR).
//
// Keys outside the IPC part of /proc/sys are left to runsc, which reads
// fs.nr_open and ignores the rest (runc refuses most of them, but pods that
// run on stock gVisor must keep running).
//
// Two keys can write the same file ("fs.mqueue.msg_max" and
// "fs/mqueue/msg_max"). runc writes both, in Go map order, so the last
// write varies from run to run. The map runc's init iterates is decoded
// from the config it receives as JSON, whose keys encoding/json sorts, so
// (Go 1.19's maps, up to 8 keys) the keys sit in one bucket's 8 slots in
// byte order and iteration walks the slots from a random one: the key later
// in byte order is written later unless the start falls between the two,
// 1 run in 8 for keys next to each other (test/oci saw fs/mqueue/msg_max's
// value in 26 runs of 28, whatever the order in config.json). That most
// frequent outcome, made certain: keys are taken in byte order and the last
// one for a file gives its value.
func sortSysctls(spec *specs.Spec) (ipcSysctls, error) {
	s := ipcSysctls{limits: make(map[string]string), keys: make(map[string]string)}
	if spec.Linux == nil {
		return s, nil
	}
	keys := make([]string, 0, len(spec.Linux.Sysctl))
	for key := range spec.Linux.Sysctl {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		value, name, p := spec.Linux.Sysctl[key], runcName(key), sysctlPath(key)
		if !runcIPCKeys[name] && !strings.HasPrefix(name, "fs.mqueue.") {
			if isIPCPath(p) {
				return ipcSysctls{}, fmt.Errorf("sysctl %q is not in a separate kernel namespace", name)
			}
			continue
		}
		if !hasIPCNamespace(spec) {
			return ipcSysctls{}, fmt.Errorf("sysctl %q is not allowed in the hosts ipc namespace", name)
		}
		if err := openError(p); err != nil {
			return ipcSysctls{}, runcWords(key, &ipcproc.SysctlError{Name: p, Value: value, Err: err})
		}
		if !ipcproc.IsLimitSysctl(p) && !strings.HasPrefix(p, mqueueSysctlDir+"/") {
			s.ignored = append(s.ignored, key)
			continue
		}
		if earlier, ok := s.keys[p]; ok && spec.Linux.Sysctl[earlier] != value {
			s.overridden = append(s.overridden, [2]string{earlier, key})
		}
		s.limits[p], s.keys[p] = value, key
	}
	return s, nil
}

// runcWords words a refused limit as runc does when writing (or, for a file
// Linux does not have or that is not a file, opening) its /proc/sys file
// fails; key is the spec's.
func runcWords(key string, refused *ipcproc.SysctlError) error {
	op := "write"
	if errors.Is(refused.Err, linuxerr.ENOENT) || errors.Is(refused.Err, linuxerr.EISDIR) || errors.Is(refused.Err, linuxerr.ENOTDIR) {
		op = "open"
	}
	return fmt.Errorf("write sysctl key %s: %s /proc/sys/%s: value %q: %w",
		key, op, refused.Name, refused.Value, refused.Err)
}

// runcError words err, from ipcproc for s.limits, as runc would.
func (s ipcSysctls) runcError(err error) error {
	var refused *ipcproc.SysctlError
	if !errors.As(err, &refused) {
		return err
	}
	return runcWords(s.keys[refused.Name], refused)
}

// parse checks the values of s.limits as writes to their files would.
func (s ipcSysctls) parse() (ipcproc.SysctlValues, error) {
	v, err := ipcproc.ParseSysctls(s.limits)
	return v, s.runcError(err)
}

// validateSysctls checks spec's IPC sysctls as runc would before its
// container starts.
func validateSysctls(spec *specs.Spec) error {
	s, err := sortSysctls(spec)
	if err != nil {
		return err
	}
	_, err = s.parse()
	return err
}

// ApplySysctls sets spec's message queue limits in the IPC namespace of
// ctx, all or none, and logs a warning for each IPC key it leaves unset.
func ApplySysctls(ctx context.Context, spec *specs.Spec) error {
	s, err := sortSysctls(spec)
	if err != nil {
		return err
	}
	for _, key := range s.ignored {
		// Stock runsc ignores every IPC sysctl; refusing these would stop
		// pods that run on it.
		log.Warningf("sysctl %q is ignored: this runsc does not implement it (only kernel.msg* and fs.mqueue.*)", key)
	}
	for _, o := range s.overridden {
		log.Warningf("sysctl %q is overridden by %q: both name /proc/sys/%s; the key last in byte order gives the value", o[0], o[1], sysctlPath(o[1]))
	}
	v, err := s.parse()
	if err != nil {
		return err
	}
	return s.runcError(v.Set(ctx))
}
