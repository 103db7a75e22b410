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
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ipcnstest"
)

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
	spec := &specs.Spec{Linux: &specs.Linux{Sysctl: map[string]string{
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
		spec := &specs.Spec{Linux: &specs.Linux{Sysctl: map[string]string{key: value, "kernel.msgmax": "100"}}}
		err := ApplySysctls(ctx, spec)
		if err == nil || !strings.HasPrefix(err.Error(), "write sysctl key "+key+": ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", value)) {
			t.Errorf("ApplySysctls(%s=%s) = %v, want runc's 'write sysctl key %s: ...'", key, value, err, key)
		}
		if ns.Posix.Limits() != posix || ns.SysV.Limits() != sysv {
			t.Errorf("ApplySysctls(%s=%s) changed limits although it failed", key, value)
		}
	}
}

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
			Linux: &specs.Linux{Sysctl: map[string]string{"fs.mqueue.msg_max": "100", "net.core.somaxconn": "x"}}}, ""},
		{"no linux", specs.Spec{}, ""},
		{"bind", specs.Spec{Mounts: []specs.Mount{mq("rbind", "ro")}}, ""},
		{"data option", specs.Spec{Mounts: []specs.Mount{mq("nosuid", "size=1")}}, `unknown option "size=1"`},
		{"bad value", specs.Spec{Linux: &specs.Linux{Sysctl: map[string]string{"kernel.msgmni": "40000"}}},
			`write sysctl key kernel.msgmni: write /proc/sys/kernel/msgmni: value "40000": invalid argument`},
		{"unknown mqueue key", specs.Spec{Linux: &specs.Linux{Sysctl: map[string]string{"fs.mqueue.x": "1"}}},
			`write sysctl key fs.mqueue.x: open /proc/sys/fs/mqueue/x: value "1": no such file or directory`},
	} {
		err := Validate(&tc.spec)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}
