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
	"fmt"
	"io"
	"strings"
)

// report renders the results of a run.
type report struct {
	cfg     *config
	cases   []testCase
	results [][]cell // [case][mode]
	multi   bool     // several binaries: prefix rows with the binary's name
}

// modeCounts counts the statuses of one mode.
type modeCounts map[status]int

func (r *report) counts(m int) modeCounts {
	mc := modeCounts{}
	for c := range r.cases {
		mc[r.results[c][m].status]++
	}
	return mc
}

// totals counts passes and failures over the required modes, a case×mode
// being one unit.
func (r *report) totals() (passed, failed int) {
	for m, md := range r.cfg.modes {
		if !r.cfg.required[md.name()] {
			continue
		}
		mc := r.counts(m)
		passed += mc[statusPass]
		failed += mc[statusFail] + mc[statusTimeout]
	}
	return passed, failed
}

func (r *report) summaryLine(m int) string {
	md := r.cfg.modes[m]
	mc := r.counts(m)
	kind := "not required"
	if r.cfg.required[md.name()] {
		kind = "required"
	}
	s := fmt.Sprintf("%s (%s): %d pass, %d FAIL, %d timeout, %d skip, %d n/a, %d known",
		md.name(), kind, mc[statusPass], mc[statusFail], mc[statusTimeout], mc[statusSkip], mc[statusNA], mc[statusKnown])
	if n := mc[statusNotRun]; n > 0 {
		s += fmt.Sprintf(", %d not run", n)
	}
	if isSaveMode(md) {
		restores, restored := 0, 0
		for c := range r.cases {
			if n := r.results[c][m].restores; n > 0 {
				restores += n
				restored++
			}
		}
		s += fmt.Sprintf("; %d restores in %d cases", restores, restored)
	}
	return s
}

// write prints the table, the output of the failing cases and the per-mode
// summary (not the final "N passed, M failed" line, which the caller prints),
// and returns the totals over the required modes.
func (r *report) write(w io.Writer) (passed, failed int) {
	header := []string{"CASE"}
	for _, m := range r.cfg.modes {
		header = append(header, m.name())
	}
	rows := [][]string{header}
	for c, tc := range r.cases {
		row := []string{caseLabel(tc, r.multi)}
		for m := range r.cfg.modes {
			row = append(row, r.results[c][m].status.String())
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, f := range row {
			widths[i] = max(widths[i], len(f))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, f := range row {
			if i == len(row)-1 {
				b.WriteString(f)
			} else {
				fmt.Fprintf(&b, "%-*s  ", widths[i], f)
			}
		}
		fmt.Fprintln(w, b.String())
	}

	for c, tc := range r.cases {
		for m, md := range r.cfg.modes {
			cl := r.results[c][m]
			if !cl.status.failed() {
				continue
			}
			note := ""
			if !r.cfg.required[md.name()] {
				note = ", not required"
			}
			fmt.Fprintf(w, "\n=== %s %s [%s]: %s (%.1fs%s)\n", cl.status, caseLabel(tc, r.multi),
				md.name(), cl.reason, cl.dur.Seconds(), note)
			w.Write(cl.output)
		}
	}

	fmt.Fprintln(w)
	for m := range r.cfg.modes {
		fmt.Fprintln(w, r.summaryLine(m))
	}
	return r.totals()
}

// markdown renders the table and the summary as markdown.
func (r *report) markdown(passed, failed int) string {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("| Case |")
	sep := "|---|"
	for _, m := range r.cfg.modes {
		name := esc(m.name())
		if r.cfg.required[m.name()] {
			name += " (required)"
		}
		fmt.Fprintf(&b, " %s |", name)
		sep += "---|"
	}
	b.WriteString("\n" + sep + "\n")
	for c, tc := range r.cases {
		fmt.Fprintf(&b, "| `%s` |", esc(caseLabel(tc, r.multi)))
		for m := range r.cfg.modes {
			st := r.results[c][m].status.String()
			if r.results[c][m].status.failed() {
				st = "**" + st + "**"
			}
			fmt.Fprintf(&b, " %s |", st)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for m := range r.cfg.modes {
		fmt.Fprintf(&b, "- %s\n", esc(r.summaryLine(m)))
	}
	fmt.Fprintf(&b, "\n**%d passed, %d failed**\n", passed, failed)
	return b.String()
}
