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

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mqsentry/mqsentry/test/ocispec"
	"github.com/mqsentry/mqsentry/test/runscroot"
)

// saveMode ("NAME-save", from -save-runsc NAME=PATH) runs a case under a
// runsc that checkpoints the whole sandbox to an image, stops it, and
// restores it from that image at every MaybeSave() of the test (test_util.h:
// an init_module(2) call, which the test-only runsc flag
// --TESTONLY-autosave-image-path turns into "save the kernel after this
// syscall and exit"). It is gVisor's own save/restore test method:
//
//  1. `runsc --TESTONLY-autosave-image-path=IMG0 run -bundle B ID`: the case
//     runs until its first MaybeSave; the sandbox writes IMG0/checkpoint.img
//     and exits 0 (without a MaybeSave the case just runs to its end).
//  2. While the last image directory holds a non-empty checkpoint.img:
//     `runsc delete -force ID`, then
//     `runsc --TESTONLY-autosave-image-path=IMG(i+1) restore --image-path IMGi
//     -bundle B ID`: a new sandbox is built from the image alone and the case
//     goes on, with its queues, blocked tasks and registrations as they were,
//     until its next MaybeSave (a new image) or its end.
//  3. The exit status of the last run/restore is the case's; the output of
//     all of them, in order, is its output.
//
// Every MaybeSave is thus a real checkpoint and a real restore into a fresh
// sandbox process: nothing survives except what the image holds. The sandbox
// spec mirrors `runsc do` (host root under a memory overlay, all
// capabilities, the runner's environment and working directory, its own
// network namespace), so the plain runsc column and the save column differ
// only in the saves.
type saveMode struct {
	runscMode        // modeName is "NAME-save"
	root      string // runsc --root shared by the run's cases; "" for one per case
}

// saveSuffix is appended to a -save-runsc NAME to name its column.
const saveSuffix = "-save"

// maxRestores bounds the restore loop of one case (the per-case timeout
// bounds it too).
const maxRestores = 10000

// cleanupTimeout bounds `runsc delete` after a case.
const cleanupTimeout = 30 * time.Second

// isSaveMode reports whether m checkpoints and restores (its cells count
// restores).
func isSaveMode(m mode) bool {
	_, ok := m.(saveMode)
	return ok
}

var saveCaseSeq atomic.Int64

func (m saveMode) run(ctx context.Context, tc testCase) rawResult {
	work, err := os.MkdirTemp("", "mqsentry-save-")
	if err != nil {
		return rawResult{exitCode: -1, startErr: err}
	}
	defer os.RemoveAll(work)
	id := fmt.Sprintf("mqsave-%d-%d", os.Getpid(), saveCaseSeq.Add(1))
	if err := m.writeSpec(work, tc); err != nil {
		return rawResult{exitCode: -1, startErr: err}
	}
	logDir := filepath.Join(work, "logs") + "/"
	root := m.root
	if root == "" {
		root = filepath.Join(work, "state")
		defer runscroot.UnmountNullNetNS(root)
	}
	base := []string{m.runsc, "--network=none", "--ignore-cgroups", "--overlay2=all:memory",
		"--root=" + root, "--debug-log=" + logDir}
	base = append(base, m.args...)
	runsc := func(args ...string) []string {
		return append(append([]string(nil), base...), args...)
	}
	defer func() {
		// The last sandbox has exited, or was killed with the process group
		// of its runsc; delete removes what is left (gofer, state files).
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		runCommand(dctx, runsc("delete", "-force", id), nil)
	}()

	var out []byte
	var r rawResult
	for i := 0; ; i++ {
		img := filepath.Join(work, fmt.Sprintf("image.%d", i))
		if err := os.Mkdir(img, 0o755); err != nil {
			return rawResult{exitCode: -1, startErr: err, output: out, restores: i}
		}
		autosave := "--TESTONLY-autosave-image-path=" + img
		var argv []string
		if i == 0 {
			argv = runsc(autosave, "run", "-bundle", work, id)
		} else {
			prev := filepath.Join(work, fmt.Sprintf("image.%d", i-1))
			if d := runCommand(ctx, runsc("delete", "-force", id), nil); d.exitCode != 0 && !d.timedOut && !d.interrupted {
				out = append(out, fmt.Sprintf("[runner] runsc delete before restore %d: exit %d: %s\n", i, d.exitCode, d.output)...)
			}
			argv = runsc(autosave, "restore", "--image-path", prev, "-bundle", work, id)
		}
		r = runCommand(ctx, argv, nil)
		if i > 0 {
			// The image just restored from is no longer needed.
			os.RemoveAll(filepath.Join(work, fmt.Sprintf("image.%d", i-1)))
		}
		out = append(out, r.output...)
		r.output = nil
		r.restores = i
		if r.startErr != nil || r.timedOut || r.interrupted {
			break
		}
		saved := imageWritten(img)
		if !saved {
			break
		}
		if r.exitCode != 0 || r.signal != "" {
			// A sandbox stopped by a save exits 0.
			r.failure = fmt.Sprintf("a checkpoint image was written but runsc exited with status %d %s", r.exitCode, r.signal)
			break
		}
		if i+1 > maxRestores {
			r.failure = fmt.Sprintf("more than %d saves", maxRestores)
			break
		}
	}
	if len(out) > outputLimit {
		out = out[len(out)-outputLimit:]
	}
	r.output = out
	if r.failure == "" && r.exitCode == 0 && r.signal == "" && !r.timedOut && !r.interrupted &&
		r.startErr == nil && !gtestFinished.Match(out) {
		// Exit status 0 without gtest's closing summary: the sandbox stopped
		// (a save that left no image?) before the case ended.
		r.failure = "exit status 0 but gtest did not finish the case (a save that was never restored?)"
	}
	if msg := saveFailure(logDir); msg != "" && r.failure == "" {
		r.failure = msg
	}
	if st, _ := classifyStrict(r); st != statusPass && st != statusSkip {
		r.output = append(r.output, logExcerpt(logDir, r.restores)...)
	}
	return r
}

