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

// Command run runs a self-checking test program (test/fuzz/ipcfuzz.c,
// test/stress/c/mqstress.c) natively and under one or more runscs, and
// requires each run to exit 0 with a last line ending in PASS.
//
// Usage:
//
//	go run ./test/stress/run [-native=false] [-runsc NAME=PATH]... [-timeout D] PROGRAM [ARG...]
//
// Under runsc the program is the sandbox's init (`runsc --network=none
// --ignore-cgroups do PROGRAM ARG...`), so a Sentry panic ends the run with
// a non-zero status and without the PASS line; runsc's debug log goes to a
// temporary directory and its panic lines, if any, are printed. Output of
// each run is shown (the programs print their own summary). The last line
// is "N passed, M failed"; the exit status is 1 if any run failed, 2 on bad
// usage. Needs root.
//
// With -diff (for `ipcfuzz -d CALLS -s SEED`, whose runs are deterministic)
// the call logs ("D n call result errno" lines, up to " #") of the first
// mode and every other mode must be identical; differing lines are shown
// and count as a failure.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type runscList []string

func (l *runscList) String() string     { return strings.Join(*l, ",") }
func (l *runscList) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var runscs runscList
	native := flag.Bool("native", true, "run the program natively too")
	timeout := flag.Duration("timeout", 5*time.Minute, "limit for each run")
	diff := flag.Bool("diff", false, "compare the programs' call logs (D lines) between modes")
	flag.Var(&runscs, "runsc", "NAME=PATH of a runsc to run the program under (repeatable)")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: run [-native=false] [-runsc NAME=PATH]... [-timeout D] PROGRAM [ARG...]")
		os.Exit(2)
	}
	prog, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	args := flag.Args()[1:]
	type mode struct {
		name, runsc string
	}
	var modes []mode
	if *native {
		modes = append(modes, mode{name: "native"})
	}
	for _, r := range runscs {
		name, path, ok := strings.Cut(r, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "-runsc %q: want NAME=PATH\n", r)
			os.Exit(2)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		modes = append(modes, mode{name, abs})
	}
	passed, failed := 0, 0
	var summary []string
	var logs [][]string
	for _, m := range modes {
		ok, line, out := runOne(m.name, m.runsc, prog, args, *timeout)
		summary = append(summary, line)
		logs = append(logs, callLog(out))
		if ok {
			passed++
		} else {
			failed++
		}
	}
	if *diff {
		for i := 1; i < len(modes); i++ {
			n := compareLogs(modes[0].name, logs[0], modes[i].name, logs[i])
			line := fmt.Sprintf("%-8s call log vs %s: %d of %d calls differ", modes[i].name, modes[0].name, n, len(logs[0]))
			if n == 0 && len(logs[0]) > 0 {
				passed++
				line += ": pass"
			} else {
				failed++
				line += ": FAIL"
			}
			summary = append(summary, line)
		}
	}
	fmt.Println()
	for _, l := range summary {
		fmt.Println(l)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}

// callLog returns the "D ..." lines of out, without their comments.
func callLog(out string) []string {
	var log []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "D ") {
			l, _, _ = strings.Cut(l, " #")
			log = append(log, strings.TrimSpace(l))
		}
	}
	return log
}

// compareLogs prints the first differing calls and returns how many differ.
func compareLogs(an string, a []string, bn string, b []string) int {
	n := max(len(a), len(b))
	differ := 0
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if differ < 20 {
				fmt.Printf("call %d: %s: %q, %s: %q\n", i, an, x, bn, y)
			}
			differ++
		}
	}
	return differ
}

func runOne(name, runsc, prog string, args []string, timeout time.Duration) (bool, string, string) {
	base := filepath.Base(prog)
	fmt.Printf("=== %s %s %s\n", name, base, strings.Join(args, " "))
	argv := append([]string{prog}, args...)
	var logDir string
	if runsc != "" {
		dir, err := os.MkdirTemp("", "stress-runsc-log-")
		if err != nil {
			return false, fmt.Sprintf("%-8s %s: FAIL (%v)", name, base, err), ""
		}
		logDir = dir
		defer os.RemoveAll(dir)
		argv = append([]string{runsc, "--network=none", "--ignore-cgroups", "--debug-log=" + dir + "/", "do"}, argv...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	// The call logs of -diff runs are long: keep them out of the terminal.
	var show io.Writer = os.Stdout
	if diffLog(args) {
		show = &dLineFilter{w: os.Stdout}
	}
	cmd.Stdout = io.MultiWriter(show, &out)
	cmd.Stderr = io.MultiWriter(os.Stderr, &out)
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start).Round(100 * time.Millisecond)
	last := lastLine(out.String())
	ok := err == nil && strings.HasSuffix(last, " PASS")
	why := ""
	switch {
	case ctx.Err() != nil:
		why = "timed out"
	case err != nil:
		why = err.Error()
	case !ok:
		why = fmt.Sprintf("last line %q", last)
	}
	if !ok && logDir != "" {
		printPanics(logDir)
	}
	if ok {
		return true, fmt.Sprintf("%-8s %s: pass (%v)", name, base, elapsed), out.String()
	}
	return false, fmt.Sprintf("%-8s %s: FAIL (%s, %v)", name, base, why, elapsed), out.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// printPanics shows the lines of runsc's logs around a panic.
func printPanics(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		printing := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "panic") || strings.Contains(line, "fatal error") {
				printing = 60
				fmt.Printf("--- %s:\n", filepath.Base(f))
			}
			if printing > 0 {
				fmt.Println(line)
				printing--
			}
		}
		fh.Close()
	}
}

func diffLog(args []string) bool {
	for _, a := range args {
		if a == "-d" {
			return true
		}
	}
	return false
}

// dLineFilter passes on every line but the "D ..." ones.
type dLineFilter struct {
	w       io.Writer
	partial []byte
}

func (f *dLineFilter) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := f.partial[:i+1]
		if !bytes.HasPrefix(line, []byte("D ")) {
			if _, err := f.w.Write(line); err != nil {
				return 0, err
			}
		}
		f.partial = f.partial[i+1:]
	}
}
