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
	"io"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// listOutput is real `--gtest_list_tests` output of a binary linked with
// gtest_main, covering plain, typed and value-parameterized tests and
// disabled ones.
const listOutput = `Running main() from ./googletest/src/gtest_main.cc
Basic.
  Pass
  Fail
  DISABLED_Off
  Skip
Mq.
  Send
  MqsentryOnlyFeature
DISABLED_Whole.
  Anything
Typed/0.  # TypeParam = int
  Ok
Typed/1.  # TypeParam = char
  Ok
Nums/P.
  Even/0  # GetParam() = 2
  Even/1  # GetParam() = 3
  Odd/0  # GetParam() = "a # b"
Nums/DISABLED_Q.
  Even/0  # GetParam() = 2
Flags/MqParam.
  Open/O_RDONLY  # GetParam() = (0, "ro")
`

func names(cs []testCase) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.fullName())
	}
	return out
}

func TestParseTestList(t *testing.T) {
	cs, err := parseTestList("/bin/t", []byte(listOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Basic.Pass", "Basic.Fail", "Basic.Skip",
		"Mq.Send", "Mq.MqsentryOnlyFeature",
		"Typed/0.Ok", "Typed/1.Ok",
		"Nums/P.Even/0", "Nums/P.Even/1", "Nums/P.Odd/0",
		"Flags/MqParam.Open/O_RDONLY",
	}
	if got := names(cs); !reflect.DeepEqual(got, want) {
		t.Errorf("parseTestList:\n got %q\nwant %q", got, want)
	}
	for _, c := range cs {
		if c.binary != "/bin/t" {
			t.Errorf("%s: binary %q", c.fullName(), c.binary)
		}
	}
	if cs[1].suite != "Basic" || cs[1].name != "Fail" {
		t.Errorf("suite/name split: %+v", cs[1])
	}
}

func TestParseTestListEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "banner only", in: "Running main() from gtest_main.cc\n", want: nil},
		{name: "no banner, CRLF-free, tabs", in: "S.\n\tA\n  B\n", want: []string{"S.A", "S.B"}},
		{name: "blank lines", in: "S.\n\n  A\n\n", want: []string{"S.A"}},
		{name: "log line in the middle", in: "S.\n  A\nsome log line\n  B\n", want: []string{"S.A", "S.B"}},
		{name: "case before any suite", in: "  A\nS.\n  B\n", wantErr: true},
		{name: "all disabled", in: "DISABLED_S.\n  A\nS.\n  DISABLED_B\n", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := parseTestList("b", []byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got := names(cs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMqsentryOnly(t *testing.T) {
	for name, want := range map[string]bool{
		"Mq.MqsentryOnlyNotify":    true,
		"MqsentryOnlySuite.Case":   true,
		"Mq.Send":                  false,
		"Mq.mqsentryonlyLowercase": false,
	} {
		s, c, _ := strings.Cut(name, ".")
		if got := (testCase{suite: s, name: c}).mqsentryOnly(); got != want {
			t.Errorf("%s: mqsentryOnly = %v, want %v", name, got, want)
		}
	}
}

const (
	gtestPass = `[ RUN      ] S.A
[       OK ] S.A (0 ms)
[==========] 1 test from 1 test suite ran. (0 ms total)
[  PASSED  ] 1 test.
`
	gtestFail = `[ RUN      ] S.A
x.cc:8: Failure
[  FAILED  ] S.A (0 ms)
[  PASSED  ] 0 tests.
[  FAILED  ] 1 test, listed below:
[  FAILED  ] S.A
`
	gtestSkip = `[ RUN      ] S.A
x.cc:9: Skipped
[  SKIPPED ] S.A (0 ms)
[  PASSED  ] 0 tests.
[  SKIPPED ] 1 test, listed below:
[  SKIPPED ] S.A
`
	gtestNone = `Note: Google Test filter = S.Nope
[==========] Running 0 tests from 0 test suites.
[==========] 0 tests from 0 test suites ran. (0 ms total)
[  PASSED  ] 0 tests.
`
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		r       rawResult
		lenient bool
		want    status
	}{
		{"pass", rawResult{output: []byte(gtestPass)}, false, statusPass},
		{"pass, no output", rawResult{}, false, statusPass},
		{"exit 1", rawResult{exitCode: 1, output: []byte(gtestFail)}, false, statusFail},
		{"FAILED but exit 0", rawResult{output: []byte(gtestFail)}, false, statusFail},
		{"nonzero exit without FAILED", rawResult{exitCode: 3, output: []byte(gtestPass)}, false, statusFail},
		{"signal", rawResult{exitCode: -1, signal: "segmentation fault"}, false, statusFail},
		{"skip", rawResult{output: []byte(gtestSkip)}, false, statusSkip},
		{"skip but exit 1", rawResult{exitCode: 1, output: []byte(gtestSkip)}, false, statusFail},
		{"no test matched", rawResult{output: []byte(gtestNone)}, false, statusFail},
		{"timeout", rawResult{exitCode: -1, signal: "terminated", timedOut: true}, false, statusTimeout},
		{"cannot start", rawResult{exitCode: -1, startErr: errors.New("no such file")}, false, statusFail},
		{"interrupted", rawResult{exitCode: -1, interrupted: true}, false, statusNotRun},
		// MqsentryOnly cases in native / non-required modes.
		{"lenient pass", rawResult{output: []byte(gtestPass)}, true, statusPass},
		{"lenient fail", rawResult{exitCode: 1, output: []byte(gtestFail)}, true, statusNA},
		{"lenient timeout", rawResult{timedOut: true}, true, statusNA},
		{"lenient skip", rawResult{output: []byte(gtestSkip)}, true, statusSkip},
		{"lenient interrupted", rawResult{interrupted: true}, true, statusNotRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := classify(tc.r, tc.lenient)
			if got != tc.want {
				t.Errorf("classify = %v (%s), want %v", got, reason, tc.want)
			}
			if got != statusPass && reason == "" {
				t.Errorf("no reason for %v", got)
			}
		})
	}
}

func TestStatusStrings(t *testing.T) {
	want := map[status]string{statusPass: "pass", statusFail: "FAIL", statusSkip: "skip",
		statusNA: "n/a", statusTimeout: "timeout", statusNotRun: "-"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), w)
		}
		if s.failed() != (s == statusFail || s == statusTimeout) {
			t.Errorf("%v.failed() = %v", s, s.failed())
		}
	}
}

