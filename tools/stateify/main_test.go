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
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const modPath = "github.com/mqsentry/mqsentry/tools/stateify/"

// TestExampleUpToDate checks that the checked-in generated files of the
// example packages match the generator. The example package's own tests then
// compile the generated code and round-trip it through gvisor's pkg/state.
func TestExampleUpToDate(t *testing.T) {
	for _, dir := range []string{"internal/example", "internal/example/sub"} {
		out, src, err := Generate(dir, modPath+dir)
		if err != nil {
			t.Fatalf("Generate(%s): %v", dir, err)
		}
		if err := Check(out, src); err != nil {
			t.Errorf("%v\nregenerate with: go run ./tools/stateify -name-root github.com/mqsentry/mqsentry tools/stateify/internal/example tools/stateify/internal/example/sub", err)
		}
	}
}

func writePkg(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gen(t *testing.T, files map[string]string) string {
	t.Helper()
	_, src, err := Generate(writePkg(t, files), "p")
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return string(src)
}

func TestHooksAndReceivers(t *testing.T) {
	src := gen(t, map[string]string{
		"a.go": `package p

import "context"

// +stateify savable
type T struct{ a int }

func (self *T) beforeSave() {}

// +stateify savable
type U struct{ b int }

func (ctx *U) afterLoad(context.Context) {}
`,
		"a_test.go":          "package p\n\nfunc (t *T) afterLoad() {}\n",
		"p_state_autogen.go": "package p\n\nfunc (u *U) beforeSave() {}\n",
	})
	for _, want := range []string{
		"func (self *T) StateSave(",                                // existing receiver name reused
		"func (self *T) afterLoad(context.Context) {}",             // test files are ignored
		"func (u *U) beforeSave() {}",                              // generated file is ignored
		"stateSourceObject.AfterLoad(func() { u.afterLoad(ctx) })", // "ctx" is reserved
		`return "p.T"`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("generated code lacks %q:\n%s", want, src)
		}
	}
	for _, unwanted := range []string{
		"func (self *T) beforeSave() {}",
		"func (u *U) afterLoad(context.Context) {}",
		"self.afterLoad(ctx) })",
	} {
		if strings.Contains(src, unwanted) {
			t.Errorf("generated code contains %q:\n%s", unwanted, src)
		}
	}
}

func TestErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"pointer":      {"type T *int", "unsupported kind"},
		"func":         {"type T func()", "unsupported kind"},
		"over struct":  {"type T S\n\ntype S struct{}", "defined over struct type S"},
		"alias":        {"type T = int", "aliases are not supported"},
		"generic":      {"type T[E any] struct{ e E }", "generic"},
		"bad tag":      {"type T struct{ a int `state:\"bogus\"` }", `unsupported tag state:"bogus"`},
		"value import": {"type T struct{ a int `state:\".(foo.Bar)\"` }", `cannot find import for "foo"`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writePkg(t, map[string]string{"a.go": "package p\n\n// +stateify savable\n" + tc.src + "\n"})
			_, _, err := Generate(dir, "p")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Savable interfaces are ignored, as gVisor's generator does.
	dir := writePkg(t, map[string]string{"a.go": "package p\n\n// +stateify savable\ntype T interface{ M() }\n"})
	if _, src, err := Generate(dir, "p"); err != nil || src != nil {
		t.Errorf("savable interface: err = %v, src = %q; want no error and no output", err, src)
	}
	dir = writePkg(t, map[string]string{"a.go": "//go:build linux\n\npackage p\n\n// +stateify savable\ntype T struct{}\n"})
	if _, _, err := Generate(dir, "p"); err == nil || !strings.Contains(err.Error(), "go:build") {
		t.Errorf("build constraint: err = %v", err)
	}
}

func TestCheckAndWrite(t *testing.T) {
	dir := writePkg(t, map[string]string{"a.go": "package p\n\n// +stateify savable\ntype T struct{ a int }\n"})
	out := filepath.Join(dir, "p_state_autogen.go")
	var stderr bytes.Buffer
	args := []string{"-dir", dir, "-name-prefix", "p"}
	check := append([]string{"-check"}, args...)

	if rc := run(check, &stderr, &stderr); rc != 1 || !strings.Contains(stderr.String(), "missing") {
		t.Fatalf("check before generating: rc=%d stderr=%q", rc, stderr.String())
	}
	if rc := run(args, &stderr, &stderr); rc != 0 {
		t.Fatalf("generate: rc=%d stderr=%q", rc, stderr.String())
	}
	if rc := run(check, &stderr, &stderr); rc != 0 {
		t.Fatalf("check after generating: rc=%d stderr=%q", rc, stderr.String())
	}
	src, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(src, []byte(header+"\n")) {
		t.Fatalf("generated file: err=%v header missing:\n%s", err, src)
	}
	if err := os.WriteFile(out, append(src, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if rc := run(check, &stderr, &stderr); rc != 1 || !strings.Contains(stderr.String(), "stale") {
		t.Fatalf("check of modified file: rc=%d stderr=%q", rc, stderr.String())
	}

	// Without savable types the generated file is expected to be absent.
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package p\n\ntype T struct{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rc := run(check, &stderr, &stderr); rc != 1 {
		t.Fatalf("check with leftover file: rc=%d", rc)
	}
	if rc := run(args, &stderr, &stderr); rc != 0 {
		t.Fatalf("generate without types: rc=%d stderr=%q", rc, stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("leftover generated file not removed: %v", err)
	}
}
