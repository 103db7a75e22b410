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

// Command runner runs mqsentry's syscall tests: static C++ gtest binaries
// (test/syscalls/linux/*.cc, built elsewhere, e.g. into build/tests/NAME), case
// by case, natively and under one or more runscs, and prints a table of the
// results.
//
// Usage:
//
//	go run ./test/syscalls/runner [flags] BINARY...
//	go run ./test/syscalls/runner -runsc ours=bin/runsc -runsc upstream=/tmp/runsc-upstream build/tests/mq_test
//
// The cases are taken from `BINARY --gtest_list_tests` (DISABLED_ cases left
// out). Each case runs in every mode: "native" runs
// `BINARY --gtest_filter=Suite.Case` on the host, and each `-runsc NAME=PATH`
// adds a mode NAME running
// `PATH --network=none --ignore-cgroups [-runsc-arg ...] do BINARY --gtest_filter=Suite.Case`
// (which needs root). A case passes when it exits 0 and gtest does not report
// it FAILED; a GTEST_SKIP is reported as "skip".
//
// Each `-save-runsc NAME=PATH` adds a mode "NAME-save" that runs the case
// under that runsc as an OCI container checkpointed and restored from its
// image at every MaybeSave() of the test (see savemode.go); -runsc-arg
// NAME-save:FLAG scopes a flag to it.
//
// The modes named by -required (default native,ours) must pass; failures in
// the other modes (such as an upstream runsc) are reported but do not fail the
// run. Cases whose name contains "MqsentryOnly" need mqsentry's message
// queues: in native and non-required modes they are still run, reported
// "pass" if they pass and "n/a" otherwise, never as failures; in required
// runsc modes (ours) they must pass.
//
// -known-failures names a file of exceptions, each with its reason (format
// at the top of test/syscalls/known_failures.txt): "MODE CASE REASON" lists
// a case that cannot pass yet in MODE (a failure there is reported "known"),
// "skip MODE CASE REASON" a case that may skip in MODE. A skip in a required
// mode is a failure unless it is listed so (MqsentryOnly cases natively
// excepted), so that a case that starts skipping cannot silently stop
// guarding what it tests.
//
// The output is the table (one row per case, one column per mode: pass, FAIL,
// skip, n/a or timeout), the last lines of output of every failing case, a
// summary per mode, and last a line "N passed, M failed" that CI parses: N and
// M count case×mode units over the required modes (allowed skips, known
// failures and n/a count as neither). The exit status is 1 if any case failed in a required mode (or
// nothing could be run), 2 on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// listTimeout bounds `BINARY --gtest_list_tests`.
const listTimeout = 60 * time.Second

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	known    knownFailures
	modes    []mode
	required map[string]bool
	timeout  time.Duration
	jobs     int
	filter   *regexp.Regexp
	markdown string
	tail     int
	list     bool
	quiet    bool
	binaries []string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		runscs    stringList
		saveRunsc stringList
		runscArgs stringList
		cfg       config
	)
	fs.Var(&runscs, "runsc", "add a mode running cases under a runsc, as `NAME=PATH` (repeatable; flag order = column order)")
	fs.Var(&saveRunsc, "save-runsc", "add a mode `NAME=PATH` whose column NAME-save runs cases under a runsc that checkpoints the sandbox at every MaybeSave() and restores it from the image (repeatable)")
	fs.Var(&runscArgs, "runsc-arg", "extra runsc flag placed before the subcommand (do; run and restore in NAME-save modes), as `[NAME:]FLAG`: with NAME: for that mode only (NAME-save: for a save mode), else for every runsc mode (repeatable)")
	native := fs.Bool("native", true, "run the native mode")
	knownPath := fs.String("known-failures", "", "`file` listing cases that cannot pass yet in a mode (reported as \"known\", not failed) and cases that may skip in a required mode, with the reasons")
	required := fs.String("required", "native,ours", "comma-separated `modes` that must pass; failures elsewhere are only reported")
	fs.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "per-case timeout, after which the case's process group is killed")
	fs.IntVar(&cfg.jobs, "j", 2, "number of cases run in parallel")
	filter := fs.String("filter", "", "run only the cases whose `REGEX` matches Suite.Case or BINARY_BASENAME:Suite.Case")
	fs.StringVar(&cfg.markdown, "markdown", "", "also write the table and summary as markdown to `FILE`")
	fs.IntVar(&cfg.tail, "tail", 40, "lines of output kept per failing case")
	fs.BoolVar(&cfg.list, "list", false, "only list the selected cases")
	fs.BoolVar(&cfg.quiet, "q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: runner [flags] BINARY...\n\nRuns gtest binaries case by case natively and under runscs.\n\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the binaries ("--" ends the flags).
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			cfg.binaries = append(cfg.binaries, rest...)
			break
		}
		if len(rest) > 0 {
			cfg.binaries = append(cfg.binaries, rest[0])
			rest = rest[1:]
		}
		args = rest
	}
	if len(cfg.binaries) == 0 {
		fs.Usage()
		return nil, fmt.Errorf("no test binary given")
	}
	for i, b := range cfg.binaries {
		abs, err := filepath.Abs(b)
		if err != nil {
			return nil, err
		}
		cfg.binaries[i] = abs
	}
	if cfg.jobs < 1 {
		return nil, fmt.Errorf("-j must be at least 1")
	}
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be positive")
	}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			return nil, fmt.Errorf("-filter: %v", err)
		}
		cfg.filter = re
	}

	if *native {
		cfg.modes = append(cfg.modes, nativeMode{})
	}
	var (
		rms   []*runscMode
		saves = map[*runscMode]bool{}
	)
	seen := map[string]bool{"native": true}
	addRunsc := func(flagName, v string, save bool) error {
		name, path, err := parseRunscFlag(v)
		if err != nil {
			return err
		}
		if save {
			name += saveSuffix
		}
		if seen[name] {
			return fmt.Errorf("-%s: mode %q given twice", flagName, name)
		}
		seen[name] = true
		m := &runscMode{modeName: name, runsc: path}
		saves[m] = save
		rms = append(rms, m)
		return nil
	}
	for _, v := range runscs {
		if err := addRunsc("runsc", v, false); err != nil {
			return nil, err
		}
	}
	for _, v := range saveRunsc {
		if err := addRunsc("save-runsc", v, true); err != nil {
			return nil, err
		}
	}
	for _, a := range runscArgs {
		scope, flagArg, scoped := strings.Cut(a, ":")
		if scoped && seen[scope] && scope != "native" {
			for _, m := range rms {
				if m.modeName == scope {
					m.args = append(m.args, flagArg)
				}
			}
			continue
		}
		for _, m := range rms {
			m.args = append(m.args, a)
		}
	}
	// Columns: native, the -runsc modes in flag order, each NAME-save mode
	// right after its NAME (or last if there is no NAME column).
	var ordered []mode
	for _, m := range rms {
		if !saves[m] {
			ordered = append(ordered, *m)
		}
	}
	for _, m := range rms {
		if !saves[m] {
			continue
		}
		at := len(ordered)
		for i, o := range ordered {
			if o.name()+saveSuffix == m.modeName {
				at = i + 1
			}
		}
		ordered = append(ordered[:at], append([]mode{saveMode{runscMode: *m}}, ordered[at:]...)...)
	}
	cfg.modes = append(cfg.modes, ordered...)
	if len(cfg.modes) == 0 {
		return nil, fmt.Errorf("no mode to run: -native=false and no -runsc or -save-runsc")
	}

	if *knownPath != "" {
		data, err := os.ReadFile(*knownPath)
		if err != nil {
			return nil, err
		}
		if cfg.known, err = parseKnownFailures(data); err != nil {
			return nil, err
		}
	}
	cfg.required = map[string]bool{}
	for _, r := range strings.Split(*required, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !seen[r] || (r == "native" && !*native) {
			fmt.Fprintf(stderr, "runner: note: required mode %q is not run\n", r)
			continue
		}
		cfg.required[r] = true
	}
	return &cfg, nil
}

