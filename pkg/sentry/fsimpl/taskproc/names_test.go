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

package taskproc

import "testing"

func TestMapName(t *testing.T) {
	for _, tc := range []struct {
		start, end uint64
		want       string
	}{
		{0x7f0000001000, 0x7f0000003000, "7f0000001000-7f0000003000"},
		{0, 0x1000, "0-1000"},
		{0xffffffffff600000, 0xffffffffff601000, "ffffffffff600000-ffffffffff601000"},
	} {
		if got := mapName(tc.start, tc.end); got != tc.want {
			t.Errorf("mapName(%#x, %#x) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

func TestParseMapName(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end uint64
		ok         bool
	}{
		{"7f0000001000-7f0000003000", 0x7f0000001000, 0x7f0000003000, true},
		{"7F0000001000-7f0000003ABC", 0x7f0000001000, 0x7f0000003abc, true},
		{"0-1000", 0, 0x1000, true},
		{"-1000", 0, 0x1000, true},
		{"1000-", 0x1000, 0, true},
		{"1000-0", 0x1000, 0, true},
		{"ffffffffffffffff-ffffffffffffffff", ^uint64(0), ^uint64(0), true},
		{"01000-2000", 0, 0, false},
		{"1000-02000", 0, 0, false},
		{"00-1000", 0, 0, false},
		{"1000-00", 0, 0, false},
		{"0", 0, 0, false},
		{"", 0, 0, false},
		{"1000", 0, 0, false},
		{"1000-2000-", 0, 0, false},
		{"1000-2000x", 0, 0, false},
		{"1000 -2000", 0, 0, false},
		{"0x1000-2000", 0, 0, false},
		{"10000000000000000-2000", 0, 0, false},
		{"1000-10000000000000000", 0, 0, false},
	} {
		start, end, ok := parseMapName(tc.name)
		if ok != tc.ok || start != tc.start || end != tc.end {
			t.Errorf("parseMapName(%q) = %#x, %#x, %v; want %#x, %#x, %v", tc.name, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
	for _, r := range [][2]uint64{{0, 1}, {0x1000, 0x2000}, {0x55dfb4ec9000, 0x55dfb4ecd000}, {^uint64(0) - 1, ^uint64(0)}} {
		if s, e, ok := parseMapName(mapName(r[0], r[1])); !ok || s != r[0] || e != r[1] {
			t.Errorf("round trip of %#x-%#x: %#x, %#x, %v", r[0], r[1], s, e, ok)
		}
	}
}
