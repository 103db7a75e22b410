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

// Command oci runs the same OCI bundles with Debian's runc (the reference:
// Linux as container engines drive it) and with our runsc, and compares what
// the container sees of the spec's IPC parts: the /dev/mqueue mount of type
// mqueue (present, live, with its flags) and the message queue sysctls of
// linux.sysctl (set and enforced; a value Linux refuses stops the container,
// naming the key). The container runs test/oci/c/ociprobe.c, whose output
// must be the same line for line under both runtimes; each case also states
// the lines it expects, so that a runtime ignoring the spec cannot pass by
// agreeing with itself.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// dockerCaps is Docker's default capability set: no CAP_SYS_RESOURCE, so
// the limits bind root too.
var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// dockerMqueue is the mount Docker, podman and containerd's CRI put in
// every spec.
var dockerMqueue = map[string]any{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
	"options": []string{"nosuid", "noexec", "nodev"}}

type testCase struct {
	name    string
	mqueue  map[string]any    // the mqueue mount, nil for none
	sysctls map[string]string // linux.sysctl
	// want are lines both runtimes must print; for a case whose container
	// must not start, strings both runtimes' errors must contain.
	want      []string
	mustStart bool
}

var cases = []testCase{
	{
		name:   "docker-sysctls",
		mqueue: dockerMqueue,
		sysctls: map[string]string{
			"fs.mqueue.msg_max": "100", "kernel.msgmnb": "65536", "kernel.msgmax": "4096",
			"fs.mqueue.queues_max": "32", "fs.mqueue.msgsize_default": "1024",
		},
		mustStart: true,
		want: []string{
			"mount /dev/mqueue: magic 0x19800202",
			"mount /dev/mqueue: type mqueue flags rw,nosuid,nodev,noexec",
			"sysctl fs/mqueue/msg_max = 100",
			"sysctl kernel/msgmnb = 65536",
			"sysctl kernel/msgmax = 4096",
			"sysctl fs/mqueue/queues_max = 32",
			"sysctl fs/mqueue/msgsize_default = 1024",
			// ipc/mqueue.c's status line of a queue holding 5 bytes.
			fmt.Sprintf("/dev/mqueue/ociprobe: QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d", 5, 0, 0, 0),
			"unlink /dev/mqueue/ociprobe: ok",
			"mq_open /ociprobe after the unlink: ENOENT",
			"as uid 65534: mq_open maxmsg 50: ok",
			"as uid 65534: mq_open maxmsg 101: EINVAL",
			"new SysV queue: msg_qbytes 65536",
			"DONE",
		},
	},
	{
		name:      "readonly-mount-defaults",
		mqueue:    map[string]any{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": []string{"ro", "nosuid", "nodev", "noexec"}},
		mustStart: true,
		want: []string{
			"mount /dev/mqueue: type mqueue flags ro,nosuid,nodev,noexec",
			"sysctl fs/mqueue/msg_max = 10",
			"sysctl kernel/msgmnb = 16384",
			"unlink /dev/mqueue/ociprobe: EROFS",
			"as uid 65534: mq_open maxmsg 50: EINVAL",
			"as uid 65534: mq_open maxmsg 11: EINVAL",
			"new SysV queue: msg_qbytes 16384",
			"DONE",
		},
	},
	{
		name:    "refused-value",
		mqueue:  dockerMqueue,
		sysctls: map[string]string{"fs.mqueue.msg_max": "0", "kernel.msgmnb": "65536"},
		want:    []string{"write /proc/sys/fs/mqueue/msg_max", "invalid argument"},
	},
	{
		name:    "refused-key",
		mqueue:  dockerMqueue,
		sysctls: map[string]string{"fs.mqueue.nonesuch": "1"},
		want:    []string{"open /proc/sys/fs/mqueue/nonesuch", "no such file or directory"},
	},
}

func main() {
	runscPath := flag.String("runsc", "bin/runsc", "our runsc")
	runcPath := flag.String("runc", "runc", "the reference runtime")
	probe := flag.String("probe", "build/out/ociprobe", "the static probe program")
	timeout := flag.Duration("timeout", 60*time.Second, "time allowed for one container")
	flag.Parse()
	runscAbs, _ := filepath.Abs(*runscPath)
	probeAbs, _ := filepath.Abs(*probe)
	work, err := os.MkdirTemp("", "mqsentry-oci")
	if err != nil {
		fmt.Println("oci:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(work)

	runtimes := []runtime{
		{"runc", []string{*runcPath, "--root", filepath.Join(work, "runc-state")}, []string{"--bundle"}},
		{"runsc", []string{runscAbs, "--network=none", "--ignore-cgroups", "--root", filepath.Join(work, "runsc-state")}, []string{"-bundle"}},
	}
	passed, failed := 0, 0
	for _, tc := range cases {
		bundle := filepath.Join(work, tc.name)
		if err := writeBundle(bundle, probeAbs, tc); err != nil {
			fmt.Println("oci:", err)
			os.Exit(1)
		}
		fmt.Printf("\n== %s: mqueue mount %v, sysctls %v\n", tc.name, tc.mqueue["options"], tc.sysctls)
		outs := make([]result, len(runtimes))
		for i, rt := range runtimes {
			outs[i] = rt.run(bundle, fmt.Sprintf("mqoci-%s-%d", tc.name, os.Getpid()), *timeout)
			fmt.Printf("-- %s (exit %d):\n%s", rt.name, outs[i].exit, indent(outs[i].output))
		}
		if problems := check(tc, runtimes, outs); len(problems) > 0 {
			failed++
			fmt.Printf("FAIL: %s:\n%s", tc.name, indent(strings.Join(problems, "\n")+"\n"))
		} else {
			passed++
			fmt.Printf("PASS: %s: runc and runsc agree\n", tc.name)
		}
	}
	fmt.Printf("\n%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

type runtime struct {
	name       string
	argv       []string // the runtime and its global flags
	bundleFlag []string
}

type result struct {
	exit   int
	output string // stdout and stderr; for a started container, its output
	stdout string
}

func (rt runtime) run(bundle, id string, timeout time.Duration) result {
	args := append(append(append([]string{}, rt.argv[1:]...), "run"), rt.bundleFlag...)
	args = append(args, bundle, id)
	cmd := exec.Command(rt.argv[0], args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return result{exit: -1, output: err.Error() + "\n"}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		err = <-done
		stderr.WriteString(fmt.Sprintf("timed out after %v\n", timeout))
	}
	// The container is gone either way; delete leaves no state behind.
	del := append(append([]string{}, rt.argv[1:]...), "delete", "-force", id)
	_ = exec.Command(rt.argv[0], del...).Run()
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		exit = -1
	}
	return result{exit: exit, output: stdout.String() + stderr.String(), stdout: stdout.String()}
}

// check compares the runtimes' results with each other and with the case.
func check(tc testCase, runtimes []runtime, outs []result) []string {
	var problems []string
	for i, out := range outs {
		name := runtimes[i].name
		if started := out.exit == 0; started != tc.mustStart {
			problems = append(problems, fmt.Sprintf("%s: exit %d, want the container to start: %v", name, out.exit, tc.mustStart))
		}
		for _, w := range tc.want {
			if tc.mustStart && !containsLine(out.stdout, w) || !tc.mustStart && !strings.Contains(out.output, w) {
				problems = append(problems, fmt.Sprintf("%s: missing %q", name, w))
			}
		}
	}
	if tc.mustStart && outs[0].exit == 0 && outs[1].exit == 0 && outs[0].stdout != outs[1].stdout {
		a, b := strings.Split(outs[0].stdout, "\n"), strings.Split(outs[1].stdout, "\n")
		for i := 0; i < max(len(a), len(b)); i++ {
			la, lb := line(a, i), line(b, i)
			if la != lb {
				problems = append(problems, fmt.Sprintf("line %d: %s %q, %s %q", i+1, runtimes[0].name, la, runtimes[1].name, lb))
			}
		}
	}
	return problems
}

func containsLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l == want {
			return true
		}
	}
	return false
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<none>"
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// writeBundle writes an OCI bundle whose rootfs holds only the probe.
func writeBundle(dir, probe string, tc testCase) error {
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(probe)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "ociprobe"), data, 0o755); err != nil {
		return err
	}
	mounts := []map[string]any{
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
	}
	if tc.mqueue != nil {
		mounts = append(mounts, tc.mqueue)
	}
	linux := map[string]any{
		"namespaces": []map[string]any{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}},
	}
	if tc.sysctls != nil {
		linux["sysctl"] = tc.sysctls
	}
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]any{"uid": 0, "gid": 0},
			"args":     []string{"/bin/ociprobe"},
			"env":      []string{"PATH=/bin"},
			"cwd":      "/",
			"capabilities": map[string]any{
				"bounding": dockerCaps, "effective": dockerCaps, "permitted": dockerCaps,
			},
		},
		"root":     map[string]any{"path": "rootfs"},
		"hostname": "mqoci",
		"mounts":   mounts,
		"linux":    linux,
	}
	data, err = json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}