func TestLastLines(t *testing.T) {
	in := []byte("1\n2\n3\n4\n")
	for n, want := range map[int]string{0: "", 1: "4\n", 2: "3\n4\n", 4: "1\n2\n3\n4\n", 10: "1\n2\n3\n4\n"} {
		if got := string(lastLines(in, n)); got != want {
			t.Errorf("lastLines(%d) = %q, want %q", n, got, want)
		}
	}
	if got := string(lastLines([]byte("no newline"), 3)); got != "no newline\n" {
		t.Errorf("got %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(5)
	io.WriteString(b, "abc")
	io.WriteString(b, "defg")
	if got := string(b.Bytes()); got != "cdefg" {
		t.Errorf("got %q, want cdefg", got)
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{
		"-runsc", "ours=/bin/runsc", "bin1",
		"-runsc", "upstream=/tmp/runsc-upstream",
		"-runsc-arg", "--debug", "-runsc-arg", "upstream:--platform=ptrace",
		"-j", "4", "bin2", "--", "-odd-binary",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.binaries) != 3 || !strings.HasSuffix(cfg.binaries[0], "/bin1") ||
		!strings.HasSuffix(cfg.binaries[2], "/-odd-binary") {
		t.Errorf("binaries = %q", cfg.binaries)
	}
	if cfg.jobs != 4 || cfg.timeout != 60*time.Second {
		t.Errorf("jobs %d timeout %v", cfg.jobs, cfg.timeout)
	}
	var got []string
	for _, m := range cfg.modes {
		got = append(got, m.name())
	}
	if want := []string{"native", "ours", "upstream"}; !reflect.DeepEqual(got, want) {
		t.Errorf("modes = %q, want %q", got, want)
	}
	if !cfg.required["native"] || !cfg.required["ours"] || cfg.required["upstream"] {
		t.Errorf("required = %v", cfg.required)
	}
	up := cfg.modes[2].(runscMode)
	tc := testCase{binary: "/t/mq_test", suite: "Mq", name: "Send"}
	wantArgv := []string{"/tmp/runsc-upstream", "--network=none", "--ignore-cgroups",
		"--debug", "--platform=ptrace", "do", "/t/mq_test", "--gtest_filter=Mq.Send", "--gtest_color=no"}
	if argv := up.argv(tc); !reflect.DeepEqual(argv, wantArgv) {
		t.Errorf("argv =\n %q\nwant\n %q", argv, wantArgv)
	}
	if p := up.platform(); p != "ptrace" {
		t.Errorf("platform = %q", p)
	}
	if ours := cfg.modes[1].(runscMode); !reflect.DeepEqual(ours.args, []string{"--debug"}) || ours.platform() != "systrap" {
		t.Errorf("ours args %q platform %q", ours.args, ours.platform())
	}

	for _, bad := range [][]string{
		{},
		{"-runsc", "noequals", "b"},
		{"-runsc", "native=/x", "b"},
		{"-runsc", "a=/x", "-runsc", "a=/y", "b"},
		{"-j", "0", "b"},
		{"-filter", "(", "b"},
		{"-native=false", "b"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", bad)
		}
	}
}

// fakeMode is a mode for report tests.
type fakeMode struct {
	n      string
	native bool
}

func (m fakeMode) name() string                                { return m.n }
func (m fakeMode) isNative() bool                              { return m.native }
func (m fakeMode) run(context.Context, testCase) (r rawResult) { return r }

func TestReportTotals(t *testing.T) {
	cfg := &config{
		modes:    []mode{fakeMode{"native", true}, fakeMode{"ours", false}, fakeMode{"upstream", false}},
		required: map[string]bool{"native": true, "ours": true},
	}
	cases := []testCase{{suite: "S", name: "A"}, {suite: "S", name: "MqsentryOnlyB"}, {suite: "S", name: "C"}}
	res := [][]cell{
		{{status: statusPass}, {status: statusPass}, {status: statusFail}},
		{{status: statusNA}, {status: statusFail}, {status: statusNA}},
		{{status: statusSkip}, {status: statusTimeout}, {status: statusPass}},
	}
	r := &report{cfg: cfg, cases: cases, results: res}
	passed, failed := r.totals()
	if passed != 2 || failed != 2 {
		t.Errorf("totals = %d passed, %d failed; want 2, 2", passed, failed)
	}
	var out strings.Builder
	r.write(&out)
	lines := strings.Split(out.String(), "\n")
	if got := strings.Fields(lines[2]); !reflect.DeepEqual(got, []string{"S.MqsentryOnlyB", "n/a", "FAIL", "n/a"}) {
		t.Errorf("table row %q in:\n%s", got, out.String())
	}
	md := r.markdown(passed, failed)
	if !strings.Contains(md, "| `S.C` | skip | **timeout** | pass |") || !strings.Contains(md, "2 passed, 2 failed") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestRunCommand(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	r := runCommand(context.Background(), []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, []string{"X=1"})
	if r.exitCode != 3 || r.timedOut || !strings.Contains(string(r.output), "out\n") || !strings.Contains(string(r.output), "err\n") {
		t.Errorf("got %+v", r)
	}
	if st, _ := classify(r, false); st != statusFail {
		t.Errorf("status %v", st)
	}

	// A timed-out case's whole process group goes, including children that
	// hold the output pipe.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r = runCommand(ctx, []string{"sh", "-c", "trap '' TERM; sleep 30 & sleep 30"}, nil)
	if !r.timedOut {
		t.Errorf("not timed out: %+v", r)
	}
	if d := time.Since(start); d > killGrace+5*time.Second {
		t.Errorf("took %v", d)
	}
	if st, _ := classify(r, false); st != statusTimeout {
		t.Errorf("status %v", st)
	}

	r = runCommand(context.Background(), []string{"/nonexistent/binary"}, nil)
	if r.startErr == nil {
		t.Errorf("no start error: %+v", r)
	}
}

func TestKnownFailures(t *testing.T) {
	known, err := parseKnownFailures([]byte("# comment\n\nours mq_test:Mq.Proc /proc entry missing\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := testCase{binary: "/x/mq_test", suite: "Mq", name: "Proc"}
	if st, reason := known.apply("ours", true, c, statusFail, "exit status 1"); st != statusKnown || !strings.Contains(reason, "/proc entry missing") {
		t.Errorf("listed failure = %v %q, want known with the reason", st, reason)
	}
	if st, _ := known.apply("native", true, c, statusFail, ""); st != statusFail {
		t.Errorf("failure in an unlisted mode = %v, want FAIL", st)
	}
	if st, _ := known.apply("ours", true, c, statusPass, ""); st != statusPass {
		t.Errorf("pass of a listed case = %v, want pass", st)
	}
	for _, bad := range []string{"ours onlytwo\n", "skip ours mq_test:Mq.Proc\n", "skip\n"} {
		if _, err := parseKnownFailures([]byte(bad)); err == nil {
			t.Errorf("malformed line %q accepted", bad)
		}
	}
}

// A skip where the case must pass is a failure unless the file lists it
// with the skip marker for that mode; a listed skip does not excuse a
// failure, nor a listed failure a skip.
func TestKnownSkips(t *testing.T) {
	known, err := parseKnownFailures([]byte(
		"skip native mq_test:Mq.NeedsCap host root lacks CAP_SYS_RESOURCE\n" +
			"ours mq_test:Mq.Broken not implemented yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	needsCap := testCase{binary: "/x/mq_test", suite: "Mq", name: "NeedsCap"}
	broken := testCase{binary: "/x/mq_test", suite: "Mq", name: "Broken"}
	other := testCase{binary: "/x/mq_test", suite: "Mq", name: "Other"}
	for _, tc := range []struct {
		what   string
		mode   string
		strict bool
		c      testCase
		st     status
		want   status
		reason string
	}{
		{"listed skip", "native", true, needsCap, statusSkip, statusSkip, "CAP_SYS_RESOURCE"},
		{"listed skip, other mode", "ours", true, needsCap, statusSkip, statusFail, "skip ours mq_test:Mq.NeedsCap"},
		{"unlisted skip", "native", true, other, statusSkip, statusFail, "skipped in required mode native"},
		{"skip where not strict", "upstream", false, other, statusSkip, statusSkip, ""},
		{"listed skip that passes", "native", true, needsCap, statusPass, statusPass, ""},
		{"listed skip that fails", "native", true, needsCap, statusFail, statusFail, ""},
		{"listed failure that skips", "ours", true, broken, statusSkip, statusFail, "skipped in required mode ours"},
		{"listed failure", "ours", true, broken, statusFail, statusKnown, "not implemented yet"},
	} {
		st, reason := known.apply(tc.mode, tc.strict, tc.c, tc.st, "skipped")
		if st != tc.want || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: apply = %v %q, want %v with %q", tc.what, st, reason, tc.want, tc.reason)
		}
	}
	// Without a known-failures file no skip is allowed.
	empty, err := parseKnownFailures(nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := empty.apply("ours-save", true, other, statusSkip, "skipped"); st != statusFail || !st.failed() {
		t.Errorf("skip with no known-failures file = %v, want FAIL", st)
	}
}
