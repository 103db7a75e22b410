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

// Command license checks that every source file git tracks starts with
// mqsentry's Apache-2.0 header (make vet runs it), and with -fix adds the
// header where it is missing.
//
// Code, scripts and build files get the full notice gVisor's files carry;
// configuration files the short SPDX form. Files whose first line says they
// are generated ("Code generated ... DO NOT EDIT.") keep their generator's
// header, and files that cannot hold a comment (JSON, go.sum) or are prose
// (Markdown) are not checked.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
)

// holder is the first line of every header.
const holder = "Copyright 2026 The mqsentry Authors."

// notice is the Apache License's own boilerplate notice (its appendix).
var notice = []string{
	holder,
	"",
	`Licensed under the Apache License, Version 2.0 (the "License");`,
	"you may not use this file except in compliance with the License.",
	"You may obtain a copy of the License at",
	"",
	"    http://www.apache.org/licenses/LICENSE-2.0",
	"",
	"Unless required by applicable law or agreed to in writing, software",
	`distributed under the License is distributed on an "AS IS" BASIS,`,
	"WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.",
	"See the License for the specific language governing permissions and",
	"limitations under the License.",
}

var spdx = []string{holder, "SPDX-License-Identifier: Apache-2.0"}

// headerLines is how far into a file the header is looked for: past a
// shebang and a generator's line, not into the body.
const headerLines = 20

// kind says how a file carries the header.
type kind struct {
	comment string   // line comment marker
	lines   []string // the header's text
}

var (
	slashes = kind{"//", notice}
	hashes  = kind{"#", notice}
	config  = kind{"#", spdx}
)

// kindOf classifies a tracked file by its name and, for extensionless
// scripts, its shebang. ok is false for files that are not checked.
func kindOf(name string, content []byte) (kind, bool) {
	base := path.Base(name)
	switch path.Ext(base) {
	case ".go", ".c", ".cc", ".h":
		return slashes, true
	case ".sh", ".bzl", ".bazel", ".edit", ".list":
		return hashes, true
	case ".toml", ".yaml", ".yml", ".conf", ".bazelrc", ".gitignore":
		return config, true
	case "":
		if base == "Makefile" || base == "WORKSPACE" || bytes.HasPrefix(content, []byte("#!")) {
			return hashes, true
		}
	}
	return kind{}, false
}

// generated reports whether content carries a generator's header (Go's
// convention, which every generator of this repository follows).
func generated(content []byte) bool {
	first, _, _ := bytes.Cut(content, []byte("\n"))
	return bytes.Contains(first, []byte("Code generated")) && bytes.Contains(first, []byte("DO NOT EDIT"))
}

// hasHeader reports whether the header's holder line and a license line
// appear near the top of content.
func hasHeader(content []byte) bool {
	lines := strings.SplitN(string(content), "\n", headerLines+1)
	if len(lines) > headerLines {
		lines = lines[:headerLines]
	}
	top := strings.Join(lines, "\n")
	return strings.Contains(top, holder) &&
		(strings.Contains(top, "Licensed under the Apache License, Version 2.0") ||
			strings.Contains(top, "SPDX-License-Identifier: Apache-2.0"))
}

// withHeader returns content with k's header inserted at the top, after a
// shebang line if there is one, and separated from what follows by a blank
// line (so a Go package comment stays the package comment).
func withHeader(content []byte, k kind) []byte {
	var out bytes.Buffer
	rest := content
	if bytes.HasPrefix(content, []byte("#!")) {
		line, after, _ := bytes.Cut(content, []byte("\n"))
		out.Write(line)
		out.WriteByte('\n')
		rest = after
	}
	for _, l := range k.lines {
		if l == "" {
			out.WriteString(k.comment + "\n")
		} else {
			out.WriteString(k.comment + " " + l + "\n")
		}
	}
	if len(rest) > 0 {
		out.WriteByte('\n')
	}
	out.Write(rest)
	return out.Bytes()
}

func trackedFiles() ([]string, error) {
	out, err := exec.Command("git", "ls-files", "-z").Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

func main() {
	fix := flag.Bool("fix", false, "add the header to every checked file that lacks it")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: license [-fix] [FILE...]\n\nWithout FILEs, checks every file git tracks.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		var err error
		if files, err = trackedFiles(); err != nil {
			fmt.Fprintln(os.Stderr, "license:", err)
			os.Exit(2)
		}
	}
	var missing []string
	for _, f := range files {
		content, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "license:", err)
			os.Exit(2)
		}
		k, ok := kindOf(f, content)
		if !ok || generated(content) || hasHeader(content) {
			continue
		}
		if !*fix {
			missing = append(missing, f)
			continue
		}
		info, err := os.Stat(f)
		if err == nil {
			err = os.WriteFile(f, withHeader(content, k), info.Mode().Perm())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "license:", err)
			os.Exit(2)
		}
		fmt.Println("license: added header to", f)
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "license: %d source files lack the Apache-2.0 header (run `go run ./tools/license -fix`):\n", len(missing))
		for _, f := range missing {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		os.Exit(1)
	}
}
