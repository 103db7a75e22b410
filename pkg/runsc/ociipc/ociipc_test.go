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
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/pkg/log"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipcnstest"
)

// ipcNS gives a spec's container an IPC namespace of its own.
var ipcNS = []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}}

func TestMqueueMountAppliesFlags(t *testing.T) {
	for _, tc := range []struct {
		options []string
		want    vfs.MountOptions
	}{
		// Docker's, podman's and containerd's /dev/mqueue.
		{[]string{"nosuid", "noexec", "nodev"}, vfs.MountOptions{Flags: vfs.MountFlags{NoSUID: true, NoExec: true, NoDev: true}}},
		{[]string{"ro", "nosuid", "noexec", "nodev", "relatime"}, vfs.MountOptions{ReadOnly: true, Flags: vfs.MountFlags{NoSUID: true, NoExec: true, NoDev: true}}},
		// Later options win, as in runc's parsing.
		{[]string{"ro", "rw", "noexec", "exec", "noatime"}, vfs.MountOptions{Flags: vfs.MountFlags{NoATime: true}}},
		{[]string{"rro", "rnosuid", "rprivate", "defaults"}, vfs.MountOptions{ReadOnly: true, Flags: vfs.MountFlags{NoSUID: true}}},
		{nil, vfs.MountOptions{}},
		// runc takes "" as empty data and tmpcopyup as a tmpfs extension.
		{[]string{"", "nodev", "tmpcopyup", ""}, vfs.MountOptions{Flags: vfs.MountFlags{NoDev: true}}},
	} {
		name, opts, err := MqueueMount(&specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: tc.options})
		if err != nil {
			t.Errorf("MqueueMount(%q): %v", tc.options, err)
			continue
		}
		tc.want.GetFilesystemOptions.InternalMount = true
		if name != "mqueue" || *opts != tc.want {
			t.Errorf("MqueueMount(%q) = %q, %+v; want mqueue, %+v", tc.options, name, *opts, tc.want)
		}
	}
}

func TestMqueueMountRefusesDataOptions(t *testing.T) {
	for _, o := range []string{"size=1", "mode=1777", "nonesuch"} {
		_, _, err := MqueueMount(&specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Options: []string{"nosuid", o}})
		if err == nil || !strings.Contains(err.Error(), `"/dev/mqueue"`) || !strings.Contains(err.Error(), o) {
			t.Errorf("MqueueMount with %q: %v, want an error naming the mount and option", o, err)
		}
	}
}

func TestApplySysctlsSetsOnlyQueueLimits(t *testing.T) {
	ctx, ns := ipcnstest.New()
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{
		"fs.mqueue.msg_max":  "100",
		"kernel/msgmnb":      "65536",
		"kernel.msgmni":      "64",
		"fs.nr_open":         "not ours",
		"kernel.shmmax":      "not ours either",
		"kernel.msg_next_id": "not a limit",
	}}}
	if err := ApplySysctls(ctx, spec); err != nil {
		t.Fatalf("ApplySysctls: %v", err)
	}
	if got := ns.Posix.Limits().MsgMax; got != 100 {
		t.Errorf("msg_max = %d, want 100", got)
	}
	if got := ns.SysV.Limits(); got.MsgMnb != 65536 || got.MsgMni != 64 {
		t.Errorf("SysV limits = %+v, want msgmnb 65536, msgmni 64", got)
	}
	if err := ApplySysctls(ctx, &specs.Spec{}); err != nil {
		t.Errorf("ApplySysctls without linux: %v", err)
	}
}

func TestApplySysctlsRefusesLikeRunc(t *testing.T) {
	for key, value := range map[string]string{
		"fs.mqueue.msg_max":  "0",
		"kernel.msgmnb":      "-5",
		"fs.mqueue.nonesuch": "1",
	} {
		ctx, ns := ipcnstest.New()
		posix, sysv := ns.Posix.Limits(), ns.SysV.Limits()
		spec := &specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{key: value, "kernel.msgmax": "100"}}}
		err := ApplySysctls(ctx, spec)
		if err == nil || !strings.HasPrefix(err.Error(), "write sysctl key "+key+": ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", value)) {
			t.Errorf("ApplySysctls(%s=%s) = %v, want runc's 'write sysctl key %s: ...'", key, value, err, key)
		}
		if ns.Posix.Limits() != posix || ns.SysV.Limits() != sysv {
			t.Errorf("ApplySysctls(%s=%s) changed limits although it failed", key, value)
		}
	}
}

