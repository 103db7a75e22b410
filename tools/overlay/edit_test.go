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
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pinned = `package boot

import (
	"fmt"
)

func f(t string) string {
	switch t {
	case "a":
		return "A"
	default:
		return ""
	}
}
`

func TestApplyEditInsertsAtAnchors(t *testing.T) {
	edit := `# comment lines before the first hunk are ignored
@@ after
import (
@@ insert
	"example.com/ours"
@@ before
	default:
		return ""
@@ insert
	case ours.Name:
		return ours.Value()
`
	hunks, err := parseEdit("x.edit", []byte(edit))
	if err != nil {
		t.Fatal(err)
	}
	got, err := applyEdit("x.edit", hunks, []byte(pinned))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(pinned,
		"import (\n", "import (\n\t\"example.com/ours\"\n", 1),
		"\tdefault:\n", "\tcase ours.Name:\n\t\treturn ours.Value()\n\tdefault:\n", 1)
	if string(got) != want {
		t.Errorf("edited file:\n%s\nwant:\n%s", got, want)
	}
}

func TestApplyEditRefusesMissingOrRepeatedAnchor(t *testing.T) {
	for name, anchor := range map[string]string{
		"missing":        "\tcase \"b\":\n",
		"repeated":       "\t\treturn",
		"not line start": "return \"A\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			hunks := []hunk{{line: 3, anchor: anchor, insert: "x\n"}}
			_, err := applyEdit("x.edit", hunks, []byte(pinned))
			if err == nil || !strings.Contains(err.Error(), "x.edit:3: the anchor occurs") {
				t.Fatalf("applyEdit = %v, want an error naming the hunk", err)
			}
		})
	}
}

func TestParseEditRejectsMalformedHunks(t *testing.T) {
	for name, edit := range map[string]string{
		"no hunks":           "# only a comment\n",
		"insert first":       "@@ insert\nx\n",
		"no insert":          "@@ before\nx\n",
		"empty insert":       "@@ before\nx\n@@ insert\n",
		"unknown directive":  "@@ replace\nx\n",
		"insert without one": "@@ after\n@@ insert\nx\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseEdit("x.edit", []byte(edit)); err == nil {
				t.Fatalf("parseEdit(%q) succeeded", edit)
			}
		})
	}
}

// TestRepositoryEditsApply checks that every edit in build/overlay.list still
// applies to the pinned gVisor, when vendor/ is present.
func TestRepositoryEditsApply(t *testing.T) {
	gvisor := "../../vendor/gvisor.dev/gvisor"
	if _, err := os.Stat(gvisor); err != nil {
		t.Skip("vendor/ not present: run `go mod vendor` (make runsc does)")
	}
	genDir := t.TempDir()
	ov, err := build("../../build/overlay.list", gvisor, genDir)
	if err != nil {
		t.Fatal(err)
	}
	edits := 0
	for target, repl := range ov.Replace {
		if strings.HasPrefix(repl, genDir+string(filepath.Separator)) {
			edits++
			if _, err := os.Stat(repl); err != nil {
				t.Errorf("%s: edited copy missing: %v", target, err)
			}
		}
	}
	if edits == 0 {
		t.Error("build/overlay.list declares no edits")
	}
}