// cell is the result of one case in one mode.
type cell struct {
	status   status
	reason   string
	output   []byte
	dur      time.Duration
	restores int // restores from a checkpoint image (save modes)
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return 2
	}

	listFailures := 0
	var cases []testCase
	for _, bin := range cfg.binaries {
		cs, err := listCases(bin)
		if err != nil {
			fmt.Fprintf(stderr, "runner: listing %s: %v\n", bin, err)
			fmt.Fprintf(stdout, "ERROR: cannot list the cases of %s: %v\n", bin, err)
			listFailures++
			continue
		}
		for _, c := range cs {
			if cfg.filter == nil || cfg.filter.MatchString(c.fullName()) ||
				cfg.filter.MatchString(filepath.Base(c.binary)+":"+c.fullName()) {
				cases = append(cases, c)
			}
		}
	}
	if cfg.list {
		for _, c := range cases {
			fmt.Fprintln(stdout, caseLabel(c, len(cfg.binaries) > 1))
		}
		if listFailures > 0 {
			return 1
		}
		return 0
	}
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "runner: no test case selected\n")
		fmt.Fprintf(stdout, "0 passed, %d failed\n", listFailures)
		return 1
	}
	for _, m := range cfg.modes {
		if !m.isNative() && os.Geteuid() != 0 {
			fmt.Fprintf(stderr, "runner: mode %s runs runsc, which needs root: run the runner as root\n", m.name())
			return 2
		}
	}

	unpin, err := prepareSaveModes(cfg.modes)
	defer unpin()
	if err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return 2
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			fmt.Fprintf(stderr, "runner: interrupted, stopping the running cases\n")
			cancel(errInterrupted)
		}
	}()

	results := runAll(ctx, cfg, cases, stderr)
	interrupted := context.Cause(ctx) == errInterrupted

	rep := report{cfg: cfg, cases: cases, results: results, multi: len(cfg.binaries) > 1}
	passed, failed := rep.write(stdout)
	failed += listFailures * len(cfg.required)
	if cfg.markdown != "" {
		if err := os.WriteFile(cfg.markdown, []byte(rep.markdown(passed, failed)), 0o644); err != nil {
			fmt.Fprintf(stderr, "runner: %v\n", err)
			failed++
		}
	}
	if interrupted {
		fmt.Fprintln(stdout, "interrupted: some cases were not run")
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 || listFailures > 0 || interrupted {
		return 1
	}
	return 0
}

