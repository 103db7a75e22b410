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

package mq

import (
	stdctx "context"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	gvipc "gvisor.dev/gvisor/pkg/sentry/kernel/ipc"
	"gvisor.dev/gvisor/pkg/sentry/limits"
	"gvisor.dev/gvisor/pkg/sync"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/ucount"
)

// RegistryImpl is the filesystem that names a namespace's queues (package
// mqfs), Linux's ipc_namespace.mq_mnt.
type RegistryImpl interface {
	// Bind tells the filesystem which registry its queues belong to; the
	// kernel creates the filesystem first, then the registry around it.
	Bind(r *Registry)

	// Destroy unlinks every queue and releases the filesystem.
	Destroy(ctx context.Context)
}

// Registry is the POSIX message queue state of one IPC namespace: limits,
// the queue count and per-user RLIMIT_MSGQUEUE charges.
//
// +stateify savable
type Registry struct {
	userNS *auth.UserNamespace
	impl   RegistryImpl

	// mu protects the fields below up to nsCharge. It is never held
	// together with a Queue's mu (see the package comment).
	mu sync.Mutex `state:"nosave"`
	// +checklocks:mu
	limits Limits
	// queueCount and charged are not saved: each restored queue counts
	// and charges itself again (Queue.afterLoad, restoreCharge), so that
	// they are the sums over the queues whatever an image holds.
	// +checklocks:mu
	queueCount int64 `state:"nosave"`
	// charged is this namespace's share of each user's RLIMIT_MSGQUEUE
	// usage, which users counts across namespaces.
	// +checklocks:mu
	charged map[auth.KUID]uint64 `state:"nosave"`
	// +checklocks:mu
	users *userCharges `state:"nosave"`

	// nsCharge counts the IPC namespace against user.max_ipc_namespaces
	// (nil for namespaces the runtime makes, which Linux does not count
	// either). It is set once, before any task enters the namespace.
	nsCharge *ucount.Charge
	// nsLimits makes the Sentry's max_ipc_namespaces limits part of a
	// checkpoint.
	nsLimits *ucount.SavedLimits
}

// registryName names the registry in errors about a checkpoint image.
const registryName = "POSIX message queue registry"

// afterLoad checks the registry loaded from a checkpoint image. Its queues
// charge themselves to it, before or after this runs.
func (r *Registry) afterLoad(_ stdctx.Context) {
	if r.userNS == nil {
		loadcheck.FailLoad(registryName, "userNS", "missing")
	}
	if r.impl == nil {
		loadcheck.FailLoad(registryName, "impl", "missing")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.limits.valid() {
		loadcheck.FailLoad(registryName, "limits", "%+v out of the sysctls' ranges", r.limits)
	}
	r.initCharges()
	if r.nsCharge != nil {
		r.nsCharge.Restore()
	}
}

// initCharges starts the accounting of a restored registry, once.
//
// +checklocks:r.mu
func (r *Registry) initCharges() {
	if r.users == nil {
		r.users = chargesOf(r.userNS)
		r.charged = make(map[auth.KUID]uint64)
	}
}

// restoreCharge counts and charges a restored queue.
func (r *Registry) restoreCharge(q *Queue) {
	if r.userNS == nil {
		loadcheck.FailLoad(registryName, "userNS", "missing")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.initCharges()
	cost := q.attr.chargedBytes()
	r.queueCount++
	stats.Queues.Add(1)
	r.charged[q.chargedTo] += cost
	r.users.add(q.chargedTo, int64(cost))
}

// HoldNamespaceCharge keeps the count of a namespace made by clone(2) or
// unshare(2) until Destroy releases it.
func (r *Registry) HoldNamespaceCharge(c *ucount.Charge) {
	r.nsCharge = c
}

// NewRegistry returns the registry of a new IPC namespace owned by userNS.
func NewRegistry(userNS *auth.UserNamespace, impl RegistryImpl) *Registry {
	r := &Registry{
		userNS:   userNS,
		impl:     impl,
		limits:   DefaultLimits(),
		charged:  make(map[auth.KUID]uint64),
		users:    chargesOf(userNS),
		nsLimits: ucount.Limits(),
	}
	impl.Bind(r)
	return r
}

// Impl returns the registry's filesystem.
func (r *Registry) Impl() RegistryImpl { return r.impl }

// UserNamespace returns the user namespace owning the IPC namespace.
func (r *Registry) UserNamespace() *auth.UserNamespace { return r.userNS }

// Destroy releases every queue of a namespace that is going away.
func (r *Registry) Destroy(ctx context.Context) {
	r.impl.Destroy(ctx)
	if r.nsCharge != nil {
		r.nsCharge.Release()
		r.nsCharge = nil
	}
}

// Limits returns the namespace's /proc/sys/fs/mqueue values.
func (r *Registry) Limits() Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limits
}

// UpdateLimits changes the namespace's limits under the registry lock,
// refusing values out of Linux's bounds (EINVAL). queues_max may be any
// int, as in Linux (see NewQueue).
func (r *Registry) UpdateLimits(set func(*Limits)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.limits
	set(&l)
	if !l.valid() {
		return linuxerr.EINVAL
	}
	r.limits = l
	return nil
}

// Namespace is what this package's users need of gVisor's IPC namespace
// (kernel.IPCNamespace), whose PosixQueues is declared with gVisor's
// *mq.Registry: runsc's kernel/mq shim aliases that type to ours, and its
// syscall shim asserts at compile time that kernel.IPCNamespace implements
// Namespace, so a pin whose IPC namespace no longer matches stops the build.
// Asking through the interface keeps mqsentry's packages compiling against
// unmodified gVisor (go vet, go test).
type Namespace interface {
	PosixQueues() *Registry
	DecRef(ctx context.Context)
}

// RegistryFromContext returns the registry of the IPC namespace ctx runs
// in, or nil if it has none.
func RegistryFromContext(ctx context.Context) *Registry {
	ns, ok := ctx.Value(gvipc.CtxIPCNamespace).(Namespace)
	if !ok {
		return nil
	}
	defer ns.DecRef(ctx)
	return ns.PosixQueues()
}

// QueueCount returns the number of queues alive in the namespace.
func (r *Registry) QueueCount() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queueCount
}

