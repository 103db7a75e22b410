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

// Package mqdump_test checks cmd/mqdump end to end: it builds mqdump and the
// helper test/mqdump/mqtool as static binaries and runs `mqtool scenario`
// (see its doc comment), which fills queues, dumps them, restores the dump
// into a new IPC namespace, dumps again and compares, and checks that the
// source queues are untouched.
//
//   - TestRoundTripNative runs it natively in a new IPC and mount namespace,
//     with SysV queues and empty POSIX queues (Linux has no F_MQ_PEEK, so
//     POSIX messages cannot be dumped natively; the scenario checks that
//     mqdump says so clearly).
//   - TestRoundTripRunsc runs it as the program of `bin/runsc do`, with
//     POSIX queues holding messages and SysV queues.
//
// Both need root and skip otherwise; the second skips when bin/runsc is
// missing (build it with `make runsc`). MQDUMP_TEST_RUNSC names another
// runsc to use instead of bin/runsc.
package mqdump_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the module root: this file is in test/mqdump.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: the mqdump tests need root (new IPC namespaces, msg_next_id, mounting mqueue); run `go test ./test/mqdump/` as root")
	}
}

// build compiles the static mqdump and mqtool binaries once per test binary.
var built struct {
	dir string
	err error
	out string
}

func binaries(t *testing.T) (mqdump, mqtool string) {
	t.Helper()
	if built.dir == "" && built.err == nil {
		dir, err := os.MkdirTemp("", "mqdump-test-bin-")
		if err != nil {
			t.Fatal(err)
		}
		built.dir = dir
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		for _, p := range [][2]string{{"mqdump", "./cmd/mqdump"}, {"mqtool", "./test/mqdump/mqtool"}} {
			cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, p[0]), p[1])
			cmd.Dir = repoRoot(t)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				built.err, built.out = err, string(out)
				break
			}
		}
	}
	if built.err != nil {
		t.Fatalf("building mqdump/mqtool: %v\n%s", built.err, built.out)
	}
	return filepath.Join(built.dir, "mqdump"), filepath.Join(built.dir, "mqtool")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// checkScenario checks the scenario's output: SCENARIO OK, and the two
// dumps it printed identical and non-trivial.
func checkScenario(t *testing.T, out string, wantPOSIXMessages bool) {
	t.Helper()
	var dumps [2][]byte
	for _, line := range strings.Split(out, "\n") {
		for i, tag := range []string{"DUMP1 ", "DUMP2 "} {
			if rest, ok := strings.CutPrefix(line, tag); ok {
				b, err := base64.StdEncoding.DecodeString(rest)
				if err != nil {
					t.Fatalf("%s: %v", tag, err)
				}
				dumps[i] = b
			}
		}
	}
	if !strings.Contains(out, "\nSCENARIO OK\n") {
		t.Fatalf("scenario failed:\n%s", out)
	}
	if dumps[0] == nil || !bytes.Equal(dumps[0], dumps[1]) {
		t.Fatalf("dumps missing or different:\n%s\n----\n%s", dumps[0], dumps[1])
	}
	if !bytes.Contains(dumps[0], []byte(`"type": 4611686018427387904`)) || !bytes.Contains(dumps[0], []byte(`"name_base64": "L21xZC7//g=="`)) {
		t.Errorf("dump lacks expected entries:\n%s", dumps[0])
	}
	if got := bytes.Contains(dumps[0], []byte(`"priority": 32767`)); got != wantPOSIXMessages {
		t.Errorf("POSIX messages in dump: %v, want %v", got, wantPOSIXMessages)
	}
	t.Logf("dump (%d bytes), identical after restore; first lines:\n%s", len(dumps[0]), head(dumps[0], 30))
}

// withoutDumps drops the long DUMP lines from the scenario's output for the
// test log.
func withoutDumps(out []byte) string {
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "DUMP1 ") || strings.HasPrefix(line, "DUMP2 ") {
			line = line[:5] + " (base64, " + strconv.Itoa(len(line)-6) + " chars)"
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

func head(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func TestRoundTripNative(t *testing.T) {
	needRoot(t)
	mqdump, mqtool := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mqtool, "scenario", "-mqdump", mqdump, "-posix", "empty", "-private-mounts")
	// A new IPC namespace for the source queues, and a new mount namespace
	// so that mqdump's private mqueue mounts stay in it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWIPC | syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	t.Logf("mqtool scenario (native):\n%s", withoutDumps(out))
	if err != nil {
		t.Fatalf("native scenario: %v", err)
	}
	checkScenario(t, string(out), false)
}

func TestRoundTripRunsc(t *testing.T) {
	needRoot(t)
	runsc := filepath.Join(repoRoot(t), "bin", "runsc")
	if p := os.Getenv("MQDUMP_TEST_RUNSC"); p != "" {
		runsc = p
	}
	if _, err := os.Stat(runsc); err != nil {
		t.Skipf("skipping: %s is missing (build it with `make runsc`)", runsc)
	}
	mqdump, mqtool := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runsc, "--network=none", "--ignore-cgroups", "do",
		mqtool, "scenario", "-mqdump", mqdump, "-posix", "full", "-mount-dev-mqueue")
	cmd.Dir = built.dir
	out, err := cmd.CombinedOutput()
	t.Logf("bin/runsc do mqtool scenario:\n%s", withoutDumps(out))
	if err != nil {
		t.Fatalf("scenario under bin/runsc: %v", err)
	}
	checkScenario(t, string(out), true)
}
