// Package msgqueue is gVisor's System V message queue package, replaced by
// mqsentry's: the kernel's IPCNamespace holds mqsentry's registry.
package msgqueue

import ourmsg "github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"

// Registry is mqsentry's registry.
type Registry = ourmsg.Registry

// NewRegistry is mqsentry's constructor.
var NewRegistry = ourmsg.NewRegistry
