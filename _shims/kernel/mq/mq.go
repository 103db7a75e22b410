// Package mq is gVisor's POSIX message queue package, replaced by
// mqsentry's: the kernel's IPCNamespace holds mqsentry's registry.
package mq

import ourmq "github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"

// Registry is mqsentry's registry.
type Registry = ourmq.Registry

// RegistryImpl is mqsentry's registry filesystem interface.
type RegistryImpl = ourmq.RegistryImpl

// NewRegistry is mqsentry's constructor.
var NewRegistry = ourmq.NewRegistry