// checkAttr validates a requested geometry as Linux's mq_attr_ok does, or
// returns the namespace defaults when attr is nil.
//
// +checklocks:r.mu
func (r *Registry) checkAttr(creds *auth.Credentials, attr *Attr) (Attr, error) {
	l := r.limits
	if attr == nil {
		return Attr{MaxMessages: min(l.MsgMax, l.MsgDefault), MaxMessageSize: min(l.MsgSizeMax, l.MsgSizeDefault)}, nil
	}
	if attr.MaxMessages <= 0 || attr.MaxMessageSize <= 0 {
		return Attr{}, linuxerr.EINVAL
	}
	if creds.HasCapabilityIn(linux.CAP_SYS_RESOURCE, r.userNS.Root()) {
		if attr.MaxMessages > MsgMaxHard || attr.MaxMessageSize > MsgSizeMaxHard {
			return Attr{}, linuxerr.EINVAL
		}
	} else if attr.MaxMessages > l.MsgMax || attr.MaxMessageSize > l.MsgSizeMax {
		return Attr{}, linuxerr.EINVAL
	}
	return *attr, nil
}

// NewQueue creates the queue name (without the leading slash) for the task
// of ctx, enforcing queues_max (ENOSPC), the geometry limits (EINVAL) and
// RLIMIT_MSGQUEUE (EMFILE), in that order. attr nil asks for the namespace
// defaults. The queue starts linked, with no open descriptor.
func (r *Registry) NewQueue(ctx context.Context, name string, attr *Attr) (*Queue, error) {
	creds := auth.CredentialsFromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Linux's mqueue_create_attr checks queues_max before the geometry.
	// Both exemptions are capable(CAP_SYS_RESOURCE): in the initial user
	// namespace, not the one owning this IPC namespace, so a task in a new
	// user namespace does not escape them. Linux compares the count with
	// queues_max as unsigned ints: a negative queues_max is a huge one.
	if uint32(r.queueCount) >= uint32(r.limits.QueuesMax) && !creds.HasCapabilityIn(linux.CAP_SYS_RESOURCE, r.userNS.Root()) {
		return nil, linuxerr.ENOSPC
	}
	a, err := r.checkAttr(creds, attr)
	if err != nil {
		return nil, err
	}
	cost := a.chargedBytes()
	user := creds.RealKUID
	limit := uint64(limits.Infinity)
	if ls := limits.FromContext(ctx); ls != nil {
		limit = ls.Get(limits.MessageQueueBytes).Cur
	}
	if !r.users.charge(user, cost, limit) {
		return nil, linuxerr.EMFILE
	}
	r.charged[user] += cost
	r.queueCount++
	stats.Queues.Add(1)
	return &Queue{registry: r, name: name, attr: a, chargedTo: user, linked: true}, nil
}

// release returns a dead queue's charges.
func (r *Registry) release(q *Queue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queueCount--
	stats.Queues.Add(-1)
	cost := q.attr.chargedBytes()
	if r.charged[q.chargedTo] -= cost; r.charged[q.chargedTo] == 0 {
		delete(r.charged, q.chargedTo)
	}
	r.users.add(q.chargedTo, -int64(cost))
}