// gtestFinished matches gtest's closing line, printed when the case ran to
// its end (passed, failed or skipped).
var gtestFinished = regexp.MustCompile(`\[==========\] \d+ tests? from \d+ test suites? ran\.`)

// imageWritten reports whether a sandbox wrote a checkpoint image into dir
// (runsc creates dir/checkpoint.img empty when the sandbox starts; a save
// fills it).
func imageWritten(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "checkpoint.img"))
	return err == nil && fi.Size() > 0
}

// saveFailure returns the sentry's report of a failed save, if a log has one.
// (A failed autosave still stops the sandbox with status 0.)
func saveFailure(logDir string) string {
	files, _ := filepath.Glob(filepath.Join(logDir, "*.boot.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "Save failed"); i >= 0 {
				return "save failed: " + strings.TrimSpace(line[i:])
			}
		}
	}
	return ""
}

// logExcerpt returns the warnings, errors and panics of the sandboxes' logs,
// for the output of a failing case.
func logExcerpt(logDir string, restores int) []byte {
	files, _ := filepath.Glob(filepath.Join(logDir, "*.txt"))
	var b bytes.Buffer
	fmt.Fprintf(&b, "[runner] %d restore(s); warnings and errors from the runsc logs:\n", restores)
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			interesting := strings.HasPrefix(line, "panic") || strings.Contains(line, "Save failed") ||
				(len(line) > 1 && (line[0] == 'W' || line[0] == 'E') && line[1] >= '0' && line[1] <= '9')
			if !interesting || boringLogLine(line) {
				continue
			}
			if n++; n > 40 {
				continue
			}
			fmt.Fprintf(&b, "[%s] %s\n", strings.TrimSuffix(filepath.Base(f), ".txt"), line)
		}
	}
	if n > 40 {
		fmt.Fprintf(&b, "[runner] ... %d more log lines\n", n-40)
	}
	return b.Bytes()
}

// boringLogLine reports warnings every sandbox of this kind logs.
func boringLogLine(line string) bool {
	for _, s := range []string{
		"is not permitted, dropping it",
		"couldn't find container",
		"Container not found, creating new one",
		"Error sending signal",
		"Cannot signal container",
		"TSC snapshot unavailable",
		"populate failed for",
		"syscall filters less restrictive",
		"This is only safe in tests",
		"--allow-suid is disabled",
		"Not setting product_name",
		"Host limit is lower than recommended",
		"No precompiled program found",
		"Sidecar \"",
		"Host setting \"",
		"startup is slower if",
	} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// allCapabilities are the capabilities `runsc do` gives its process (runsc
// drops, with a warning, those the sentry does not know).
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// spec is the OCI config of a save-mode case: what `runsc do BINARY ARGS`
// would build.
func (m saveMode) spec(tc testCase) (*specs.Spec, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	hostname, err := os.Hostname()
	if err != nil {
		return nil, err
	}
	process := ocispec.RootProcess(gtestArgv(tc), append(baseEnv(), "TEST_ON_GVISOR="+m.platform()), cwd, allCapabilities)
	process.Capabilities.Inheritable = allCapabilities
	process.Capabilities.Ambient = allCapabilities
	return &specs.Spec{
		Version:  ocispec.Version,
		Process:  process,
		Root:     &specs.Root{Path: "/"},
		Hostname: hostname,
		Linux:    &specs.Linux{Namespaces: ocispec.Namespaces(specs.NetworkNamespace)},
	}, nil
}

func (m saveMode) writeSpec(dir string, tc testCase) error {
	spec, err := m.spec(tc)
	if err != nil {
		return err
	}
	return ocispec.Write(dir, spec)
}

// prepareSaveModes gives every save mode a private copy of its runsc and a
// runsc --root directory, shared by the run's cases (runsc then reuses one
// null network namespace for all gofers), made once for the run and removed
// by the returned cleanup. The copy matters because a case's run and its
// restores are separate runsc invocations: if bin/runsc were rebuilt in
// between (other builds share the checkout), the restore would read the
// image with another binary's state types.
func prepareSaveModes(modes []mode) (cleanup func(), err error) {
	var dir string
	cleanup = func() {
		if dir != "" {
			runscroot.RemoveAll(dir, filepath.Join(dir, "root"))
		}
	}
	copies := map[string]string{}
	for i, m := range modes {
		sm, ok := m.(saveMode)
		if !ok {
			continue
		}
		pinned, ok := copies[sm.runsc]
		if !ok {
			if dir == "" {
				if dir, err = os.MkdirTemp("", "mqsentry-save-runsc-"); err != nil {
					return cleanup, err
				}
			}
			pinned = filepath.Join(dir, fmt.Sprintf("runsc.%d", len(copies)))
			if err := copyFile(sm.runsc, pinned, 0o755); err != nil {
				return cleanup, fmt.Errorf("copying %s for mode %s: %w", sm.runsc, sm.name(), err)
			}
			copies[sm.runsc] = pinned
		}
		sm.runsc = pinned
		sm.root = filepath.Join(dir, "root")
		modes[i] = sm
	}
	return cleanup, nil
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
