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
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// An edit file declares small insertions into one vendored gVisor file, for
// the few places where gVisor has no hook to shadow (runsc's OCI handling).
// Lines before the first "@@" are comments. Each hunk is
//
//	@@ before          (or "@@ after")
//	ANCHOR LINES       text that must occur exactly once in the pinned file
//	@@ insert
//	INSERTED LINES     inserted just before (after) the anchor
//
// Anchors are whole lines. An anchor missing or repeated means the pinned
// gVisor changed under the edit: the build stops and names the hunk, rather
// than guessing where the insertion goes.
type hunk struct {
	line   int // line of the hunk's "@@" in the edit file, for messages
	after  bool
	anchor string
	insert string
}

// parseEdit reads an edit file's hunks.
func parseEdit(path string, data []byte) ([]hunk, error) {
	var (
		hunks []hunk
		cur   *hunk
		into  *strings.Builder
		anch  strings.Builder
		ins   strings.Builder
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		if anch.Len() == 0 || ins.Len() == 0 || into != &ins {
			return fmt.Errorf("%s:%d: a hunk needs anchor lines, then '@@ insert' and the lines to insert", path, cur.line)
		}
		cur.anchor, cur.insert = anch.String(), ins.String()
		hunks = append(hunks, *cur)
		anch.Reset()
		ins.Reset()
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		if l == "" {
			continue
		}
		directive, isDirective := strings.CutPrefix(strings.TrimRight(l, "\n"), "@@ ")
		switch {
		case isDirective && (directive == "before" || directive == "after"):
			if err := finish(); err != nil {
				return nil, err
			}
			cur = &hunk{line: i + 1, after: directive == "after"}
			into = &anch
		case isDirective && directive == "insert":
			if cur == nil || into != &anch {
				return nil, fmt.Errorf("%s:%d: '@@ insert' must follow '@@ before' or '@@ after' and its anchor", path, i+1)
			}
			into = &ins
		case isDirective:
			return nil, fmt.Errorf("%s:%d: unknown directive %q", path, i+1, l)
		case into != nil:
			into.WriteString(l)
			if !strings.HasSuffix(l, "\n") {
				into.WriteByte('\n')
			}
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(hunks) == 0 {
		return nil, fmt.Errorf("%s: no hunks", path)
	}
	return hunks, nil
}

// applyEdit returns src with every hunk inserted at its anchor.
func applyEdit(editPath string, hunks []hunk, src []byte) ([]byte, error) {
	out := src
	for _, h := range hunks {
		anchor := []byte(h.anchor)
		// Whole lines: the anchor starts a line of the file.
		at, count := -1, 0
		for i := 0; ; {
			j := bytes.Index(out[i:], anchor)
			if j < 0 {
				break
			}
			if pos := i + j; pos == 0 || out[pos-1] == '\n' {
				at, count = pos, count+1
			}
			i += j + 1
		}
		if count != 1 {
			return nil, fmt.Errorf("%s:%d: the anchor occurs %d times in the pinned file, want exactly once (did the gVisor pin change? update the edit):\n%s",
				editPath, h.line, count, h.anchor)
		}
		if h.after {
			at += len(anchor)
		}
		edited := make([]byte, 0, len(out)+len(h.insert))
		edited = append(edited, out[:at]...)
		edited = append(edited, h.insert...)
		out = append(edited, out[at:]...)
	}
	return out, nil
}

// editFile applies the edit file to the vendored target and writes the
// result under genDir, returning the written path.
func editFile(target, editPath, genDir, rel string) (string, error) {
	data, err := os.ReadFile(editPath)
	if err != nil {
		return "", err
	}
	hunks, err := parseEdit(editPath, data)
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(target)
	if err != nil {
		return "", fmt.Errorf("%w (is vendor/ up to date?)", err)
	}
	edited, err := applyEdit(editPath, hunks, src)
	if err != nil {
		return "", err
	}
	out := filepath.Join(genDir, rel)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	return out, os.WriteFile(out, edited, 0o644)
}
