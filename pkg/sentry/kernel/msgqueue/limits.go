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

package msgqueue

import (
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	gvipc "gvisor.dev/gvisor/pkg/sentry/kernel/ipc"
)

// Namespace is what this package's users need of gVisor's IPC namespace
// (kernel.IPCNamespace), whose MsgqueueRegistry is declared with gVisor's
// *msgqueue.Registry: runsc's kernel/msgqueue shim aliases that type to
// ours, and its syscall shim asserts at compile time that
// kernel.IPCNamespace implements Namespace, so a pin whose IPC namespace no
// longer matches stops the build. Asking through the interface keeps
// mqsentry's packages compiling against unmodified gVisor (go vet, go test).
type Namespace interface {
	MsgqueueRegistry() *Registry
	DecRef(ctx context.Context)
}

// RegistryFromContext returns the registry of the IPC namespace ctx runs in,
// or nil if ctx has none (or the kernel was built without mqsentry's
// kernel/msgqueue shim).
func RegistryFromContext(ctx context.Context) *Registry {
	v := ctx.Value(gvipc.CtxIPCNamespace)
	if v == nil {
		return nil
	}
	ns, ok := v.(Namespace)
	if !ok {
		return nil
	}
	defer ns.DecRef(ctx)
	return ns.MsgqueueRegistry()
}

// UpdateLimits changes the limits under the registry lock, refusing values
// out of Linux's ranges (EINVAL). It is the one way to change them (the
// /proc/sys files and the OCI spec's sysctls use it): the next msgsnd,
// msgrcv, msgget and IPC_SET see the new values; queues keep their qbytes.
func (r *Registry) UpdateLimits(set func(*Limits)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.limits
	set(&l)
	if !l.Valid() {
		return linuxerr.EINVAL
	}
	r.limits = l
	r.msgMax.Store(int64(l.MsgMax) + 1)
	return nil
}
