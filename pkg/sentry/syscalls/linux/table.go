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
	"fmt"

	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/syscalls"
)

// Syscall is one handler of ours to install in gVisor's syscall tables.
type Syscall struct {
	Name string
	Fn   kernel.SyscallFn
}

// Syscalls lists the handlers installed over gVisor's (mq_open and mq_unlink
// are reached through gVisor's own table entries, whose functions the shim
// replaces).
var Syscalls = []Syscall{
	{"mq_timedsend", MqTimedsend},
	{"mq_timedreceive", MqTimedreceive},
	{"mq_notify", MqNotify},
	{"mq_getsetattr", MqGetsetattr},
	{"kcmp", Kcmp},
}

// AMD64Numbers and ARM64Numbers are the syscall numbers of Syscalls.
var (
	AMD64Numbers = map[string]uintptr{
		"mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
		"kcmp": 312,
	}
	ARM64Numbers = map[string]uintptr{
		"mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185,
		"kcmp": 272,
	}
)

// InstallSyscalls puts Syscalls into table, each under its number in
// sysnos, and rebuilds table's lookup tables. runsc's syscall shim calls it
// at init for each architecture. A name missing from sysnos panics there,
// naming the call, rather than installing the handler at syscall 0 (read).
func InstallSyscalls(table *kernel.SyscallTable, sysnos map[string]uintptr) {
	for _, sc := range Syscalls {
		sysno, ok := sysnos[sc.Name]
		if !ok {
			panic(fmt.Sprintf("mqsentry: no %v syscall number for %s", table.Arch, sc.Name))
		}
		table.Table[sysno] = syscalls.Supported(sc.Name, sc.Fn)
	}
	table.Init()
}
