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
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsSaveRunsc(t *testing.T) {
	cfg, err := parseFlags([]string{
		"-runsc", "ours=/bin/runsc", "-runsc", "upstream=/tmp/up",
		"-save-runsc", "ours=/bin/runsc", "-save-runsc", "other=/tmp/other",
		"-runsc-arg", "--debug", "-runsc-arg", "ours-save:--strace",
		"-required", "native,ours-save", "bin",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range cfg.modes {
		got = append(got, m.name())
	}
	// NAME-save right after NAME; a save mode without a NAME column last.
	if want := []string{"native", "ours", "ours-save", "upstream", "other-save"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("modes = %q, want %q", got, want)
	}
	sm, ok := cfg.modes[2].(saveMode)
	if !ok || !isSaveMode(sm) || isSaveMode(cfg.modes[1]) {
		t.Fatalf("mode 2 is %T", cfg.modes[2])
	}
	if sm.runsc != "/bin/runsc" || !reflect.DeepEqual(sm.args, []string{"--debug", "--strace"}) {
		t.Errorf("ours-save runsc %q args %q", sm.runsc, sm.args)
	}
	if ours := cfg.modes[1].(runscMode); !reflect.DeepEqual(ours.args, []string{"--debug"}) {
		t.Errorf("ours args %q", ours.args)
	}
	if !cfg.required["ours-save"] || cfg.required["ours"] {
		t.Errorf("required = %v", cfg.required)
	}
	for _, bad := range [][]string{
		{"-save-runsc", "x", "b"},
		{"-save-runsc", "a=/x", "-save-runsc", "a=/y", "b"},
		{"-runsc", "a-save=/x", "-save-runsc", "a=/y", "b"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", bad)
		}
	}
	if _, err := parseFlags([]string{"-native=false", "-save-runsc", "a=/x", "b"}, io.Discard); err != nil {
		t.Errorf("a save mode alone: %v", err)
	}
}

// fakeRunsc plays runsc's part in the save/restore loop: `run` prints
// "before", writes an image and exits 0 (a save); the first `restore` checks
// it got that image, prints "middle" and saves again; the second prints the
// gtest summary (unless $FAKE_NO_SUMMARY) and exits with $FAKE_EXIT without
// saving (runsc leaves an empty checkpoint.img then).
const fakeRunsc = `#!/bin/sh
img=""; cmd=""; bundle=""; from=""; next=""
for a in "$@"; do
  case "$next" in
    bundle) bundle="$a"; next=""; continue;;
    from) from="$a"; next=""; continue;;
  esac
  case "$a" in
    --TESTONLY-autosave-image-path=*) img="${a#*=}";;
    -bundle) next=bundle;;
    --image-path) next=from;;
    run|restore|delete) [ -z "$cmd" ] && cmd="$a";;
  esac
done
[ "$cmd" = delete ] && exit 0
[ -f "$bundle/config.json" ] || { echo "no config.json in $bundle"; exit 8; }
[ -d "$img" ] || { echo "no image dir $img"; exit 8; }
: > "$img/checkpoint.img"
n=$(cat "$FAKE_STATE" 2>/dev/null || echo 0)
echo $((n + 1)) > "$FAKE_STATE"
case "$n" in
  0) [ "$cmd" = run ] || exit 9; echo before; printf image0 > "$img/checkpoint.img"; exit 0;;
  1) [ "$cmd" = restore ] && [ "$(cat "$from/checkpoint.img")" = image0 ] || exit 9
     echo middle; printf image1 > "$img/checkpoint.img"; exit 0;;
  2) [ "$cmd" = restore ] && [ "$(cat "$from/checkpoint.img")" = image1 ] || exit 9
     echo after
     [ -n "$FAKE_NO_SUMMARY" ] || echo "[==========] 1 test from 1 test suite ran. (1 ms total)"
     exit "$FAKE_EXIT";;
esac
exit 10
`

func runFakeSave(t *testing.T, exit string, noSummary bool) rawResult {
	t.Helper()
	dir := t.TempDir()
	runsc := filepath.Join(dir, "runsc")
	if err := os.WriteFile(runsc, []byte(fakeRunsc), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_STATE", filepath.Join(dir, "state"))
	t.Setenv("FAKE_EXIT", exit)
	if noSummary {
		t.Setenv("FAKE_NO_SUMMARY", "1")
	} else {
		t.Setenv("FAKE_NO_SUMMARY", "")
	}
	m := saveMode{runscMode: runscMode{modeName: "fake-save", runsc: runsc}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.run(ctx, testCase{binary: "/t/mq_test", suite: "S", name: "C"})
}

func TestSaveModeRestoreLoop(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	r := runFakeSave(t, "0", false)
	if st, reason := classify(r, false); st != statusPass {
		t.Fatalf("status %v (%s), output:\n%s", st, reason, r.output)
	}
	if r.restores != 2 {
		t.Errorf("restores = %d, want 2", r.restores)
	}
	if out := string(r.output); !strings.Contains(out, "before\nmiddle\nafter\n") {
		t.Errorf("output not collected in order:\n%s", out)
	}

	r = runFakeSave(t, "3", false)
	if st, _ := classify(r, false); st != statusFail || r.exitCode != 3 {
		t.Errorf("exit 3 after the restores: status %v exit %d", st, r.exitCode)
	}

	// Exit 0 without gtest's summary: stopped by a save that left no image.
	r = runFakeSave(t, "0", true)
	if st, reason := classify(r, false); st != statusFail || !strings.Contains(reason, "did not finish") {
		t.Errorf("no summary: status %v (%s)", st, reason)
	}
}

func TestSaveModeSpec(t *testing.T) {
	m := saveMode{runscMode: runscMode{modeName: "x-save", runsc: "/r", args: []string{"--platform=ptrace"}}}
	dir := t.TempDir()
	tc := testCase{binary: "/t/mq_test", suite: "S", name: "C"}
	if err := m.writeSpec(dir, tc); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Process struct {
			Args         []string
			Env          []string
			Cwd          string
			Capabilities struct{ Effective []string }
		}
		Root struct {
			Path     string
			Readonly bool
		}
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spec.Process.Args, gtestArgv(tc)) {
		t.Errorf("args %q", spec.Process.Args)
	}
	found := false
	for _, e := range spec.Process.Env {
		found = found || e == "TEST_ON_GVISOR=ptrace"
	}
	if !found {
		t.Errorf("no TEST_ON_GVISOR=ptrace in %q", spec.Process.Env)
	}
	if spec.Root.Path != "/" || spec.Root.Readonly || len(spec.Process.Capabilities.Effective) < 40 {
		t.Errorf("spec %s", data)
	}
}

func TestPrepareSaveModes(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "runsc")
	if err := os.WriteFile(src, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	modes := []mode{nativeMode{}, runscMode{modeName: "ours", runsc: src},
		saveMode{runscMode: runscMode{modeName: "ours-save", runsc: src}}}
	cleanup, err := prepareSaveModes(modes)
	if err != nil {
		t.Fatal(err)
	}
	pinned := modes[2].(saveMode).runsc
	if pinned == src || modes[1].(runscMode).runsc != src {
		t.Fatalf("pinned %q", pinned)
	}
	if root := modes[2].(saveMode).root; root == "" || filepath.Dir(root) != filepath.Dir(pinned) {
		t.Errorf("root %q", root)
	}
	// Rebuilding the original doesn't change the pinned copy.
	os.WriteFile(src, []byte("rebuilt"), 0o755)
	if data, _ := os.ReadFile(pinned); string(data) != "binary" {
		t.Errorf("pinned copy holds %q", data)
	}
	cleanup()
	if _, err := os.Stat(pinned); !os.IsNotExist(err) {
		t.Errorf("pinned copy left behind: %v", err)
	}
}

func TestKnownFailuresSaveColumn(t *testing.T) {
	known, err := parseKnownFailures([]byte("ours-save mq_test:Mq.Order waiters re-queue\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := testCase{binary: "/x/mq_test", suite: "Mq", name: "Order"}
	if st, _ := known.apply("ours-save", true, c, statusFail, ""); st != statusKnown {
		t.Errorf("ours-save failure = %v, want known", st)
	}
	if st, _ := known.apply("ours", true, c, statusFail, ""); st != statusFail {
		t.Errorf("ours failure = %v, want FAIL", st)
	}
}
