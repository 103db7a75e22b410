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

// Command driver runs mqsentry's benchmarks and prints one report (`make
// bench`):
//
//  1. the Go benchmarks of the queue core (go test -bench over
//     pkg/sentry/kernel/mq), several counts, medians;
//  2. test/bench/mqbench.c natively, under an unmodified runsc and under
//     mqsentry's runsc, interleaved: every repetition runs each group of tests
//     in all three modes (in a rotating order) before the next group, and the
//     table shows medians over the repetitions, with derived ratios.
//
// Raw outputs go to -out (build/out/bench). The exit status is 1 when a
// benchmark failed or a self-check (messages received once, peek order equal
// to receive order) did not hold; the report is printed either way.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

type options struct {
	reps        int
	timeBoxMS   int
	mqbench     string
	upstream    string
	ours        string
	runscFlags  string
	goPkg       string
	goCount     int
	goBenchtime string
	skipGo      bool
	skipC       bool
	out         string
}

func main() {
	var o options
	flag.IntVar(&o.reps, "reps", 9, "repetitions of every C benchmark group in every mode")
	flag.IntVar(&o.timeBoxMS, "t", 150, "time box of each timed loop in mqbench, in ms")
	flag.StringVar(&o.mqbench, "mqbench", "bin/mqbench", "the static mqbench binary")
	flag.StringVar(&o.upstream, "upstream", "bin/runsc-upstream", "unmodified runsc (empty: skip)")
	flag.StringVar(&o.ours, "ours", "bin/runsc", "mqsentry's runsc (empty: skip)")
	flag.StringVar(&o.runscFlags, "runsc-flags", "", "extra runsc flags placed before \"do\" (space separated)")
	flag.StringVar(&o.goPkg, "go-pkg", "./pkg/sentry/kernel/mq/", "package with the Go benchmarks")
	flag.IntVar(&o.goCount, "go-count", 5, "go test -count")
	flag.StringVar(&o.goBenchtime, "go-benchtime", "0.2s", "go test -benchtime")
	flag.BoolVar(&o.skipGo, "skip-go", false, "skip the Go benchmarks")
	flag.BoolVar(&o.skipC, "skip-c", false, "skip the C benchmarks")
	flag.StringVar(&o.out, "out", "build/out/bench", "directory for raw outputs")
	flag.Parse()

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(2)
	}
	start := time.Now()
	printHeader(&o)
	ok := true
	if !o.skipGo {
		ok = runGo(&o) && ok
	}
	if !o.skipC {
		ok = runC(&o) && ok
	}
	fmt.Printf("\nload average at the end: %s; total %s; raw outputs in %s\n", loadavg(), time.Since(start).Round(time.Second), o.out)
	if !ok {
		fmt.Println("RESULT: some benchmarks FAILED (see above)")
		os.Exit(1)
	}
}

