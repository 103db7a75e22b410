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

// Package taskproc provides /proc/PID/map_files/START-END, which gVisor's
// procfs lacks: a symlink per file-backed mapping of the task, opening the
// mapped file itself. It models Linux's fs/proc/base.c (proc_map_files_*).
// gVisor's procfs builds its tree in code we do not replace; a small file
// added to its package (see _shims/fsimpl/proc) calls InstallMapFiles when
// a task's directory is built, and an edit of gVisor's task.go
// (build/edits/proc_task_reaped.edit) asks CheckTaskDirAlive before its
// permission check of /proc/PID. This package imports gVisor's kernel: only
// gVisor's procfs package imports it, so there is no import cycle.
package taskproc

import (
	"strconv"
)

// mapName is the name of the map_files entry of the mapping [start, end):
// both addresses in lowercase hexadecimal without padding, as Linux's
// proc_map_files_readdir prints them ("%lx-%lx").
func mapName(start, end uint64) string {
	b := make([]byte, 0, 33)
	b = strconv.AppendUint(b, start, 16)
	b = append(b, '-')
	b = strconv.AppendUint(b, end, 16)
	return string(b)
}

// parseMapName parses a map_files entry name into the mapping's bounds as
// Linux's dname_to_vma_addr does: two hexadecimal numbers (either case)
// joined by '-', neither with a leading zero unless it is "0"; a missing
// number counts as 0; anything else, or a number above 64 bits, is not a
// name (ok false).
func parseMapName(name string) (start, end uint64, ok bool) {
	start, rest, ok := parseMapAddr(name, '-')
	if !ok || rest == "" || rest[0] != '-' {
		return 0, 0, false
	}
	end, rest, ok = parseMapAddr(rest[1:], 0)
	if !ok || rest != "" {
		return 0, 0, false
	}
	return start, end, true
}

// parseMapAddr parses the hexadecimal digits at the start of s and returns
// the rest of s. A leading '0' must be the whole number: followed by next
// (or by the end of s when next is 0).
func parseMapAddr(s string, next byte) (uint64, string, bool) {
	if len(s) > 0 && s[0] == '0' {
		if next == 0 && len(s) > 1 || next != 0 && (len(s) < 2 || s[1] != next) {
			return 0, "", false
		}
	}
	var v uint64
	i := 0
	for ; i < len(s); i++ {
		d, ok := hexDigit(s[i])
		if !ok {
			break
		}
		if v > (^uint64(0))>>4 {
			return 0, "", false
		}
		v = v<<4 | d
	}
	return v, s[i:], true
}

func hexDigit(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
