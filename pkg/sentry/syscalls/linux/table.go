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

import "gvisor.dev/gvisor/pkg/sentry/kernel"

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