func printHeader(o *options) {
	fmt.Println("== mqsentry benchmarks ==")
	fmt.Printf("machine: %d CPUs (nproc), %s, kernel %s; load average at the start: %s\n",
		runtime.NumCPU(), cpuModel(), strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")), loadavg())
	goVersion, _ := exec.Command("go", "env", "GOVERSION").Output()
	fmt.Printf("go: %s; runsc: default platform (systrap)%s\n", strings.TrimSpace(string(goVersion)),
		map[bool]string{true: ", flags " + o.runscFlags, false: ""}[o.runscFlags != ""])
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func cpuModel() string {
	for _, line := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadavg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMax(v []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// fmtNum prints a measurement with a precision suited to its size.
func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.Abs(x) >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// fmtCount prints B/op and allocs/op: integers as such.
func fmtCount(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return fmtNum(x)
}

func fmtRatio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "x"
}

// ---- Go benchmarks ----

// goResult holds every count's value of each unit of one benchmark.
type goResult struct {
	name  string
	units []string
	vals  map[string][]float64
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parseGoBench(out []byte) []*goResult {
	var order []*goResult
	byName := map[string]*goResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		r := byName[name]
		if r == nil {
			r = &goResult{name: name, vals: map[string][]float64{}}
			byName[name] = r
			order = append(order, r)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if _, seen := r.vals[unit]; !seen {
				r.units = append(r.units, unit)
			}
			r.vals[unit] = append(r.vals[unit], v)
		}
	}
	return order
}

func (r *goResult) med(unit string) float64 {
	if r == nil {
		return math.NaN()
	}
	return median(r.vals[unit])
}

func runGo(o *options) bool {
	fmt.Printf("\n-- 1. Go benchmarks of the queue core (%s): median of -count=%d, -benchtime=%s --\n", o.goPkg, o.goCount, o.goBenchtime)
	cmd := exec.Command("go", "test", "-run=^$", "-bench=.", "-benchmem",
		"-count="+strconv.Itoa(o.goCount), "-benchtime="+o.goBenchtime, o.goPkg)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	_ = os.WriteFile(filepath.Join(o.out, "go-bench.txt"), out.Bytes(), 0o644)
	results := parseGoBench(out.Bytes())
	if err != nil || len(results) == 0 {
		fmt.Printf("go test failed (%v):\n%s\n", err, out.String())
		return false
	}
	byName := map[string]*goResult{}
	fmt.Printf("%-34s %10s %9s %9s  %s\n", "benchmark", "ns/op", "B/op", "allocs/op", "other metrics")
	for _, r := range results {
		byName[r.name] = r
		var extra []string
		for _, u := range r.units {
			if u != "ns/op" && u != "B/op" && u != "allocs/op" {
				extra = append(extra, fmtNum(r.med(u))+" "+u)
			}
		}
		fmt.Printf("%-34s %10s %9s %9s  %s\n", r.name, fmtNum(r.med("ns/op")), fmtCount(r.med("B/op")),
			fmtCount(r.med("allocs/op")), strings.Join(extra, ", "))
	}

	fmt.Println("\nderived (Go):")
	var allocs []string
	coreAllocs := 0.0
	for _, s := range []string{"16B", "1KiB", "8KiB"} {
		a := byName["SendReceive/"+s].med("allocs/op")
		p := byName["SendReceivePayloadAlloc/"+s].med("allocs/op")
		coreAllocs = math.Max(coreAllocs, a)
		allocs = append(allocs, fmt.Sprintf("%s: %s (core) / %s (with payload buffer)", s, fmtCount(a), fmtCount(p)))
	}
	verdict := "the core does not allocate in steady state; only the payload buffer does"
	if coreAllocs > 0 {
		verdict = "the core ALLOCATES in steady state beyond the payload buffer"
	}
	fmt.Printf("  allocs per send+receive pair: %s => %s\n", strings.Join(allocs, "; "), verdict)
	bfd := byName["SendReceiveBlockingFD"]
	fmt.Printf("  syscall layer on a blocking descriptor (payload + a Waiter per call): %s allocs, %s B, %s ns per 16 B pair vs %s ns with the payload alone\n",
		fmtCount(bfd.med("allocs/op")), fmtCount(bfd.med("B/op")), fmtNum(bfd.med("ns/op")),
		fmtNum(byName["SendReceivePayloadAlloc/16B"].med("ns/op")))
	ratioLine := func(label, a, b string) {
		fmt.Printf("  %-52s %s\n", label, fmtRatio(byName[a].med("ns/op"), byName[b].med("ns/op")))
	}
	ratioLine("per-op cost, 100 queues / 1 queue:", "ManyQueues/queues=100", "ManyQueues/queues=1")
	ratioLine("per-op cost, 10000 queues / 1 queue:", "ManyQueues/queues=10000", "ManyQueues/queues=1")
	ratioLine("send+receive with 65000 queued / with 1 queued:", "Depth/queued=65000", "Depth/queued=1")
	ratioLine("Peek at depth 65000 / at depth 1:", "Peek/depth=65000", "Peek/depth=1")
	ratioLine("mixed priorities, 64 queued / one priority, 1 queued:", "MixedPriority", "Depth/queued=1")
	d := byName["Dump65000"]
	fmt.Printf("  %-52s %s (%s vs %s ns/msg; goal <= 2)\n", "full dump of 65000 by Peek / drain by Receive:",
		fmtNum(d.med("peek/drain")), fmtNum(d.med("peek-ns/msg")), fmtNum(d.med("drain-ns/msg")))
	fmt.Printf("  %-52s %s B empty, %s B after one message, %s B with 128 priority blocks used\n",
		"heap per queue (NewQueue B/op):", fmtCount(byName["NewQueue/empty"].med("B/op")),
		fmtCount(byName["NewQueue/used"].med("B/op")), fmtCount(byName["NewQueue/128prios"].med("B/op")))
	fmt.Printf("  %-52s %s B\n", "message store kept after draining those 128 blocks:",
		fmtCount(byName["NewQueue/128prios"].med("retained-B")))
	return true
}

// ---- C benchmarks ----

type mode struct {
	name  string
	runsc string // empty: native
}

// groups are run back to back in every mode before the next group starts.
// "pairs" measures the null pair and both queue pairs in alternating short
// batches and reports (pair - null pair) per round, so the queue's own cost
// is separated from the sandbox's per-syscall cost within one invocation.
var groups = [][]string{
	{"pairs"},
	{"posix_pingpong", "sysv_pingpong", "posix_nxm", "sysv_nxm"},
	{"posix_manyq", "sysv_manyq"},
	{"peek"},
}

type row struct{ key, label, unit string }

var rows = []row{
	{"null", "null syscall pair (getppid x2)", "ns/pair"},
	{"posix_pair", "POSIX mq_send+mq_receive 16 B", "ns/pair"},
	{"sysv_pair", "SysV msgsnd+msgrcv 16 B", "ns/pair"},
	{"posix_pingpong", "POSIX ping-pong, 2 processes", "ns/round trip"},
	{"sysv_pingpong", "SysV ping-pong, 2 processes", "ns/round trip"},
	{"posix_nxm", "POSIX 2x2 prod/cons, 20000 msgs", "ns/msg"},
	{"sysv_nxm", "SysV 2x2 prod/cons, 20000 msgs", "ns/msg"},
	{"posix_manyq", "POSIX 10000 queues: open+snd+rcv+close", "ns/queue"},
	{"posix_manyq_create", "  mq_open(O_CREAT)", "ns/queue"},
	{"posix_manyq_send", "  mq_send (first message)", "ns/queue"},
	{"posix_manyq_recv", "  mq_receive", "ns/queue"},
	{"posix_manyq_close", "  close", "ns/queue"},
	{"posix_manyq_unlink", "  (mq_unlink, not in the sum)", "ns/queue"},
	{"sysv_manyq", "SysV 10000 queues: get+snd+rcv+RMID", "ns/queue"},
	{"sysv_manyq_create", "  msgget(IPC_PRIVATE)", "ns/queue"},
	{"sysv_manyq_send", "  msgsnd", "ns/queue"},
	{"sysv_manyq_recv", "  msgrcv", "ns/queue"},
	{"sysv_manyq_rmid", "  msgctl(IPC_RMID)", "ns/queue"},
	{"fill65000", "POSIX fill 65000 msgs (mq_send)", "ns/msg"},
	{"peek_depth_1", "F_MQ_PEEK depth 1 of 65000", "ns/peek"},
	{"peek_depth_1000", "F_MQ_PEEK depth 1000 of 65000", "ns/peek"},
	{"peek_depth_65000", "F_MQ_PEEK depth 65000 of 65000", "ns/peek"},
	{"dump65000_peek", "dump 65000 msgs by F_MQ_PEEK", "ns/msg"},
	{"drain65000", "drain 65000 msgs by mq_receive", "ns/msg"},
}

// cResults holds, per mode, per result name, one value per repetition
// (indexed by repetition; NaN where missing) and the n/a reasons.
type cResults struct {
	vals     map[string]map[string][]float64
	na       map[string]map[string]string
	infos    map[string]bool
	failures []string
}

func (c *cResults) set(mode, name string, rep, reps int, v float64) {
	if c.vals[mode] == nil {
		c.vals[mode] = map[string][]float64{}
	}
	s := c.vals[mode][name]
	if s == nil {
		s = make([]float64, reps)
		for i := range s {
			s[i] = math.NaN()
		}
		c.vals[mode][name] = s
	}
	s[rep] = v
}

// series returns the non-missing values of one result in one mode.
func (c *cResults) series(mode, name string) []float64 {
	var out []float64
	for _, v := range c.vals[mode][name] {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

func (c *cResults) med(mode, name string) float64 { return median(c.series(mode, name)) }

// perRep returns f over each repetition where all its inputs exist.
func (c *cResults) perRep(mode string, reps int, names []string, f func(v []float64) float64) []float64 {
	var out []float64
	for r := 0; r < reps; r++ {
		in := make([]float64, len(names))
		ok := true
		for i, n := range names {
			s := c.vals[mode][n]
			if s == nil || math.IsNaN(s[r]) {
				ok = false
				break
			}
			in[i] = s[r]
		}
		if ok {
			out = append(out, f(in))
		}
	}
	return out
}

func runC(o *options) bool {
	mqbench, err := filepath.Abs(o.mqbench)
	if err != nil {
		fmt.Println("driver:", err)
		return false
	}
	modes := []mode{{name: "native"}}
	for _, m := range []mode{{"upstream", o.upstream}, {"ours", o.ours}} {
		if m.runsc != "" {
			if m.runsc, err = filepath.Abs(m.runsc); err != nil {
				fmt.Println("driver:", err)
				return false
			}
			modes = append(modes, m)
		}
	}
	fmt.Printf("\n-- 2. mqbench (test/bench/mqbench.c): native, %s; median of %d interleaved repetitions, %d ms time boxes --\n",
		strings.Join(modeNames(modes[1:]), ", "), o.reps, o.timeBoxMS)
	raw, err := os.Create(filepath.Join(o.out, "mqbench-raw.txt"))
	if err != nil {
		fmt.Println("driver:", err)
		return false
	}
	defer raw.Close()

	res := &cResults{vals: map[string]map[string][]float64{}, na: map[string]map[string]string{}, infos: map[string]bool{}}
	for rep := 0; rep < o.reps; rep++ {
		for g, tests := range groups {
			for i := range modes {
				// Rotate the order of the modes with the repetition and group.
				m := modes[(i+rep+g)%len(modes)]
				runOne(o, m, mqbench, tests, rep, res, raw)
			}
		}
		fmt.Fprintf(os.Stderr, "mqbench: repetition %d/%d done\n", rep+1, o.reps)
	}
	printCTable(o, modes, res)
	return len(res.failures) == 0
}

func modeNames(ms []mode) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.name+" ("+m.runsc+")")
	}
	return out
}

func runOne(o *options, m mode, mqbench string, tests []string, rep int, res *cResults, raw io.Writer) {
	args := []string{"-t", strconv.Itoa(o.timeBoxMS)}
	var cmd *exec.Cmd
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if m.runsc == "" {
		// A private IPC namespace lets root without CAP_SYS_RESOURCE raise
		// queues_max and msg_max without touching the host's.
		cmd = exec.CommandContext(ctx, mqbench, append(append([]string{"-ns"}, args...), tests...)...)
	} else {
		full := []string{"--network=none", "--ignore-cgroups"}
		full = append(full, strings.Fields(o.runscFlags)...)
		full = append(full, "do", mqbench)
		full = append(full, args...)
		cmd = exec.CommandContext(ctx, m.runsc, append(full, tests...)...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	fmt.Fprintf(raw, "### %s rep %d: %s\n%s%s", m.name, rep, strings.Join(cmd.Args, " "), stdout.String(), stderr.String())
	if err != nil {
		res.failures = append(res.failures, fmt.Sprintf("%s rep %d %v: %v: %s", m.name, rep, tests, err, lastLine(stderr.String())))
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "RESULT" && f[2] == "n/a":
			if res.na[m.name] == nil {
				res.na[m.name] = map[string]string{}
			}
			res.na[m.name][f[1]] = strings.Join(f[3:], " ")
		case len(f) == 3 && f[0] == "RESULT":
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				continue
			}
			res.set(m.name, f[1], rep, o.reps, v)
		case len(f) > 0 && f[0] == "FAIL":
			res.failures = append(res.failures, fmt.Sprintf("%s rep %d: %s", m.name, rep, sc.Text()))
		case len(f) > 0 && f[0] == "INFO":
			res.infos[m.name+": "+strings.Join(f[1:], " ")] = true
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func printCTable(o *options, modes []mode, res *cResults) {
	has := map[string]bool{}
	for _, m := range modes {
		has[m.name] = true
	}
	header := fmt.Sprintf("%-40s %-13s", "test", "unit")
	for _, m := range modes {
		header += fmt.Sprintf(" %10s", m.name)
	}
	if has["upstream"] && has["ours"] {
		header += fmt.Sprintf(" %12s %14s", "ours/native", "ours/upstream")
	}
	header += "   ours min..max"
	fmt.Println(header)
	for _, r := range rows {
		line := fmt.Sprintf("%-40s %-13s", r.label, r.unit)
		for _, m := range modes {
			line += fmt.Sprintf(" %10s", fmtNum(res.med(m.name, r.key)))
		}
		if has["upstream"] && has["ours"] {
			ours := res.med("ours", r.key)
			line += fmt.Sprintf(" %12s %14s", fmtRatio(ours, res.med("native", r.key)), fmtRatio(ours, res.med("upstream", r.key)))
		}
		if s := res.series("ours", r.key); len(s) > 0 {
			lo, hi := minMax(s)
			line += fmt.Sprintf("   %s..%s", fmtNum(lo), fmtNum(hi))
		}
		fmt.Println(line)
	}

	// n/a reasons, grouped.
	type key struct{ mode, why string }
	naTests := map[key][]string{}
	var naOrder []key
	for _, m := range modes {
		for _, r := range rows {
			why, ok := res.na[m.name][r.key]
			if !ok || len(res.series(m.name, r.key)) > 0 {
				continue
			}
			k := key{m.name, why}
			if naTests[k] == nil {
				naOrder = append(naOrder, k)
			}
			naTests[k] = append(naTests[k], r.key)
		}
	}
	if len(naOrder) > 0 {
		fmt.Println("n/a:")
		for _, k := range naOrder {
			fmt.Printf("  %s: %s (%s)\n", k.mode, strings.Join(naTests[k], ", "), explain(k.mode, k.why))
		}
	}
	if len(res.infos) > 0 {
		var infos []string
		for i := range res.infos {
			infos = append(infos, i)
		}
		sort.Strings(infos)
		fmt.Println("notes from mqbench:")
		for _, i := range infos {
			fmt.Println("  " + i)
		}
	}

	fmt.Println("\nderived (C; medians over repetitions):")
	ratio := func(v []float64) float64 { return v[0] / v[1] }
	oursPosix, linuxPosix := res.med("ours", "posix_component"), res.med("native", "posix_component")
	fmt.Printf("  POSIX pair component (pair - null pair): ours %s ns vs Linux kernel %s ns => ours/Linux %s\n",
		fmtNum(oursPosix), fmtNum(linuxPosix), fmtRatio(oursPosix, linuxPosix))
	oursSysv, upSysv, linuxSysv := res.med("ours", "sysv_component"), res.med("upstream", "sysv_component"), res.med("native", "sysv_component")
	fmt.Printf("  SysV pair component  (pair - null pair): ours %s ns vs upstream %s ns => ours/upstream %s (Linux kernel %s ns)\n",
		fmtNum(oursSysv), fmtNum(upSysv), fmtRatio(oursSysv, upSysv), fmtNum(linuxSysv))
	fmt.Printf("  null pair: ours/upstream %s, ours/native %s (the sandbox's fixed per-syscall cost)\n",
		fmtRatio(res.med("ours", "null"), res.med("upstream", "null")), fmtRatio(res.med("ours", "null"), res.med("native", "null")))
	// Each invocation's ratio is the median over chunks of 1000 messages of
	// peek time / receive time, measured alternately on identical queues.
	dump := res.med("ours", "dump_drain_ratio")
	dumpTotals := median(res.perRep("ours", o.reps, []string{"dump65000_peek", "drain65000"}, ratio))
	goal := "meets the goal <= 2"
	if math.IsNaN(dump) || dump > 2 {
		goal = "ABOVE the goal <= 2"
	}
	fmt.Printf("  full dump of 65000 by F_MQ_PEEK / drain by mq_receive (ours): %s (%s); ratio of the totals %s\n",
		fmtRatio(dump, 1), goal, fmtRatio(dumpTotals, 1))
	fmt.Printf("  POSIX 10000-queue cost per queue, ours/native: %s; mq_open(O_CREAT) alone: %s\n",
		fmtRatio(res.med("ours", "posix_manyq"), res.med("native", "posix_manyq")),
		fmtRatio(res.med("ours", "posix_manyq_create"), res.med("native", "posix_manyq_create")))

	if len(res.failures) > 0 {
		fmt.Println("\nFAILURES:")
		for _, f := range res.failures {
			fmt.Println("  " + f)
		}
	}
}

// explain expands the errno names mqbench reports for unsupported calls.
func explain(mode, why string) string {
	switch {
	case mode == "upstream" && strings.HasPrefix(why, "ENOSYS"):
		return why + ": upstream gVisor has no mq_timedsend/mq_timedreceive"
	case mode == "native" && strings.HasPrefix(why, "EINVAL"):
		return why + ": Linux has no F_MQ_PEEK (RFC only)"
	case mode == "native" && strings.HasPrefix(why, "EMFILE"):
		return why + ": RLIMIT_MSGQUEUE cannot be raised without CAP_SYS_RESOURCE (a 65000-message queue needs ~5.7 MB)"
	}
	return why
}
