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
	"fmt"
	"path/filepath"
	"strings"
)

// mqsentryOnlyMarker in a case's name marks a case that needs mqsentry's own
// runsc: it is not expected to pass natively or under other runscs.
const mqsentryOnlyMarker = "MqsentryOnly"

// A testCase is one gtest case of one binary.
type testCase struct {
	binary string // absolute path of the gtest binary
	suite  string // e.g. "MqTest" or "Prefix/ParamSuite"
	name   string // e.g. "Send" or "Param/3"
}

// fullName is the name gtest knows the case by, as given to --gtest_filter.
func (c testCase) fullName() string { return c.suite + "." + c.name }

// mqsentryOnly reports whether the case is expected to pass only under
// mqsentry's runsc.
func (c testCase) mqsentryOnly() bool {
	return strings.Contains(c.fullName(), mqsentryOnlyMarker)
}

// parseTestList parses the output of `BINARY --gtest_list_tests`:
//
//	Suite.
//	  Case
//	Prefix/ParamSuite.  # TypeParam = int
//	  Case/0  # GetParam() = 2
//
// Unindented lines that do not look like a suite (such as gtest_main's
// "Running main() from ..." banner) are ignored, as are the trailing "# ..."
// comments. Disabled cases (gtest's own rule: suite or case
// name starting with DISABLED_, or "/DISABLED_" anywhere in the full name) are
// left out.
func parseTestList(binary string, out []byte) ([]testCase, error) {
	var (
		cases []testCase
		suite string
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			// A suite line: a single word ending with a dot.
			s := strings.TrimSpace(line)
			if !strings.HasSuffix(s, ".") || strings.ContainsAny(s, " \t") || len(s) == 1 {
				continue // a banner or log line, not part of the list
			}
			suite = strings.TrimSuffix(s, ".")
			continue
		}
		name := strings.Fields(line)[0]
		if suite == "" {
			return nil, fmt.Errorf("line %d: case %q outside of any suite", lineNo, name)
		}
		c := testCase{binary: binary, suite: suite, name: name}
		if disabled(c) {
			continue
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return cases, nil
}

// disabled applies gtest's rule for disabled tests (its filter
// "DISABLED_*:*/DISABLED_*" plus a DISABLED_ case name).
func disabled(c testCase) bool {
	return strings.HasPrefix(c.suite, "DISABLED_") ||
		strings.HasPrefix(c.name, "DISABLED_") ||
		strings.Contains(c.fullName(), "/DISABLED_")
}

// status is the outcome of one case in one mode.
type status int

const (
	statusNotRun  status = iota // not run (interrupted)
	statusPass                  // passed
	statusFail                  // failed
	statusSkip                  // gtest skip (GTEST_SKIP)
	statusNA                    // MqsentryOnly case that did not pass where it is not expected to
	statusTimeout               // killed after the per-case timeout
	statusKnown                 // failed, and listed in the known-failures file with a reason
)

func (s status) String() string {
	switch s {
	case statusPass:
		return "pass"
	case statusFail:
		return "FAIL"
	case statusSkip:
		return "skip"
	case statusNA:
		return "n/a"
	case statusTimeout:
		return "timeout"
	case statusKnown:
		return "known"
	}
	return "-"
}

// failed reports whether s counts as a failure (in a required mode).
func (s status) failed() bool { return s == statusFail || s == statusTimeout }

// rawResult is what running one case in one mode produced, before
// classification.
type rawResult struct {
	exitCode    int    // exit status; -1 if killed by a signal or not started
	signal      string // signal that killed the process, if any
	startErr    error  // the command could not be started
	timedOut    bool   // killed after the per-case timeout
	interrupted bool   // killed because the runner was interrupted
	output      []byte // combined stdout and stderr (tail of it if huge)
	failure     string // set by a mode that saw the case fail whatever its exit status
	restores    int    // restores from a checkpoint image (save modes)
}

// gtest's result markers.
var (
	markerFailed  = []byte("[  FAILED  ]")
	markerSkipped = []byte("[  SKIPPED ]")
	markerNoTests = []byte("Running 0 tests")
)

// classify turns a raw result into a status and a short reason (empty for a
// plain pass). lenient is set for MqsentryOnly cases in modes where they are
// not expected to pass (native and non-required modes): there anything but a
// pass or a skip is reported as n/a instead of a failure.
func classify(r rawResult, lenient bool) (status, string) {
	st, reason := classifyStrict(r)
	if lenient && (st == statusFail || st == statusTimeout) {
		return statusNA, "MqsentryOnly: " + reason
	}
	return st, reason
}

// skipMarker starts a known-failures line that allows a skip:
// "skip MODE BINARY:Suite.Case REASON...".
const skipMarker = "skip"

// knownFailures holds the known-failures file: the cases that cannot pass
// yet in a mode, and the cases that may skip in a mode (a skip elsewhere in a
// mode that must pass is a failure), each keyed "MODE BINARY:Suite.Case" and
// mapped to the documented reason.
type knownFailures struct {
	failures map[string]string
	skips    map[string]string
}

// parseKnownFailures reads lines of "MODE BINARY:Suite.Case REASON..." (a
// known failure) and "skip MODE BINARY:Suite.Case REASON..." (an allowed
// skip); blank lines and lines starting with '#' are ignored.
func parseKnownFailures(data []byte) (knownFailures, error) {
	known := knownFailures{failures: map[string]string{}, skips: map[string]string{}}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		into := known.failures
		if fields[0] == skipMarker {
			into = known.skips
			fields = fields[1:]
		}
		if len(fields) < 3 {
			return knownFailures{}, fmt.Errorf("known failures line %d: want [skip] MODE CASE REASON", i+1)
		}
		into[fields[0]+" "+fields[1]] = strings.Join(fields[2:], " ")
	}
	return known, nil
}

// apply turns a failure of a listed case into statusKnown, keeping the
// documented reason visible. strict is set where the case must pass (a
// required mode, and not an MqsentryOnly case outside mqsentry): there a
// skip is a failure unless the case is listed as allowed to skip in that
// mode, so that a case that starts skipping cannot silently stop guarding
// what it tests.
func (k knownFailures) apply(mode string, strict bool, c testCase, st status, reason string) (status, string) {
	key := mode + " " + filepath.Base(c.binary) + ":" + c.fullName()
	switch {
	case st.failed():
		if why, ok := k.failures[key]; ok {
			return statusKnown, "known failure (" + why + "): " + reason
		}
	case st == statusSkip && strict:
		if why, ok := k.skips[key]; ok {
			return statusSkip, "allowed skip (" + why + ")"
		}
		return statusFail, "skipped in required mode " + mode + " (a skip must be listed as \"" +
			skipMarker + " " + key + " REASON\" in the known-failures file)"
	}
	return st, reason
}

func classifyStrict(r rawResult) (status, string) {
	switch {
	case r.interrupted:
		return statusNotRun, "interrupted"
	case r.startErr != nil:
		return statusFail, "cannot start: " + r.startErr.Error()
	case r.timedOut:
		return statusTimeout, "timed out"
	case r.failure != "":
		return statusFail, r.failure
	case r.signal != "":
		return statusFail, "killed by signal " + r.signal
	case r.exitCode != 0:
		return statusFail, fmt.Sprintf("exit status %d", r.exitCode)
	case bytes.Contains(r.output, markerFailed):
		return statusFail, "gtest reported FAILED"
	case bytes.Contains(r.output, markerNoTests):
		return statusFail, "no test matched the filter"
	case bytes.Contains(r.output, markerSkipped):
		return statusSkip, "skipped"
	}
	return statusPass, ""
}
