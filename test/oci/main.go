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
// agreeing with itself. Where runc itself varies from run to run (two keys
// for one sysctl file: it writes both in Go map order), the case names the
// lines runc may give instead and our runsc must give the stated ones every
// time.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mqsentry/mqsentry/test/ocispec"
	"github.com/mqsentry/mqsentry/test/runscroot"
)

// dockerCaps is Docker's default capability set: no CAP_SYS_RESOURCE, so
// the limits bind root too.
var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// dockerMqueue is the mount Docker, podman and containerd's CRI put in
// every spec.
var dockerMqueue = ocispec.MqueueMount(ocispec.DockerMqueueOptions...)

type testCase struct {
	name    string
	mqueue  *specs.Mount      // the mqueue mount, nil for none
	sysctls map[string]string // linux.sysctl
	hostIPC bool              // no IPC namespace of the container's own
	// foreignIPC gives the container the IPC namespace of a host process
	// (not a container of runsc's) by path: runc enters it with setns(2)
	// and starts the container; runsc, whose containers' IPC namespaces are
	// their sandboxes', cannot, and must refuse the spec (runcStarts).
	foreignIPC bool
	runcStarts bool
	// want are lines both runtimes must print; for a case whose container
	// must not start, strings both runtimes' errors must contain.
	want      []string
	mustStart bool
	// wantOnly are further strings one runtime's errors must contain,
	// where runc's words are not ours (runc fails such a container later,
	// on something incidental).
	wantOnly map[string][]string
	// runcMayGive maps lines runc gives in some runs to the lines they
	// stand for, those the case wants.
	runcMayGive map[string]string
	// runscLog are strings runsc's log (--debug-log) must contain.
	runscLog []string
}

