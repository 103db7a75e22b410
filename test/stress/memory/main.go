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

// Command memory runs test/stress/c/mqmem.c, the hostile memory patterns of
// an unprivileged user, under a runsc and checks that the Sentry's memory
// grows by no more than README's memory table allows for what each phase
// created (`make stress`, README "Sentry memory under hostile use").
//
// Usage:
//
//	go run ./test/stress/memory -runsc bin/runsc [-slack BYTES] PROGRAM [ARG...]
//
// What is measured, and why: the RssAnon of the sandbox process
// (runsc-sandbox, the Sentry), read from /proc/PID/status by this driver,
// outside the sandbox, whenever mqmem prints "MEASURE <phase> <units>"
// (mqmem then waits on its stdin until the driver answers). The Sentry's
// own objects (Go heap, goroutine stacks) are anonymous memory; the
// application's memory lives in gVisor's memory file (shared memory, not
// counted in RssAnon) and is bounded by the application's own limits, so
// RssAnon is what a hostile program can make the Sentry pin. It is
// measured from outside because the Sentry's memory accounting
// (runsc events) covers the application's memory, not the Sentry's heap.
//
// Each phase's growth (its RssAnon minus the previous phase's) must stay
// under units × the per-unit bound of that phase plus -slack, which
// absorbs the Go runtime's heap-goal and page-granularity noise; mqmem's
// warm-up phase already pushes the heap to the size these phases' garbage
// gives it before the baseline is taken. The last line is "N passed, M
// failed"; the exit status is 1 if a bound was exceeded or mqmem did not
// pass. Needs root.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// perUnitBound is, for each phase of mqmem, the bytes of Sentry memory one
// unit may cost: README's memory table, column "ours (bound)".
var perUnitBound = map[string]int64{
	// A POSIX queue in which every priority was used, holding one
	// message: the queue, its mqfs inode and dentry, and the priority
	// index's fixed tables and spares.
	"prio": 16 << 10,
	// A zero-byte SysV message.
	"sysv": 128,
	// A task blocked in mq_receive or msgrcv.
	"waiters": 32 << 10,
	// An IPC namespace kept alive by one queue descriptor, with that queue.
	"namespaces": 32 << 10,
	// An IPC namespace holding nothing, kept alive by a descriptor of it.
	"idlens": 8 << 10,
}

type sample struct {
	phase   string
	units   int64
	rssAnon int64
}

func main() {
	runsc := flag.String("runsc", "bin/runsc", "the runsc to run PROGRAM under")
	slack := flag.Int64("slack", 6<<20, "bytes every phase may grow beyond its bound (Go heap-goal and measurement noise)")
	timeout := flag.Duration("timeout", 5*time.Minute, "limit for the whole run")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: memory -runsc RUNSC [-slack BYTES] PROGRAM [ARG...]")
		os.Exit(2)
	}
	prog, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	samples, passed, err := run(*runsc, prog, flag.Args()[1:], *timeout)
	if err != nil {
		fmt.Println("memory:", err)
	}
	failed := 0
	if err != nil || !passed {
		failed++
	}
	ok := 0
	fmt.Printf("%-11s %8s %12s %14s %14s\n", "phase", "units", "growth", "per unit", "bound")
	for i := 1; i < len(samples); i++ {
		s := samples[i]
		growth := s.rssAnon - samples[i-1].rssAnon
		bound := s.units*perUnitBound[s.phase] + *slack
		verdict := "ok"
		if growth > bound {
			verdict = "EXCEEDED"
			failed++
		} else {
			ok++
		}
		perUnit := "-"
		if s.units > 0 {
			perUnit = strconv.FormatInt(growth/s.units, 10) + " B"
		}
		fmt.Printf("%-11s %8d %10.2f MiB %14s %10.2f MiB %s\n", s.phase, s.units, mib(growth), perUnit, mib(bound), verdict)
	}
	if len(samples) > 0 {
		fmt.Printf("sandbox RssAnon: %.1f MiB at the baseline, %.1f MiB at the end\n", mib(samples[0].rssAnon), mib(samples[len(samples)-1].rssAnon))
	}
	fmt.Printf("%d passed, %d failed\n", ok, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// run runs prog under runsc, measuring the sandbox at each MEASURE line. It
// reports whether prog printed its PASS line and exited 0.
func run(runsc, prog string, args []string, timeout time.Duration) ([]sample, bool, error) {
	cmd := exec.Command(runsc, append([]string{"--network=none", "--ignore-cgroups", "do", prog}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, false, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false, err
	}
	if err := cmd.Start(); err != nil {
		return nil, false, err
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var samples []sample
	passed := false
	var measureErr error
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		fmt.Println(line)
		if line == "MQMEM PASS" {
			passed = true
		}
		var phase string
		var units int64
		if _, err := fmt.Sscanf(line, "MEASURE %s %d", &phase, &units); err != nil {
			continue
		}
		rss, err := sandboxRssAnon(cmd.Process.Pid)
		if err != nil && measureErr == nil {
			measureErr = err
		}
		samples = append(samples, sample{phase: phase, units: units, rssAnon: rss})
		if _, err := io.WriteString(stdin, "go\n"); err != nil && measureErr == nil {
			measureErr = err
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return samples, false, fmt.Errorf("%s: %v", prog, err)
	}
	return samples, passed, measureErr
}

// sandboxRssAnon returns the RssAnon, in bytes, of the runsc-sandbox
// process among the children of the runsc process runscPID.
func sandboxRssAnon(runscPID int) (int64, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil || statusField(string(status), "PPid") != strconv.Itoa(runscPID) {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.HasPrefix(string(cmdline), "runsc-sandbox\x00") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(statusField(string(status), "RssAnon"), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("RssAnon of %d: %v", pid, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no runsc-sandbox process under runsc %d", runscPID)
}

// statusField returns the value of a "Name:\tvalue" line of /proc/PID/status.
func statusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
