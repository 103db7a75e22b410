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

// Package msgqueue implements System V message queues (Linux's ipc/msg.c)
// for one IPC namespace: the Registry with its limits (msgmax, msgmnb,
// msgmni), msg_next_id and MSG_INFO accounting, and the queues with their
// messages, blocked senders and receivers.
//
// Ids, keys and permission classes come from package ipc. This package does
// not import the kernel package (the kernel imports it, as gVisor's
// kernel/msgqueue): the syscall layer passes in credentials and pids, and
// does the blocking on a Waiter's channel.
//
// Lock ordering:
//
//	Registry.mu
//	  Queue.mu
//
// As Linux takes the ids rwsem, then the queue's spinlock: msgget (through
// sysvipc.Registry.Get, which locks an existing queue to check its
// permission), IPC_SET and IPC_RMID hold both. msgsnd, msgrcv and
// IPC_STAT find their queue without Registry.mu (FindByID) and take its mu
// alone; MSG_STAT and /proc/sysvipc/msg take the two one after the other,
// IPC_INFO, MSG_INFO and the sysctls Registry.mu alone. sysvipc.Registry has no
// lock of its own: Registry.mu serializes it.
//
// Nothing else is taken under Queue.mu. The syscall layer copies a message
// in before Send and out after Receive returns, as Linux's load_msg runs
// before its lock and store_msg after it; a returned message is not written
// to afterwards. A blocked task is completed under Queue.mu (its Waiter
// holds the outcome and a non-blocking channel send wakes it), where Linux
// records the outcome under its lock and wakes the task after unlocking
// (wake_q): signalling a Waiter after unlocking could reach it after its
// task has given it back to the pool and another task has taken it.
package msgqueue

import (
	stdctx "context"
	"fmt"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/atomicbitops"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	ktime "gvisor.dev/gvisor/pkg/sentry/ktime"
	"gvisor.dev/gvisor/pkg/sync"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// Default limits of a new IPC namespace (include/uapi/linux/msg.h).
const (
	DefaultMsgMax = linux.MSGMAX
	DefaultMsgMnb = linux.MSGMNB
	DefaultMsgMni = linux.MSGMNI
)

// Limits are the namespace's /proc/sys/kernel/msg{max,mnb,mni}.
//
// +stateify savable
type Limits struct {
	// MsgMax is the largest message.
	MsgMax int32
	// MsgMnb is the qbytes of new queues, and the most IPC_SET may set
	// without CAP_SYS_RESOURCE.
	MsgMnb int32
	// MsgMni is the most queues.
	MsgMni int32
}

// Valid reports whether the sysctl handlers accept l: all non-negative,
// msgmni at most IPCMNI.
func (l Limits) Valid() bool {
	return l.MsgMax >= 0 && l.MsgMnb >= 0 && l.MsgMni >= 0 && l.MsgMni <= sysvipc.IndexCount
}

// Registry is the System V message queue state of one IPC namespace.
//
// +stateify savable
type Registry struct {
	// mu protects limits and serializes ids (the set of queues), whose
	// pointer is fixed. It is taken before a Queue's mu (see the package
	// comment).
	mu  sync.Mutex `state:"nosave"`
	ids *sysvipc.Registry
	// +checklocks:mu
	limits Limits

	// messages and bytes are the totals over all queues that MSG_INFO
	// reports; updated under the queues' locks. Not saved: each restored
	// queue adds its own (Queue.afterLoad), so they cannot disagree with
	// the queues.
	messages atomicbitops.Int64 `state:"nosave"`
	bytes    atomicbitops.Int64 `state:"nosave"`

	// msgMax caches limits.MsgMax + 1 for msgsnd and msgrcv, which read it
	// on every call, as Linux reads msg_ctlmax, but without mu; 0 means not
	// cached yet (a new or restored registry). Written under mu, by MsgMax
	// and by UpdateLimits with the limit it sets.
	msgMax atomicbitops.Int64 `state:"nosave"`
	// byIndex lets msgsnd and msgrcv find a queue by id without mu; nil
	// until first needed (a restored registry builds it from ids).
	// Written under mu.
	byIndex atomic.Pointer[queueTable] `state:"nosave"`
	// realtime caches the kernel's realtime clock, taken from the first
	// context that has one: finding it in a task's context on every send
	// and receive costs as much as reading it. Not saved: a restored
	// kernel has its own clock.
	realtime atomic.Pointer[clockRef] `state:"nosave"`
}

// clockRef boxes a clock for atomic.Pointer.
type clockRef struct{ ktime.Clock }

// queueTable maps an index to the queue using it, in chunks allocated when
// first used.
type queueTable [sysvipc.IndexCount / queueChunkLen]atomic.Pointer[queueChunk]

const queueChunkLen = 256

type queueChunk [queueChunkLen]atomic.Pointer[Queue]

// tableLocked returns byIndex, building it if needed.
//
// +checklocks:r.mu
func (r *Registry) tableLocked() *queueTable {
	if t := r.byIndex.Load(); t != nil {
		return t
	}
	t := new(queueTable)
	r.ids.ForEach(func(obj sysvipc.Object) {
		t.set(obj.IPCPerm().ID.Index(), obj.(*Queue))
	})
	r.byIndex.Store(t)
	return t
}

func (t *queueTable) set(idx int32, q *Queue) {
	c := t[idx/queueChunkLen].Load()
	if c == nil {
		if q == nil {
			return
		}
		c = new(queueChunk)
		t[idx/queueChunkLen].Store(c)
	}
	c[idx%queueChunkLen].Store(q)
}

func (t *queueTable) get(idx int32) *Queue {
	if c := t[idx/queueChunkLen].Load(); c != nil {
		return c[idx%queueChunkLen].Load()
	}
	return nil
}

// NewRegistry returns the registry of a new IPC namespace owned by userNS.
func NewRegistry(userNS *auth.UserNamespace) *Registry {
	return &Registry{
		ids:    sysvipc.NewRegistry(userNS),
		limits: Limits{MsgMax: DefaultMsgMax, MsgMnb: DefaultMsgMnb, MsgMni: DefaultMsgMni},
	}
}

// afterLoad checks the registry loaded from a checkpoint image: limits the
// sysctls accept, and a table holding live queues of this registry only.
// The table's own consistency is sysvipc.Registry's to check.
//
// +checklocksignore: nothing else uses the registry while it is loaded.
func (r *Registry) afterLoad(stdctx.Context) {
	const name = "System V message queue registry"
	if r.ids == nil {
		loadcheck.FailLoad(name, "ids", "missing")
	}
	if !r.limits.Valid() {
		loadcheck.FailLoad(name, "limits", "%+v out of the sysctls' ranges", r.limits)
	}
	r.ids.EachObject(func(idx int32, obj sysvipc.Object) {
		q, ok := obj.(*Queue)
		if !ok || q == nil {
			loadcheck.FailLoad(name, fmt.Sprintf("ids.objects[%d]", idx), "%T is not a message queue", obj)
		}
		if q.registry != r {
			loadcheck.FailLoad(q.imageName(), "registry", "not the registry whose table holds it")
		}
		if q.dead { // +checklocksignore: see afterLoad.
			loadcheck.FailLoad(q.imageName(), "dead", "a removed queue is still in the table")
		}
	})
}

// UserNamespace returns the user namespace owning the IPC namespace.
func (r *Registry) UserNamespace() *auth.UserNamespace { return r.ids.UserNamespace() }

// Limits returns the namespace's limits.
func (r *Registry) Limits() Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limits
}