var cases = []testCase{
	{
		name:   "docker-sysctls",
		mqueue: &dockerMqueue,
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
		mqueue:    ptr(ocispec.MqueueMount("ro", "nosuid", "nodev", "noexec")),
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
		mqueue:  &dockerMqueue,
		sysctls: map[string]string{"fs.mqueue.msg_max": "0", "kernel.msgmnb": "65536"},
		want:    []string{"write /proc/sys/fs/mqueue/msg_max", "invalid argument"},
	},
	{
		name:    "refused-key",
		mqueue:  &dockerMqueue,
		sysctls: map[string]string{"fs.mqueue.nonesuch": "1"},
		want:    []string{"open /proc/sys/fs/mqueue/nonesuch", "no such file or directory"},
	},
	{
		// runc writes both keys' file in Go map order: the key last in
		// byte order (fs/mqueue/msg_max) wins 7 runs in 8. Ours: always.
		name:        "two-keys-one-file",
		mqueue:      &dockerMqueue,
		sysctls:     map[string]string{"fs.mqueue.msg_max": "30", "fs/mqueue/msg_max": "20"},
		mustStart:   true,
		want:        []string{"sysctl fs/mqueue/msg_max = 20", "as uid 65534: mq_open maxmsg 21: EINVAL", "DONE"},
		runcMayGive: map[string]string{"sysctl fs/mqueue/msg_max = 30": "sysctl fs/mqueue/msg_max = 20", "as uid 65534: mq_open maxmsg 31: EINVAL": "as uid 65534: mq_open maxmsg 21: EINVAL"},
		runscLog:    []string{`sysctl "fs.mqueue.msg_max" is overridden by "fs/mqueue/msg_max"`},
	},
	{
		// runc's path.Join drops a trailing '/' and empty components.
		name:      "slash-forms",
		mqueue:    &dockerMqueue,
		sysctls:   map[string]string{"fs.mqueue.msg_max/": "20", "kernel/msgmnb": "32768", "fs/mqueue//queues_max": "64"},
		mustStart: true,
		want:      []string{"sysctl fs/mqueue/msg_max = 20", "sysctl kernel/msgmnb = 32768", "sysctl fs/mqueue/queues_max = 64", "new SysV queue: msg_qbytes 32768", "DONE"},
	},
	{
		// runc's validator swaps '.' and '/' in a key whose first
		// separator is '/' and then takes it for no IPC key.
		name:    "mixed-separators",
		mqueue:  &dockerMqueue,
		sysctls: map[string]string{"fs.mqueue.msg_max": "30", "fs/mqueue.msg_max": "20"},
		// runc's log quotes the quotes.
		want: []string{`fs.mqueue/msg_max`, "is not in a separate kernel namespace"},
	},
	{
		name:    "host-ipc-namespace",
		mqueue:  &dockerMqueue,
		sysctls: map[string]string{"kernel.msgmax": "4096"},
		hostIPC: true,
		want:    []string{"kernel.msgmax", "is not allowed in the hosts ipc namespace"},
	},
	{
		// This runsc has no SysV semaphores or shared memory limits:
		// stock runsc ignores these keys, and so do we, with a warning.
		name:      "unimplemented-ipc-sysctls",
		mqueue:    &dockerMqueue,
		sysctls:   map[string]string{"kernel.sem": "250 32000 32 128", "kernel.shmmax": "68719476736", "fs.mqueue.msg_max": "64"},
		mustStart: true,
		want:      []string{"sysctl fs/mqueue/msg_max = 64", "DONE"},
		runscLog:  []string{`sysctl "kernel.sem" is ignored`, `sysctl "kernel.shmmax" is ignored`},
	},
	{
		// runc passes "" on as (empty) data and keeps tmpcopyup for tmpfs.
		name:      "empty-and-tmpcopyup-options",
		mqueue:    ptr(ocispec.MqueueMount("", "nosuid", "tmpcopyup", "nodev")),
		mustStart: true,
		want:      []string{"mount /dev/mqueue: magic 0x19800202", "mount /dev/mqueue: type mqueue flags rw,nosuid,nodev", "unlink /dev/mqueue/ociprobe: ok", "DONE"},
	},
	{
		// `--ipc container:` naming a runc container, or any path to a
		// namespace that no sandbox of runsc's holds.
		name:       "foreign-ipc-namespace",
		mqueue:     &dockerMqueue,
		foreignIPC: true,
		runcStarts: true,
		wantOnly: map[string][]string{
			"runc":  {"DONE"},
			"runsc": {"cannot join IPC namespace", "is not a container of this runsc"},
		},
	},
	{
		// mqueue over procfs: runc's set-up then fails to open
		// /proc/self/fd; ours refuses the spec with the words runc's
		// checkProcMount has for other types.
		name:   "mqueue-over-proc",
		mqueue: &specs.Mount{Destination: "/proc", Type: "mqueue", Source: "mqueue", Options: ocispec.DockerMqueueOptions},
		wantOnly: map[string][]string{
			"runc":  {"open /proc/self/fd: no such file or directory"},
			"runsc": {`"/proc" cannot be mounted because it is not of type proc`},
		},
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
	// runsc --network=none bind-mounts a network namespace into its root
	// (runsc/specutils.NullNetNSFilename), which os.RemoveAll can not
	// remove; concurrent runs may stack several.
	cleanup := func() { runscroot.RemoveAll(work, filepath.Join(work, "runsc-state")) }

	// The host process whose IPC namespace foreignIPC cases name: in a
	// namespace of its own, so that runc's container changes nothing of the
	// host's.
	holder := exec.Command("unshare", "--ipc", "sleep", "infinity")
	if err := holder.Start(); err != nil {
		fmt.Println("oci: unshare --ipc:", err)
		cleanup()
		os.Exit(1)
	}
	removeRoots := cleanup
	cleanup = func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
		removeRoots()
	}
	ipcHolderPath = fmt.Sprintf("/proc/%d/ns/ipc", holder.Process.Pid)
	if err := waitForOwnIPCNamespace(holder.Process.Pid); err != nil {
		fmt.Println("oci:", err)
		cleanup()
		os.Exit(1)
	}

	runtimes := []runtime{
		{"runc", []string{*runcPath, "--root", filepath.Join(work, "runc-state")}, []string{"--bundle"}},
		{"runsc", []string{runscAbs, "--network=none", "--ignore-cgroups", "--root", filepath.Join(work, "runsc-state")}, []string{"-bundle"}},
	}
	passed, failed := 0, 0
	for _, tc := range cases {
		bundle := filepath.Join(work, tc.name)
		if err := writeBundle(bundle, probeAbs, tc); err != nil {
			fmt.Println("oci:", err)
			cleanup()
			os.Exit(1)
		}
		fmt.Printf("\n== %s: mqueue mount %v, sysctls %v\n", tc.name, mqueueOptions(tc.mqueue), tc.sysctls)
		outs := make([]result, len(runtimes))
		logDir := filepath.Join(work, "runsc-logs", tc.name)
		for i, rt := range runtimes {
			if rt.name == "runsc" {
				rt.argv = append(append([]string{}, rt.argv...), "--debug-log="+logDir+"/")
			}
			outs[i] = rt.run(bundle, fmt.Sprintf("mqoci-%s-%d", tc.name, os.Getpid()), *timeout)
			fmt.Printf("-- %s (exit %d):\n%s", rt.name, outs[i].exit, indent(outs[i].output))
		}
		problems := check(tc, runtimes, outs)
		if len(tc.runscLog) > 0 {
			problems = append(problems, checkLog(logDir, tc.runscLog)...)
		}
		if len(problems) > 0 {
			failed++
			fmt.Printf("FAIL: %s:\n%s", tc.name, indent(strings.Join(problems, "\n")+"\n"))
		} else {
			passed++
			fmt.Printf("PASS: %s: runc and runsc agree\n", tc.name)
		}
	}
	fmt.Printf("\n%d passed, %d failed\n", passed, failed)
	cleanup()
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
		if name == "runc" && len(tc.runcMayGive) > 0 {
			out.stdout = standFor(out.stdout, tc.runcMayGive)
			outs[i] = out
		}
		mustStart := tc.mustStart || name == "runc" && tc.runcStarts
		if started := out.exit == 0; started != mustStart {
			problems = append(problems, fmt.Sprintf("%s: exit %d, want the container to start: %v", name, out.exit, mustStart))
		}
		for _, w := range append(append([]string{}, tc.want...), tc.wantOnly[name]...) {
			if mustStart && !containsLine(out.stdout, w) || !mustStart && !strings.Contains(out.output, w) {
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

// standFor replaces the lines of out that are keys of alternatives with the
// lines they stand for, saying so.
func standFor(out string, alternatives map[string]string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if w, ok := alternatives[l]; ok {
			fmt.Printf("   (runc gave %q this run, one of its outcomes, taken for %q)\n", l, w)
			lines[i] = w
		}
	}
	return strings.Join(lines, "\n")
}

// checkLog looks for each of want in the files runsc logged to dir.
func checkLog(dir string, want []string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var all strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil {
			all.Write(data)
		}
	}
	var problems []string
	for _, w := range want {
		if !strings.Contains(all.String(), w) {
			problems = append(problems, fmt.Sprintf("runsc's log (%d files in %s): missing %q", len(files), dir, w))
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
	mounts := []specs.Mount{
		ocispec.ProcMount,
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
	}
	if tc.mqueue != nil {
		mounts = append(mounts, *tc.mqueue)
	}
	namespaces := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.UTSNamespace, specs.MountNamespace}
	if !tc.hostIPC {
		namespaces = append(namespaces, specs.IPCNamespace)
	}
	linux := &specs.Linux{Namespaces: ocispec.Namespaces(namespaces...), Sysctl: tc.sysctls}
	if tc.foreignIPC {
		for i := range linux.Namespaces {
			if linux.Namespaces[i].Type == specs.IPCNamespace {
				linux.Namespaces[i].Path = ipcHolderPath
			}
		}
	}
	return ocispec.Write(dir, &specs.Spec{
		Version:  ocispec.Version,
		Process:  ocispec.RootProcess([]string{"/bin/ociprobe"}, []string{"PATH=/bin"}, "/", dockerCaps),
		Root:     &specs.Root{Path: "rootfs"},
		Hostname: "mqoci",
		Mounts:   mounts,
		Linux:    linux,
	})
}

// ipcHolderPath is the IPC namespace path of foreignIPC cases.
var ipcHolderPath string

// waitForOwnIPCNamespace waits until process pid (just started by unshare)
// is in an IPC namespace other than this process's.
func waitForOwnIPCNamespace(pid int) error {
	self, err := os.Readlink("/proc/self/ns/ipc")
	if err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/ipc", pid)); err == nil && ns != self {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("unshare --ipc (pid %d) did not enter an IPC namespace of its own", pid)
}

// mqueueOptions are the options of the mqueue mount m, nil for none.
func mqueueOptions(m *specs.Mount) []string {
	if m == nil {
		return nil
	}
	return m.Options
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
