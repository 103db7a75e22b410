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
	"sort"
	"strings"
	"testing"
)

// export writes wants as runsc export-metrics prints them: HELP, TYPE and
// one sample per op, labelled with sandbox, then runsc's trailing "Wrote"
// line. typeOf overrides a metric's TYPE; value overrides every sample's.
func export(wants map[string]want, sandbox string, typeOf map[string]string, value *float64) []byte {
	names := make([]string, 0, len(wants))
	for name := range wants {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# Command-line export for sandbox " + sandbox + "\n")
	for _, name := range names {
		w := wants[name]
		kind := "gauge"
		if w.counter {
			kind = "counter"
		}
		if t, ok := typeOf[name]; ok {
			kind = t
		}
		fmt.Fprintf(&b, "# HELP %s Help.\n# TYPE %s %s\n", name, name, kind)
		for op, v := range w.values {
			if value != nil {
				v = *value
			}
			labels := fmt.Sprintf(`iteration="x",sandbox=%q`, sandbox)
			if op != "" {
				labels += fmt.Sprintf(`,op=%q`, op)
			}
			fmt.Fprintf(&b, "%s{%s} %v 1700000000000\n", name, labels, v)
		}
	}
	b.WriteString("Wrote 1234 bytes of Prometheus metric data to stdout\n")
	return []byte(b.String())
}

func TestCompare(t *testing.T) {
	wants := expected()
	seven := 7.0
	for _, tc := range []struct {
		name    string
		text    []byte
		sandbox string
		extra   map[string]string // labels wanted besides sandbox
		// problems is how many differences compare must list, each
		// containing substr.
		problems int
		substr   string
	}{
		{name: "as expected", text: export(wants, "c1", nil, nil), sandbox: "c1"},
		{name: "restored", text: export(afterRestore(), "c1", nil, nil), sandbox: "c1", problems: 4, substr: "want"},
		{name: "another sandbox", text: export(wants, "c2", nil, nil), sandbox: "c1", problems: 14, substr: `label sandbox="c2", want "c1"`},
		{name: "counter typed gauge", text: export(wants, "c1", map[string]string{"runsc_ipc_msg_sent": "gauge"}, nil), sandbox: "c1", problems: 2, substr: "runsc_ipc_msg_sent"}, // the TYPE, and no counter value
		{name: "wrong values", text: export(wants, "c1", nil, &seven), sandbox: "c1", problems: 14, substr: "= 7, want"},
		{name: "no pod labels", text: export(wants, "c1", nil, nil), sandbox: "c1", extra: map[string]string{"pod_name": "web"}, problems: 14, substr: `label pod_name="", want "web"`},
		{name: "not the text format", text: []byte("runsc_ipc_msg_sent{ 1\n"), sandbox: "c1", problems: 1, substr: "parsing the export"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels := map[string]string{sandboxLabel: tc.sandbox}
			for k, v := range tc.extra {
				labels[k] = v
			}
			got := compare(tc.text, wants, labels)
			if len(got) != tc.problems {
				t.Fatalf("compare listed %d problems, want %d:\n%s", len(got), tc.problems, strings.Join(got, "\n"))
			}
			for _, p := range got {
				if !strings.Contains(p, tc.substr) {
					t.Errorf("problem %q does not contain %q", p, tc.substr)
				}
			}
		})
	}
}
