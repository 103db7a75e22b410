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

// Command overlay writes the `go build -overlay` file that puts mqsentry's
// packages into the vendored gVisor, from the declarative list in
// build/overlay.list. The JSON holds absolute paths of this checkout, so it is
// a build output, generated on every build and never committed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type overlay struct {
	Replace map[string]string
}

func main() {
	list := flag.String("list", "build/overlay.list", "the overlay list")
	vendor := flag.String("gvisor", "vendor/gvisor.dev/gvisor", "the vendored gVisor module")
	out := flag.String("out", "bin/overlay.json", "the overlay file to write")
	flag.Parse()
	if err := run(*list, *vendor, *out); err != nil {
		fmt.Fprintln(os.Stderr, "overlay:", err)
		os.Exit(1)
	}
}

func run(listPath, gvisorDir, outPath string) error {
	// A directory whose name starts with "_" is outside `go build ./...`:
	// the edited copies compile only in place of gVisor's files.
	ov, err := build(listPath, gvisorDir, filepath.Join(filepath.Dir(outPath), "_edited"))
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(ov, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return err
	}
	return os.WriteFile(outPath, append(data, '\n'), 0o644)
}

// build reads the list and maps each gVisor file to its replacement ("" to
// drop it). Edited copies of gVisor files are written under genDir.
func build(listPath, gvisorDir, genDir string) (*overlay, error) {
	f, err := os.Open(listPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base, err := filepath.Abs(filepath.Dir(filepath.Dir(listPath)))
	if err != nil {
		return nil, err
	}
	gvisor, err := filepath.Abs(gvisorDir)
	if err != nil {
		return nil, err
	}
	ov := &overlay{Replace: make(map[string]string)}
	scanner := bufio.NewScanner(f)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want VERB GVISOR-PATH SHIM-OR-EDIT-PATH", listPath, lineNo)
		}
		target, shim := filepath.Join(gvisor, fields[1]), filepath.Join(base, fields[2])
		switch fields[0] {
		case "package":
			if err := replacePackage(ov, target, shim); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", listPath, lineNo, err)
			}
		case "file":
			if _, err := os.Stat(shim); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", listPath, lineNo, err)
			}
			ov.Replace[target] = shim
		case "edit":
			edited, err := editFile(target, shim, genDir, fields[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: edit %s: %w", listPath, lineNo, fields[1], err)
			}
			ov.Replace[target] = edited
		default:
			return nil, fmt.Errorf("%s:%d: unknown verb %q", listPath, lineNo, fields[0])
		}
	}
	return ov, scanner.Err()
}

func replacePackage(ov *overlay, target, shimDir string) error {
	old, err := filepath.Glob(filepath.Join(target, "*.go"))
	if err != nil {
		return err
	}
	if len(old) == 0 {
		return fmt.Errorf("no Go files in %s (is vendor/ up to date?)", target)
	}
	for _, f := range old {
		ov.Replace[f] = ""
	}
	shims, err := filepath.Glob(filepath.Join(shimDir, "*.go"))
	if err != nil {
		return err
	}
	if len(shims) == 0 {
		return fmt.Errorf("no shim files in %s", shimDir)
	}
	for _, f := range shims {
		ov.Replace[filepath.Join(target, filepath.Base(f))] = f
	}
	return nil
}
