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

// Package ucount bounds the IPC namespaces each user may create, as Linux's
// per-user-namespace ucounts do for UCOUNT_IPC_NAMESPACES (kernel/ucount.c,
// ipc/namespace.c: inc_ipc_namespaces, dec_ipc_namespaces) and
// /proc/sys/user/max_ipc_namespaces shows.
//
// A new IPC namespace owned by user namespace ns and made by a task of
// effective uid uid is charged to (ns, uid), then to (parent of ns, owner of
// ns), and so on up to the root user namespace; each level must stay within
// that user namespace's max_ipc_namespaces, else the clone(2) or unshare(2)
// fails with ENOSPC. The root user namespace's limit starts at max_threads/2,
// every other's at INT_MAX, and each is changed only by a task with
// CAP_SYS_RESOURCE in that user namespace.
//
// gVisor's auth.UserNamespace has no room for the counts, so they live in a
// table keyed weakly by user namespace: an entry goes when its namespace
// does. The table itself is not saved: each IPC namespace saves its own
// Charge and counts it again after a restore (Charge.Restore), and the
// limits written to max_ipc_namespaces travel in SavedLimits, which every
// POSIX registry references so that a checkpoint holds it.
package ucount

import (
	stdctx "context"
	"math"
	"runtime"
	"weak"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sync"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// RootMaxIPCNamespaces is the root user namespace's initial limit: Linux
// sets init_user_ns's ucount_max to max_threads/2 at boot, and gVisor's
// max_threads is kernel.TasksLimit (1<<16; see taskproc's threads-max,
// whose test checks the two agree).
const RootMaxIPCNamespaces = 1 << 15

// ChildMaxIPCNamespaces is a new user namespace's initial limit (Linux's
// create_user_ns sets every ucount_max to INT_MAX).
const ChildMaxIPCNamespaces = math.MaxInt32

// Ancestry is what the counts need of a user namespace beyond gVisor's
// exported API: its parent and the kuid of its creator. mqsentry's runsc adds
// these methods to auth.UserNamespace (_shims/kernel/auth); its syscall shim
// asserts at compile time that they exist.
type Ancestry interface {
	MqsentryParent() *auth.UserNamespace
	MqsentryOwner() auth.KUID
}

// parentOf returns ns's parent and the kuid that created ns, or nil for a
// root user namespace. Without the Ancestry methods (a build of this package
// against unmodified gVisor, as its unit tests are) every namespace counts
// as a root.
var parentOf = func(ns *auth.UserNamespace) (*auth.UserNamespace, auth.KUID) {
	if a, ok := any(ns).(Ancestry); ok {
		return a.MqsentryParent(), a.MqsentryOwner()
	}
	return nil, auth.NoID
}

// userNSCounts is one user namespace's limit and the IPC namespaces charged
// to each of its users.
type userNSCounts struct {
	max   int64
	count map[auth.KUID]int64
}

var (
	// mu protects table.
	mu    sync.Mutex
	table = map[weak.Pointer[auth.UserNamespace]]*userNSCounts{}
)

// countsLocked returns ns's entry, making it at its default limit.
//
// Precondition: mu is held.
func countsLocked(ns *auth.UserNamespace) *userNSCounts {
	key := weak.Make(ns)
	c := table[key]
	if c == nil {
		c = &userNSCounts{max: defaultMax(ns), count: map[auth.KUID]int64{}}
		table[key] = c
		// One cleanup per user namespace: the entry lives as long as
		// its namespace, however often IPC namespaces come and go.
		runtime.AddCleanup(ns, dropEntry, key)
	}
	return c
}

func dropEntry(key weak.Pointer[auth.UserNamespace]) {
	mu.Lock()
	defer mu.Unlock()
	delete(table, key)
}

// MaxIPCNamespaces returns ns's max_ipc_namespaces.
func MaxIPCNamespaces(ns *auth.UserNamespace) int64 {
	mu.Lock()
	defer mu.Unlock()
	return countsLocked(ns).max
}

// SetMaxIPCNamespaces sets ns's max_ipc_namespaces. Namespaces already
// counted stay, as in Linux; only new ones see the new limit. The caller
// checks the writer's rights and the value's range.
func SetMaxIPCNamespaces(ns *auth.UserNamespace, max int64) {
	mu.Lock()
	defer mu.Unlock()
	countsLocked(ns).max = max
}

// Charge is one IPC namespace's place in the counts: the user namespace that
// owns it and the effective kuid of the task that made it. The IPC
// namespace keeps (and saves) it until it is destroyed.
//
// +stateify savable
type Charge struct {
	UserNS *auth.UserNamespace
	UID    auth.KUID
}

// level is one step of a charge's walk up the user namespaces.
type level struct {
	ns  *auth.UserNamespace
	uid auth.KUID
}

// levels returns the (user namespace, user) pairs c counts against.
func (c *Charge) levels() []level {
	var ls []level
	for ns, uid := c.UserNS, c.UID; ns != nil; {
		ls = append(ls, level{ns, uid})
		ns, uid = parentOf(ns)
	}
	return ls
}

// ChargeIPCNamespace counts a new IPC namespace owned by ns and made by a
// task of effective kuid uid. It returns ENOSPC, counting nothing, when a
// level is at its limit (Linux's inc_ucount).
func ChargeIPCNamespace(ns *auth.UserNamespace, uid auth.KUID) (*Charge, error) {
	c := &Charge{UserNS: ns, UID: uid}
	levels := c.levels()
	mu.Lock()
	defer mu.Unlock()
	for i, l := range levels {
		counts := countsLocked(l.ns)
		if counts.count[l.uid] >= counts.max {
			for _, done := range levels[:i] {
				decLocked(done)
			}
			return nil, linuxerr.ENOSPC
		}
		counts.count[l.uid]++
	}
	return c, nil
}

// Restore counts c again after a restore, whatever the limits: the
// namespace exists.
func (c *Charge) Restore() {
	if c.UserNS == nil {
		loadcheck.FailLoad("IPC namespace's max_ipc_namespaces charge", "UserNS", "missing")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range c.levels() {
		countsLocked(l.ns).count[l.uid]++
	}
}

// Release uncounts c when its IPC namespace is destroyed.
func (c *Charge) Release() {
	mu.Lock()
	defer mu.Unlock()
	for _, l := range c.levels() {
		decLocked(l)
	}
}

// decLocked uncounts one level.
//
// Precondition: mu is held.
func decLocked(l level) {
	counts := countsLocked(l.ns)
	if counts.count[l.uid]--; counts.count[l.uid] <= 0 {
		delete(counts.count, l.uid)
	}
}

// Count returns the IPC namespaces counted against (ns, uid), for tests
// and diagnostics.
func Count(ns *auth.UserNamespace, uid auth.KUID) int64 {
	mu.Lock()
	defer mu.Unlock()
	return countsLocked(ns).count[uid]
}

// SavedLimits carries the limits written to max_ipc_namespaces through a
// checkpoint: gVisor saves only what the kernel reaches, and the table is
// keyed weakly. There is one per Sentry (Limits).
//
// +stateify savable
type SavedLimits struct {
	// Written holds, while a checkpoint is written and loaded, every live
	// user namespace whose limit is not its default; it is empty otherwise
	// except for the namespaces alive at the last save.
	Written []WrittenLimit
}

// WrittenLimit is one user namespace's limit in a checkpoint.
//
// +stateify savable
type WrittenLimit struct {
	UserNS *auth.UserNamespace
	Max    int64
}

var savedLimits = &SavedLimits{}

// Limits returns the Sentry's SavedLimits, for a registry to reference.
func Limits() *SavedLimits { return savedLimits }

// defaultMax is ns's limit before anybody writes it.
func defaultMax(ns *auth.UserNamespace) int64 {
	if ns == ns.Root() {
		return RootMaxIPCNamespaces
	}
	return ChildMaxIPCNamespaces
}

// beforeSave records the written limits of the live user namespaces.
func (l *SavedLimits) beforeSave() {
	mu.Lock()
	defer mu.Unlock()
	l.Written = l.Written[:0]
	for key, c := range table {
		if ns := key.Value(); ns != nil && c.max != defaultMax(ns) {
			l.Written = append(l.Written, WrittenLimit{UserNS: ns, Max: c.max})
		}
	}
}

// afterLoad puts the saved limits back into the table. A limit outside
// the file's range (an edited image) fails the restore.
func (l *SavedLimits) afterLoad(stdctx.Context) {
	for _, w := range l.Written {
		if w.UserNS == nil {
			loadcheck.FailLoad("user.max_ipc_namespaces", "UserNS", "missing")
		}
		if w.Max < 0 || w.Max > math.MaxInt32 {
			loadcheck.FailLoad("user.max_ipc_namespaces", "Max", "%d outside 0..%d", w.Max, math.MaxInt32)
		}
		SetMaxIPCNamespaces(w.UserNS, w.Max)
	}
	l.Written = nil
	savedLimits = l
}
