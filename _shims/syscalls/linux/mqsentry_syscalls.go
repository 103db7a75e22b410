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
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/limits"
	"gvisor.dev/gvisor/pkg/sentry/syscalls"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ucount"
	mqsys "github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux"
)

// The accessors _shims/kernel/auth adds are what package ucount finds at run
// time; a pin whose UserNamespace no longer matches stops this build.
var _ ucount.Ancestry = (*auth.UserNamespace)(nil)

// init installs the calls gVisor lacks and rebuilds the lookup tables.
func init() {
	install := func(table *kernel.SyscallTable, sysnos map[string]uintptr) {
		for _, sc := range mqsys.Syscalls {
			table.Table[sysnos[sc.Name]] = syscalls.Supported(sc.Name, sc.Fn)
		}
		table.Init()
	}
	install(AMD64, mqsys.AMD64Numbers)
	install(ARM64, mqsys.ARM64Numbers)
}

// RLIMIT_MSGQUEUE is enforced by mqsentry, so programs may set it.
func init() {
	setableLimits[limits.MessageQueueBytes] = struct{}{}
}

// fcntl gains F_MQ_PEEK; every other command, and the seccheck point, stay
// gVisor's.
func init() {
	AMD64.Table[72] = syscalls.SupportedPoint("fcntl", mqsys.WithMqPeek(Fcntl), PointFcntl)
	ARM64.Table[25] = syscalls.SupportedPoint("fcntl", mqsys.WithMqPeek(Fcntl), PointFcntl)
	AMD64.Init()
	ARM64.Init()
}
