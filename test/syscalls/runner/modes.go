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
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A mode is one way of running a test case; each mode is a column of the
// table: nativeMode, runscMode (-runsc NAME=PATH) and saveMode (-save-runsc
// NAME=PATH, a column "NAME-save" that checkpoints and restores the sandbox
// at every MaybeSave() of the case; see savemode.go). The table, the
// required-mode accounting, known failures and MqsentryOnly handling work
// per mode and know nothing of the kinds.
type mode interface {
	// name is the mode's column name, as used by -required.
	name() string
	// isNative reports whether the mode runs binaries directly on the host.
	isNative() bool
	// run runs one case. ctx carries the per-case timeout and the runner's
	// interruption; when run returns, every process it started is gone.
	run(ctx context.Context, tc testCase) rawResult
}

// nativeMode runs `BINARY --gtest_filter=Suite.Case` on the host.
type nativeMode struct{}

func (nativeMode) name() string   { return "native" }
func (nativeMode) isNative() bool { return true }

func (nativeMode) run(ctx context.Context, tc testCase) rawResult {
	return runCommand(ctx, gtestArgv(tc), nil)
}

// runscMode runs `RUNSC --network=none --ignore-cgroups [args] do BINARY
// --gtest_filter=Suite.Case`. It needs root.
type runscMode struct {
	modeName string
	runsc    string   // absolute path of runsc
	args     []string // extra runsc flags, placed before "do"
}

func (m runscMode) name() string   { return m.modeName }
func (m runscMode) isNative() bool { return false }

func (m runscMode) argv(tc testCase) []string {
	argv := []string{m.runsc, "--network=none", "--ignore-cgroups"}
	argv = append(argv, m.args...)
	argv = append(argv, "do")
	return append(argv, gtestArgv(tc)...)
}

func (m runscMode) run(ctx context.Context, tc testCase) rawResult {
	// gVisor's test utilities look at TEST_ON_GVISOR (IsRunningOnGvisor,
	// GvisorPlatform); runsc do passes the environment on to the test.
	env := []string{"TEST_ON_GVISOR=" + m.platform()}
	return runCommand(ctx, m.argv(tc), env)
}

// platform is the runsc platform named in the extra flags, or runsc's default.
func (m runscMode) platform() string {
	p := "systrap"
	for i, a := range m.args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "platform="); ok {
			p = v
		} else if a == "platform" && i+1 < len(m.args) {
			p = m.args[i+1]
		}
	}
	return p
}

func gtestArgv(tc testCase) []string {
	return []string{tc.binary, "--gtest_filter=" + tc.fullName(), "--gtest_color=no"}
}

// killGrace is how long a timed-out case's process group has between SIGTERM
// (which lets runsc tear its sandbox down) and SIGKILL.
const killGrace = 3 * time.Second

// runCommand runs argv in a process group of its own with extra environment
// variables env, capturing stdout and stderr together through a pipe (runsc's
// output is only reliably captured that way). When ctx ends, the whole group
// gets SIGTERM, then SIGKILL after killGrace.
func runCommand(ctx context.Context, argv, env []string) rawResult {
	out := newTailBuffer(outputLimit)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * killGrace // give up on pipes held by stray processes
	if err := cmd.Start(); err != nil {
		return rawResult{exitCode: -1, startErr: err}
	}
	pgid := cmd.Process.Pid

	done := make(chan struct{})
	var (
		mu       sync.Mutex
		finished bool // Wait returned: the group may be gone, its ID reused
		signaled bool // ctx ended while the case ran and the group was told to stop
	)
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		mu.Lock()
		if finished {
			mu.Unlock()
			return
		}
		signaled = true
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		mu.Unlock()
		select {
		case <-done:
		case <-time.After(killGrace):
			mu.Lock()
			if !finished {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
			mu.Unlock()
		}
	}()
	err := cmd.Wait()
	mu.Lock()
	finished = true
	mu.Unlock()
	close(done)
	<-killerDone

	r := rawResult{output: out.Bytes()}
	if signaled {
		if errors.Is(context.Cause(ctx), errInterrupted) {
			r.interrupted = true
		} else {
			r.timedOut = true
		}
	}
	if ps := cmd.ProcessState; ps != nil {
		r.exitCode = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal().String()
		}
		if errors.Is(err, exec.ErrWaitDelay) {
			// The process exited but something it left behind still holds
			// the output pipe, so its process group is still there (and
			// its ID cannot have been reused): kill what is left.
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	} else if err != nil {
		r.exitCode = -1
		r.startErr = err
	}
	return r
}

// baseEnv is the runner's environment less the variables that would change
// what a case does behind the runner's back: gtest sharding (each case is run
// alone) and TEST_ON_GVISOR (set by the runsc modes only).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE", "TEST_ON_GVISOR":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// errInterrupted is the cause of the runner's context when it gets SIGINT or
// SIGTERM.
var errInterrupted = errors.New("interrupted")

// outputLimit bounds how much of one case's output is kept (its tail).
const outputLimit = 4 << 20

// tailBuffer is an io.Writer keeping the last limit bytes written to it.
type tailBuffer struct {
	mu sync.Mutex
	// +checklocks:mu
	limit int
	// +checklocks:mu
	buf []byte
}

func newTailBuffer(limit int) *tailBuffer { return &tailBuffer{limit: limit} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.limit {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.limit:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// parseRunscFlag parses a -runsc value, NAME=PATH.
func parseRunscFlag(v string) (name, path string, err error) {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return "", "", fmt.Errorf("-runsc %q: want NAME=PATH", v)
	}
	if name == "native" {
		return "", "", fmt.Errorf("-runsc %q: the name native is taken", v)
	}
	if strings.ContainsAny(name, " \t|:,") {
		return "", "", fmt.Errorf("-runsc %q: bad mode name", v)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	return name, abs, nil
}