// MsgMax returns the namespace's msgmax without taking the registry's lock
// (after its first call).
func (r *Registry) MsgMax() int32 {
	if v := r.msgMax.Load(); v != 0 {
		return int32(v - 1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgMax.Store(int64(r.limits.MsgMax) + 1)
	return r.limits.MsgMax
}

// NextID returns msg_next_id: the id the next msgget will create, or -1.
func (r *Registry) NextID() int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids.NextID()
}

// SetNextID sets msg_next_id; like the sysctl, it takes 0..INT_MAX (EINVAL
// otherwise).
func (r *Registry) SetNextID(id int32) error {
	if id < 0 {
		return linuxerr.EINVAL
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids.SetNextID(id)
	return nil
}

// Get implements msgget(2): it returns the queue named key, creating it as
// flag asks (see sysvipc.Registry.Get for the rules and errors). A new queue is
// owned by creds' effective ids, with the low 9 bits of flag as its mode and
// msgmnb as its qbytes.
func (r *Registry) Get(ctx context.Context, creds *auth.Credentials, key sysvipc.Key, flag int32) (*Queue, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	qbytes := uint64(r.limits.MsgMnb)
	obj, err := r.ids.Get(creds, key, flag, int(r.limits.MsgMni), func(perm sysvipc.Perm) sysvipc.Object {
		q := &Queue{
			registry: r,
			perm:     perm,
			qbytes:   qbytes,
			ctime:    r.now(ctx),
		}
		q.messages.init()
		// create's object is always inserted.
		stats.Queues.Add(1)
		return q
	})
	if err != nil {
		return nil, err
	}
	q := obj.(*Queue)
	if t := r.byIndex.Load(); t != nil {
		t.set(q.perm.ID.Index(), q)
	}
	return q, nil
}

// FindByID returns the queue with id, or EINVAL. It takes no lock: a queue
// being removed at the same time may be returned, and then fails with EIDRM
// as if it had been found just before.
func (r *Registry) FindByID(id sysvipc.ID) (*Queue, error) {
	if id < 0 {
		return nil, linuxerr.EINVAL
	}
	t := r.byIndex.Load()
	if t == nil {
		r.mu.Lock()
		t = r.tableLocked()
		r.mu.Unlock()
	}
	// A queue's id is fixed before the queue is published in the table.
	if q := t.get(id.Index()); q != nil && q.perm.ID == id {
		return q, nil
	}
	return nil, linuxerr.EINVAL
}

// FindByIndex returns the queue at the index in the low 15 bits of id,
// whatever its sequence number (MSG_STAT), or EINVAL.
func (r *Registry) FindByIndex(id int32) (*Queue, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	obj, err := r.ids.FindByIndex(id)
	if err != nil {
		return nil, err
	}
	return obj.(*Queue), nil
}

// Queues returns the queues in index order.
func (r *Registry) Queues() []*Queue {
	r.mu.Lock()
	defer r.mu.Unlock()
	qs := make([]*Queue, 0, r.ids.InUse())
	r.ids.ForEach(func(obj sysvipc.Object) { qs = append(qs, obj.(*Queue)) })
	return qs
}

// Remove implements msgctl(IPC_RMID): EINVAL for an unknown id, EPERM
// unless creds own or created the queue or have CAP_SYS_ADMIN. Blocked
// senders and receivers fail with EIDRM; the queued messages are dropped.
func (r *Registry) Remove(creds *auth.Credentials, id sysvipc.ID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.findLocked(id)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.mayControlLocked(creds); err != nil {
		return err
	}
	r.ids.Remove(q)
	r.tableLocked().set(q.perm.ID.Index(), nil)
	q.destroyLocked()
	return nil
}

// findLocked returns the queue id names, or EINVAL.
//
// +checklocks:r.mu
func (r *Registry) findLocked(id sysvipc.ID) (*Queue, error) {
	obj, err := r.ids.FindByID(id)
	if err != nil {
		return nil, err
	}
	return obj.(*Queue), nil
}

// mayControlLocked returns EPERM unless creds may control q (IPC_SET,
// IPC_RMID): they own or created it, or have CAP_SYS_ADMIN.
//
// +checklocks:q.mu
func (q *Queue) mayControlLocked(creds *auth.Credentials) error {
	if !q.perm.MayControl(creds, q.userNS()) {
		return linuxerr.EPERM
	}
	return nil
}

// SetRequest is what msgctl(IPC_SET) reads from the caller's msqid_ds.
type SetRequest struct {
	UID, GID uint32
	Mode     uint32
	QBytes   uint64
}

// Set implements msgctl(IPC_SET), checking in Linux's order: EINVAL for an
// unknown id; EPERM unless creds own or created the queue or have
// CAP_SYS_ADMIN; EPERM for a qbytes above msgmnb without CAP_SYS_RESOURCE;
// EINVAL for ids that do not map in creds' user namespace. As in Linux,
// qbytes passes through a C int: only its low 32 bits count, compared with
// msgmnb as unsigned and stored sign-extended. Blocked receivers and senders that lost their permission fail with
// EACCES; senders that now fit are let in.
func (r *Registry) Set(ctx context.Context, creds *auth.Credentials, id sysvipc.ID, req SetRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.findLocked(id)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.mayControlLocked(creds); err != nil {
		return err
	}
	qbytes := int32(req.QBytes)
	// Linux compares the int qbytes with the unsigned msg_ctlmnb, so the
	// comparison is unsigned: a "negative" qbytes is huge, not small.
	if uint32(qbytes) > uint32(r.limits.MsgMnb) && !creds.HasCapabilityIn(linux.CAP_SYS_RESOURCE, r.ids.UserNamespace().Root()) {
		return linuxerr.EPERM
	}
	if err := q.perm.Update(creds, req.UID, req.GID, req.Mode); err != nil {
		return err
	}
	q.qbytes = uint64(int64(qbytes))
	q.ctime = q.registry.now(ctx)
	q.recheckWaitersLocked(ctx)
	return nil
}

// Info is what msgctl(IPC_INFO) and msgctl(MSG_INFO) return.
type Info struct {
	linux.MsgInfo
	// MaxIndex is the highest index in use, 0 if there is none.
	MaxIndex int32
}

// Info implements msgctl(IPC_INFO) (usage false) and msgctl(MSG_INFO)
// (usage true: msgpool, msgmap and msgtql count the namespace's queues,
// messages and payload bytes rather than giving Linux's constants).
func (r *Registry) Info(usage bool) Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := Info{MsgInfo: linux.MsgInfo{
		MsgMni: r.limits.MsgMni,
		MsgMax: r.limits.MsgMax,
		MsgMnb: r.limits.MsgMnb,
		MsgSsz: linux.MSGSSZ,
		MsgSeg: linux.MSGSEG,
	}}
	if usage {
		info.MsgPool = int32(r.ids.InUse())
		info.MsgMap = int32(min(r.messages.Load(), 1<<31-1))
		info.MsgTql = int32(min(r.bytes.Load(), 1<<31-1))
	} else {
		info.MsgPool = linux.MSGPOOL
		info.MsgMap = linux.MSGMAP
		info.MsgTql = linux.MSGTQL
	}
	info.MaxIndex = max(r.ids.MaxIndex(), 0)
	return info
}

// now returns the current real time in seconds, as the queue times are
// kept (ktime_get_real_seconds).
func (r *Registry) now(ctx context.Context) int64 {
	if c := r.realtime.Load(); c != nil {
		return c.Now().Seconds()
	}
	if ctx != nil {
		if clk := ktime.RealtimeClockFromContext(ctx); clk != nil {
			r.realtime.Store(&clockRef{clk})
			return clk.Now().Seconds()
		}
	}
	// Only contexts without a kernel (unit tests) get here.
	return time.Now().Unix()
}
