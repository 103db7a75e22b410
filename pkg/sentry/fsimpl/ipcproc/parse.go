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

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

const (
	// sysctlWriteMax is how much of a write Linux's __do_proc_dointvec
	// looks at (PAGE_SIZE - 1); the rest is consumed unread.
	sysctlWriteMax = 4095

	// sysctlNumberMax is one less than the longest number, sign included,
	// that Linux's proc_get_long accepts (TMPBUFLEN - 1): a number that
	// long might go on past what it read.
	sysctlNumberMax = 21
)

// sysctlWrite is what a write to an integer sysctl file does.
type sysctlWrite struct {
	v   int64 // the value written
	set bool  // whether the write sets v: an empty write sets nothing
	n   int64 // the bytes the write consumes, what write(2) returns
}

// parseSysctlInt parses a write of total bytes, of which buf holds the
// first min(total, sysctlWriteMax), to a sysctl file of one int, as Linux's
// __do_proc_dointvec and proc_get_long parse it:
//
//   - an empty write consumes nothing and sets nothing;
//   - blanks (C isspace, with the kernel's Latin-1 0xa0) before the number
//     are skipped; a write of blanks only is EINVAL;
//   - the number is an optional '-' and digits in base 0 (simple_strtoul:
//     "0x1f" hexadecimal, "017" octal, no '+'), at most 20 characters with
//     the sign, that fit an int (INT_MIN to INT_MAX); anything else EINVAL;
//   - it must end the write or be followed by ' ', '\t' or '\n' (EINVAL);
//     the blanks after it are consumed, and whatever follows them (a
//     second number) is not: the write returns fewer bytes than written.
func parseSysctlInt(buf []byte, total int64) (sysctlWrite, error) {
	if total == 0 {
		return sysctlWrite{}, nil
	}
	p := skipSysctlSpaces(buf)
	if len(p) == 0 {
		return sysctlWrite{}, linuxerr.EINVAL
	}

	// proc_get_long looks at a copy of at most sysctlNumberMax bytes.
	tmp := p[:min(len(p), sysctlNumberMax)]
	i := 0
	neg := false
	if tmp[0] == '-' && len(p) > 1 {
		neg = true
		i++
	}
	if i >= len(tmp) || !isDigit(tmp[i]) {
		return sysctlWrite{}, linuxerr.EINVAL
	}
	base := uint64(10)
	if tmp[i] == '0' {
		base = 8
		if i+2 < len(tmp) && tmp[i+1]|0x20 == 'x' && digitValue(tmp[i+2]) < 16 {
			base = 16
			i += 2
		}
	}
	var val uint64
	for ; i < len(tmp) && digitValue(tmp[i]) < base; i++ {
		// Saturate: anything above 2^32 is out of an int's range
		// anyway, where Linux's overflow check also says EINVAL.
		val = min(val*base+digitValue(tmp[i]), math.MaxUint32+1)
	}
	if i == sysctlNumberMax {
		return sysctlWrite{}, linuxerr.EINVAL
	}
	if i < len(p) && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' {
		return sysctlWrite{}, linuxerr.EINVAL
	}

	// do_proc_dointvec_conv.
	var v int64
	switch {
	case neg && val <= math.MaxInt32+1:
		v = -int64(val)
	case !neg && val <= math.MaxInt32:
		v = int64(val)
	default:
		return sysctlWrite{}, linuxerr.EINVAL
	}
	left := len(skipSysctlSpaces(p[i:]))
	return sysctlWrite{v: v, set: true, n: total - int64(left)}, nil
}

// skipSysctlSpaces is Linux's proc_skip_spaces.
func skipSysctlSpaces(b []byte) []byte {
	for len(b) > 0 && isSysctlSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// isSysctlSpace is the kernel's isspace (lib/ctype.c): the C blanks and
// Latin-1's no-break space.
func isSysctlSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitValue is the value of c as a digit of base 16 or less, 16 for a
// character that is no such digit.
func digitValue(c byte) uint64 {
	switch {
	case isDigit(c):
		return uint64(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return uint64(c|0x20-'a') + 10
	}
	return 16
}
