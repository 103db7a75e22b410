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

package linux

import (
	"maps"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
)

func TestInstallSyscallsUsesEveryArchitecturesNumbers(t *testing.T) {
	for _, tc := range []struct {
		arch   arch.Arch
		sysnos map[string]uintptr
	}{
		{arch.AMD64, AMD64Numbers},
		{arch.ARM64, ARM64Numbers},
	} {
		table := &kernel.SyscallTable{Arch: tc.arch, Table: map[uintptr]kernel.Syscall{}}
		InstallSyscalls(table, tc.sysnos)
		if len(table.Table) != len(Syscalls) {
			t.Errorf("%v: installed %d syscalls, want %d", tc.arch, len(table.Table), len(Syscalls))
		}
		for _, sc := range Syscalls {
			if got := table.Table[tc.sysnos[sc.Name]].Name; got != sc.Name {
				t.Errorf("%v: syscall %d is %q, want %q", tc.arch, tc.sysnos[sc.Name], got, sc.Name)
			}
			if table.Lookup(tc.sysnos[sc.Name]) == nil {
				t.Errorf("%v: %s is not in the lookup table", tc.arch, sc.Name)
			}
		}
	}
}

func TestInstallSyscallsPanicsOnAMissingNumber(t *testing.T) {
	sysnos := maps.Clone(AMD64Numbers)
	delete(sysnos, "mq_notify")
	table := &kernel.SyscallTable{Arch: arch.AMD64, Table: map[uintptr]kernel.Syscall{}}
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "mq_notify") {
			t.Errorf("panic %q, want one naming mq_notify", msg)
		}
		if sc, ok := table.Table[0]; ok {
			t.Errorf("syscall 0 (read) became %q", sc.Name)
		}
	}()
	InstallSyscalls(table, sysnos)
}
