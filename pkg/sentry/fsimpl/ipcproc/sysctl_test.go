package ipcproc

import "testing"

func TestParseSysctlInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5\n", 5, true},
		{"  42", 42, true},
		{"-1\n", -1, true},
		{"+7 8", 7, true},
		{"98317\n", 98317, true},
		{"", 0, false},
		{"\n", 0, false},
		{"12abc", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999", 0, false},
	} {
		v, err := parseSysctlInt(tc.in)
		if (err == nil) != tc.ok || (tc.ok && v != tc.want) {
			t.Errorf("parseSysctlInt(%q) = %d, %v; want %d, ok=%v", tc.in, v, err, tc.want, tc.ok)
		}
	}
}