// listCases runs `bin --gtest_list_tests` natively and parses its output.
func listCases(bin string) ([]testCase, error) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--gtest_list_tests")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killGrace
	cmd.Env = baseEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return nil, fmt.Errorf("%v: %s", err, msg)
		}
		return nil, err
	}
	return parseTestList(bin, out)
}

// runAll runs every case in every mode, cfg.jobs at a time, and returns the
// results indexed [case][mode].
func runAll(ctx context.Context, cfg *config, cases []testCase, progress io.Writer) [][]cell {
	results := make([][]cell, len(cases))
	for i := range results {
		results[i] = make([]cell, len(cfg.modes))
	}
	type job struct{ c, m int }
	jobs := make(chan job)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	total := len(cases) * len(cfg.modes)
	multi := len(cfg.binaries) > 1
	for w := 0; w < cfg.jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				tc, m := cases[j.c], cfg.modes[j.m]
				cctx, cancel := context.WithTimeout(ctx, cfg.timeout)
				start := time.Now()
				raw := m.run(cctx, tc)
				cancel()
				lenient := tc.mqsentryOnly() && (m.isNative() || !cfg.required[m.name()])
				st, reason := classify(raw, lenient)
				st, reason = cfg.known.apply(m.name(), cfg.required[m.name()] && !lenient, tc, st, reason)
				c := cell{status: st, reason: reason, dur: time.Since(start), restores: raw.restores}
				if st.failed() {
					c.output = lastLines(raw.output, cfg.tail)
				}
				results[j.c][j.m] = c
				mu.Lock()
				done++
				if !cfg.quiet && st != statusNotRun {
					extra := ""
					if isSaveMode(m) {
						extra = fmt.Sprintf(", %d restores", c.restores)
					}
					fmt.Fprintf(progress, "[%d/%d] %-8s %s %s (%.1fs%s)\n", done, total,
						m.name(), caseLabel(tc, multi), st, c.dur.Seconds(), extra)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for c := range cases {
		for m := range cfg.modes {
			select {
			case jobs <- job{c, m}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	return results
}

// caseLabel is a case's row name: Suite.Case, prefixed by the binary's base
// name when several binaries are run.
func caseLabel(c testCase, multi bool) string {
	if multi {
		return filepath.Base(c.binary) + ":" + c.fullName()
	}
	return c.fullName()
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) []byte {
	s := strings.TrimRight(string(out), "\n")
	if n <= 0 || s == "" {
		return nil
	}
	idx := len(s)
	for i := 0; i < n; i++ {
		j := strings.LastIndexByte(s[:idx], '\n')
		if j < 0 {
			return []byte(s + "\n")
		}
		idx = j
	}
	return []byte(s[idx+1:] + "\n")
}
