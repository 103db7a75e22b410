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

package ipcproc

import (
	"math"
	"math/bits"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// FuzzParseSysctlInt checks parseSysctlInt against linuxDointvecWrite, a
// line-by-line model of Linux's write path for an int sysctl (kernel/sysctl.c
// __do_proc_dointvec with a table of one int, proc_skip_spaces,
// proc_get_long; lib/kstrtox.c _parse_integer_fixup_radix, _parse_integer;
// lib/ctype.c), written on a NUL-terminated copy as the C code works: same
// error, same value, same bytes consumed.
func FuzzParseSysctlInt(f *testing.F) {
	for _, s := range []string{
		"", " ", "5", "5\n", "-1", "- 1", "-", "+1", "010", "08", "0x1F", "0x", "0xg", "-0x80000000",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296", "18446744073709551616",
		"000000000000000000005", "00000000000000000005", "5 6", "5\t\n", "5x", "5\x00", "\xa0\v\f\r5",
		"0x000000000000000000001", "99999999999999999999999", "5 x",
	} {
		f.Add([]byte(s), uint16(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, pad uint16) {
		// pad long runs of blanks, to reach Linux's PAGE_SIZE - 1 cap.
		if pad%3 == 1 {
			p := make([]byte, int(pad)%5000)
			for i := range p {
				p[i] = ' '
			}
			in = append(p, in...)
		} else if pad%3 == 2 {
			p := make([]byte, int(pad)%5000)
			for i := range p {
				p[i] = '\n'
			}
			in = append(in, p...)
		}
		wantV, wantN, wantErr := linuxDointvecWrite(in)
		w, err := parseSysctlInt(in[:min(len(in), sysctlWriteMax)], int64(len(in)))
		if (err != nil) != wantErr {
			t.Fatalf("parseSysctlInt(%q) = %+v, %v; Linux's error: %v", in, w, err, wantErr)
		}
		if err != nil {
			if err != linuxerr.EINVAL {
				t.Fatalf("parseSysctlInt(%q): %v, want EINVAL", in, err)
			}
			return
		}
		if w.n != int64(wantN) || (w.set && w.v != wantV) || w.set != (len(in) != 0) {
			t.Fatalf("parseSysctlInt(%q) = %+v; Linux: value %d, %d bytes", in, w, wantV, wantN)
		}
	})
}

// kernelIsSpace is lib/ctype.c's _S class: \t \n \v \f \r, ' ' and 0xa0.
func kernelIsSpace(c byte) bool {
	switch c {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0:
		return true
	}
	return false
}

func kernelIsXDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// linuxDointvecWrite models write(2) of in to an int sysctl at offset 0:
// the value stored, the count returned, or whether it failed (EINVAL).
func linuxDointvecWrite(in []byte) (val int64, count int, fail bool) {
	lenp := len(in)
	if lenp == 0 {
		return 0, 0, false
	}
	// kbuf = kvzalloc(count + 1): NUL-terminated.
	kbuf := append(append([]byte{}, in...), 0)
	left := lenp
	if left > 4096-1 {
		left = 4096 - 1
	}
	p := 0
	first := true
	vleft := 1
	var err bool
	for ; left != 0 && vleft > 0; vleft-- {
		for left != 0 && kernelIsSpace(kbuf[p]) { // proc_skip_spaces
			left--
			p++
		}
		if left == 0 {
			break
		}
		// proc_get_long(&p, &left, &lval, &neg, proc_wspace_sep, ...)
		const tmpbuflen = 22
		var tmp [tmpbuflen]byte
		l := left
		if l > tmpbuflen-1 {
			l = tmpbuflen - 1
		}
		copy(tmp[:], kbuf[p:p+l])
		tmp[l] = 0
		q := 0
		neg := false
		if tmp[q] == '-' && left > 1 {
			neg = true
			q++
		}
		if !('0' <= tmp[q] && tmp[q] <= '9') {
			err = true
			break
		}
		// strtoul_lenient(q, &q, 0, &lval)
		base := uint64(10)
		if tmp[q] == '0' {
			if tmp[q+1]|0x20 == 'x' && kernelIsXDigit(tmp[q+2]) {
				base = 16
			} else {
				base = 8
			}
		}
		if base == 16 && tmp[q] == '0' && tmp[q+1]|0x20 == 'x' {
			q += 2
		}
		var res uint64
		overflow := false
		for {
			c := tmp[q]
			lc := c | 0x20
			var d uint64
			if '0' <= c && c <= '9' {
				d = uint64(c - '0')
			} else if 'a' <= lc && lc <= 'f' {
				d = uint64(lc-'a') + 10
			} else {
				break
			}
			if d >= base {
				break
			}
			hi, lo := bits.Mul64(res, base)
			sum, carry := bits.Add64(lo, d, 0)
			if hi != 0 || carry != 0 {
				overflow = true
			}
			res = sum
			q++
		}
		if overflow {
			err = true
			break
		}
		n := q
		if n == tmpbuflen-1 {
			err = true
			break
		}
		if n < left && tmp[q] != ' ' && tmp[q] != '\t' && tmp[q] != '\n' {
			err = true
			break
		}
		p += n
		left -= n
		// do_proc_dointvec_conv
		if neg {
			if res > uint64(math.MaxInt32)+1 {
				err = true
				break
			}
			val = -int64(res)
		} else {
			if res > math.MaxInt32 {
				err = true
				break
			}
			val = int64(res)
		}
		first = false
	}
	if !err && left != 0 {
		for left != 0 && kernelIsSpace(kbuf[p]) {
			left--
			p++
		}
	}
	if first {
		return 0, 0, true
	}
	if err {
		return 0, 0, true
	}
	return val, lenp - left, false
}