// procMount is a spec's usual /proc.
var procMount = specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}

func TestValidate(t *testing.T) {
	mq := func(opts ...string) specs.Mount {
		return specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: opts}
	}
	for _, tc := range []struct {
		name    string
		spec    specs.Spec
		wantErr string // "" for none
	}{
		{"docker", specs.Spec{Mounts: []specs.Mount{mq("nosuid", "noexec", "nodev")},
			Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{"fs.mqueue.msg_max": "100", "net.core.somaxconn": "x"}}}, ""},
		{"no linux", specs.Spec{}, ""},
		{"bind", specs.Spec{Mounts: []specs.Mount{mq("rbind", "ro")}}, ""},
		{"data option", specs.Spec{Mounts: []specs.Mount{mq("nosuid", "size=1")}}, `unknown option "size=1"`},
		{"bad value", specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{"kernel.msgmni": "40000"}}},
			`write sysctl key kernel.msgmni: write /proc/sys/kernel/msgmni: value "40000": invalid argument`},
		{"unknown mqueue key", specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{"fs.mqueue.x": "1"}}},
			`write sysctl key fs.mqueue.x: open /proc/sys/fs/mqueue/x: value "1": no such file or directory`},
		{"empty and tmpcopyup options", specs.Spec{Mounts: []specs.Mount{mq("", "tmpcopyup")}}, ""},
		// runc fails a container whose mqueue mount hides procfs or
		// lies inside it, unless a later mount at /proc covers it.
		{"over /proc", specs.Spec{Mounts: []specs.Mount{procMount, {Destination: "/proc/", Type: "mqueue", Source: "mqueue"}}},
			`"/proc" cannot be mounted because it is not of type proc`},
		{"inside /proc", specs.Spec{Mounts: []specs.Mount{procMount, {Destination: "/proc/sys/fs/mqueue", Type: "mqueue"}}},
			`"/proc/sys/fs/mqueue" cannot be mounted because it is inside /proc`},
		{"under a later /proc", specs.Spec{Mounts: []specs.Mount{{Destination: "/proc", Type: "mqueue"}, {Destination: "/proc/mq", Type: "mqueue"}, procMount}}, ""},
		{"beside /proc", specs.Spec{Mounts: []specs.Mount{procMount, {Destination: "/procmq", Type: "mqueue"}}}, ""},
	} {
		err := Validate(&tc.spec)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestSysctlKeysLikeRunc checks keys as runc 1.1's validator takes them and
// the files it writes for them (test/oci checks the same specs under runc).
func TestSysctlKeysLikeRunc(t *testing.T) {
	for _, tc := range []struct {
		key     string
		hostIPC bool   // the spec has no IPC namespace of its own
		wantErr string // "" for a key applied to fs/mqueue/msg_max
	}{
		{key: "fs.mqueue.msg_max"},
		{key: "fs/mqueue/msg_max"},
		// path.Join drops a trailing '/' and empty components.
		{key: "fs.mqueue.msg_max/"},
		{key: "fs/mqueue/msg_max/"},
		{key: "fs.mqueue..msg_max"},
		// A key mixing separators is no IPC key for runc's validator,
		// which names it with '.' and '/' swapped when '/' comes first.
		{key: "fs.mqueue/msg_max", wantErr: `sysctl "fs.mqueue/msg_max" is not in a separate kernel namespace`},
		{key: "fs/mqueue.msg_max", wantErr: `sysctl "fs.mqueue/msg_max" is not in a separate kernel namespace`},
		{key: "fs.mqueue", wantErr: `sysctl "fs.mqueue" is not in a separate kernel namespace`},
		{key: "kernel.sem/", wantErr: `sysctl "kernel.sem/" is not in a separate kernel namespace`},
		{key: "fs.mqueue.msg_max", hostIPC: true, wantErr: `sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace`},
		{key: "kernel/msgmnb", hostIPC: true, wantErr: `sysctl "kernel.msgmnb" is not allowed in the hosts ipc namespace`},
		{key: "kernel.shmmax", hostIPC: true, wantErr: `sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace`},
		{key: "fs.mqueue.", wantErr: `write sysctl key fs.mqueue.: open /proc/sys/fs/mqueue: value "20": is a directory`},
		{key: "fs.mqueue.msg_max.x", wantErr: `write sysctl key fs.mqueue.msg_max.x: open /proc/sys/fs/mqueue/msg_max/x: value "20": not a directory`},
		// '.' in ".." becomes '/' too: no key climbs out of its directory.
		{key: "fs.mqueue.x/../msg_max", wantErr: `open /proc/sys/fs/mqueue/x/msg_max: value "20": no such file or directory`},
	} {
		spec := &specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{tc.key: "20"}}}
		if tc.hostIPC {
			spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}}
		}
		validateErr := Validate(spec)
		ctx, ns := ipcnstest.New()
		applyErr := ApplySysctls(ctx, spec)
		for _, err := range []error{validateErr, applyErr} {
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("%q: %v, want %q", tc.key, err, tc.wantErr)
			}
		}
		if got := ns.Posix.Limits().MsgMax; tc.wantErr == "" && got != 20 {
			t.Errorf("%q: msg_max = %d, want 20", tc.key, got)
		}
	}
}

