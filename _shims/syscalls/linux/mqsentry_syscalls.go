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
	"gvisor.dev/gvisor/pkg/sentry/socket/netlink"
	"gvisor.dev/gvisor/pkg/sentry/syscalls"
	"gvisor.dev/gvisor/pkg/sentry/vfs"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ucount"
	mqsys "github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux"
)

// The contracts mqsentry's packages find on gVisor's types through
// interfaces (so that they also compile against unmodified gVisor): the
// accessors _shims/kernel/auth, _shims/socket/netlink and _shims/vfs add,
// and the IPC namespace's registries, whose types the kernel/mq and
// kernel/msgqueue shims alias to ours. This package imports both sides, so
// a pin whose types no longer match stops the runsc build here instead of
// degrading at run time. (mm's accessor is asserted in _shims/fsimpl/proc.)
var (
	_ ucount.Ancestry    = (*auth.UserNamespace)(nil)
	_ mqsys.RawSender    = (*netlink.Socket)(nil)
	_ mqsys.EpollTargets = (*vfs.EpollInstance)(nil)
	_ mq.Namespace       = (*kernel.IPCNamespace)(nil)
	_ msgqueue.Namespace = (*kernel.IPCNamespace)(nil)
)

// init installs the calls gVisor lacks and rebuilds the lookup tables.
func init() {
	mqsys.InstallSyscalls(AMD64, mqsys.AMD64Numbers)
	mqsys.InstallSyscalls(ARM64, mqsys.ARM64Numbers)
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
