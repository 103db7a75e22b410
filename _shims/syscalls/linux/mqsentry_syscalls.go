package linux

import (
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/limits"
	"gvisor.dev/gvisor/pkg/sentry/syscalls"

	mqsys "github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux"
)

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