// TestSysctlKeysForOneFile checks that of keys writing the same file, the
// one last in byte order gives the value, every time (runc's most frequent
// outcome), and that the one overridden is logged.
func TestSysctlKeysForOneFile(t *testing.T) {
	logged := captureLog(t)
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: map[string]string{
		"fs.mqueue.msg_max":  "30",
		"fs/mqueue/msg_max":  "20",
		"fs.mqueue.msg_max/": "25",
		"kernel.msgmnb":      "4000",
		"kernel/msgmnb":      "4000",
	}}}
	for i := 0; i < 50; i++ {
		ctx, ns := ipcnstest.New()
		if err := ApplySysctls(ctx, spec); err != nil {
			t.Fatalf("ApplySysctls: %v", err)
		}
		if got := ns.Posix.Limits().MsgMax; got != 20 {
			t.Fatalf("run %d: msg_max = %d, want fs/mqueue/msg_max's 20", i, got)
		}
		if got := ns.SysV.Limits().MsgMnb; got != 4000 {
			t.Fatalf("run %d: msgmnb = %d, want 4000", i, got)
		}
	}
	lines := logged()
	for _, want := range []string{`"fs.mqueue.msg_max" is overridden by "fs.mqueue.msg_max/"`, `"fs.mqueue.msg_max/" is overridden by "fs/mqueue/msg_max"`} {
		if !strings.Contains(lines, want) {
			t.Errorf("log %q lacks %q", lines, want)
		}
	}
	// Equal values override nothing.
	if strings.Contains(lines, "msgmnb") {
		t.Errorf("log %q names msgmnb, whose keys agree", lines)
	}
}

// TestUnimplementedIPCSysctlsWarn checks that kernel.sem and kernel.shm*,
// which stock runsc ignores, are ignored too, each with a warning naming it.
func TestUnimplementedIPCSysctlsWarn(t *testing.T) {
	logged := captureLog(t)
	keys := []string{"kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel/shmmni", "kernel.shm_rmid_forced"}
	sysctls := map[string]string{"kernel.msgmax": "100"}
	for _, k := range keys {
		sysctls[k] = "1"
	}
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: ipcNS, Sysctl: sysctls}}
	if err := Validate(spec); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ctx, ns := ipcnstest.New()
	if err := ApplySysctls(ctx, spec); err != nil {
		t.Fatalf("ApplySysctls: %v", err)
	}
	if got := ns.SysV.Limits().MsgMax; got != 100 {
		t.Errorf("msgmax = %d, want 100", got)
	}
	lines := logged()
	for _, k := range keys {
		if !strings.Contains(lines, fmt.Sprintf("sysctl %q is ignored", k)) {
			t.Errorf("log %q has no warning for %s", lines, k)
		}
	}
	if strings.Contains(lines, "msgmax") {
		t.Errorf("log %q warns of kernel.msgmax, which is set", lines)
	}
}

// logRecorder keeps warnings logged through gVisor's log package.
type logRecorder struct {
	mu sync.Mutex
	// +checklocks:mu
	lines []string
}

// Emit implements log.Emitter.
func (r *logRecorder) Emit(_ int, level log.Level, _ time.Time, format string, v ...any) {
	if level != log.Warning {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, v...))
}

// captureLog sends gVisor's log to a recorder until the test ends and
// returns a function giving the warnings so far.
func captureLog(t *testing.T) func() string {
	old := log.Log().Emitter
	r := &logRecorder{}
	log.SetTarget(r)
	t.Cleanup(func() { log.SetTarget(old) })
	return func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Join(r.lines, "\n")
	}
}
