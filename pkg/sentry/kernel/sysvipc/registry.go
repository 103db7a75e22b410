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

package sysvipc

import (
	"context"
	"fmt"
	"math/bits"
	"reflect"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// Object is one registered IPC object: a mechanism's object embedding or
// holding a Perm.
type Object interface {
	// IPCPerm returns the object's Perm. Its Key and ID may be read at any
	// time; its owner and mode only between Lock and Unlock.
	IPCPerm() *Perm

	// Lock and Unlock take and release the object's own lock, which
	// protects its Perm's owner and mode. The registry's user takes it
	// while holding whatever lock serializes the Registry (Linux: the
	// ids rwsem, then the object's spinlock).
	Lock()
	Unlock()
}

// Registry is the table of one mechanism's objects in one IPC namespace,
// Linux's struct ipc_ids: ids, keys, the cyclic index allocator, the
// highest index in use and the checkpoint/restore next id.
//
// Registry has no lock of its own: its user serializes every call (for
// message queues, msgqueue.Registry.mu), except UserNamespace, which reads
// an immutable field.
//
// +stateify savable
type Registry struct {
	// userNS owns the IPC namespace: capabilities are checked in it.
	userNS *auth.UserNamespace

	// objects maps an index to the object using it (ipcs_idr).
	objects map[int32]Object
	// keys maps the key of every object not created with IPC_PRIVATE to
	// its index (key_ht).
	keys map[Key]int32

	// seq is the sequence number given to new objects; it goes up each
	// time the cyclic allocation wraps around.
	seq int32
	// lastIndex is the index allocated last by the cyclic allocator, -1
	// before the first.
	lastIndex int32
	// cursor is where the cyclic allocator looks first (idr_next).
	cursor int32
	// maxIndex is the highest index in use, -1 when the table is empty.
	maxIndex int32
	// nextID, when >= 0, is the id the next object gets (msg_next_id,
	// written by checkpoint/restore tools); it goes back to -1 once used.
	nextID int32

	// used has a bit set for each index in use; rebuilt from objects
	// after a restore. It is allocated with the namespace's first object,
	// so that an idle IPC namespace (one a user can make and park by the
	// thousand) costs no more than it does in gVisor.
	used *[IndexCount / 64]uint64 `state:"nosave"`
}

// NewRegistry returns an empty table for an IPC namespace owned by userNS.
func NewRegistry(userNS *auth.UserNamespace) *Registry {
	return &Registry{
		userNS:    userNS,
		objects:   make(map[int32]Object),
		keys:      make(map[Key]int32),
		lastIndex: -1,
		maxIndex:  -1,
		nextID:    -1,
	}
}

// afterLoad checks the table loaded from a checkpoint image and rebuilds
// the index bitmap from it.
func (r *Registry) afterLoad(context.Context) {
	r.checkLoaded()
	for idx := range r.objects {
		r.setUsed(idx, true)
	}
}

// tableName names the table in errors about a checkpoint image.
const tableName = "System V IPC id table"

// checkLoaded fails the load (loadcheck.FailLoad) unless the table is one the
// registry's operations can produce: every object at the index of its id,
// keys and objects in one-to-one correspondence, and the allocator's state
// within its ranges. The mechanism checks its own objects' other fields.
func (r *Registry) checkLoaded() {
	if r.userNS == nil {
		loadcheck.FailLoad(tableName, "userNS", "missing")
	}
	maxIndex := int32(-1)
	for idx, obj := range r.objects {
		if idx < 0 || idx >= IndexCount {
			loadcheck.FailLoad(tableName, fmt.Sprintf("objects[%d]", idx), "index out of range [0, %d)", IndexCount)
		}
		if obj == nil || reflect.ValueOf(obj).Kind() == reflect.Pointer && reflect.ValueOf(obj).IsNil() {
			loadcheck.FailLoad(tableName, fmt.Sprintf("objects[%d]", idx), "no object")
		}
		perm := obj.IPCPerm()
		name := fmt.Sprintf("IPC object id %d", perm.ID)
		if perm.ID < 0 || perm.ID.Index() != idx {
			loadcheck.FailLoad(name, "id", "does not match its index %d in the table", idx)
		}
		if perm.Mode&^0777 != 0 {
			loadcheck.FailLoad(name, "mode", "%#o has bits outside 0777", perm.Mode)
		}
		if perm.Key != IPCPrivate {
			if kidx, ok := r.keys[perm.Key]; !ok || kidx != idx {
				loadcheck.FailLoad(name, "key", "%#x is not the table's key of the object", perm.Key)
			}
		}
		maxIndex = max(maxIndex, idx)
	}
	for key, idx := range r.keys {
		if obj, ok := r.objects[idx]; key == IPCPrivate || !ok || obj.IPCPerm().Key != key {
			// One object per key, as ipcget finds it: a key of no object
			// or of another object would shadow or duplicate one.
			loadcheck.FailLoad(tableName, fmt.Sprintf("keys[%#x]", key), "index %d does not hold an object with that key", idx)
		}
	}
	if r.maxIndex != maxIndex {
		loadcheck.FailLoad(tableName, "maxIndex", "%d, but the highest index in use is %d", r.maxIndex, maxIndex)
	}
	if r.seq < 0 || r.seq >= SeqMax {
		loadcheck.FailLoad(tableName, "seq", "%d out of range [0, %d)", r.seq, SeqMax)
	}
	if r.lastIndex < -1 || r.lastIndex >= IndexCount {
		loadcheck.FailLoad(tableName, "lastIndex", "%d out of range [-1, %d)", r.lastIndex, IndexCount)
	}
	if r.cursor < 0 || r.cursor > IndexCount {
		loadcheck.FailLoad(tableName, "cursor", "%d out of range [0, %d]", r.cursor, IndexCount)
	}
	if r.nextID < -1 {
		loadcheck.FailLoad(tableName, "nextID", "%d is neither -1 nor an id", r.nextID)
	}
}

// UserNamespace returns the user namespace owning the IPC namespace.
func (r *Registry) UserNamespace() *auth.UserNamespace { return r.userNS }

// InUse returns the number of objects (ids->in_use).
func (r *Registry) InUse() int { return len(r.objects) }

// MaxIndex returns the highest index in use, or -1 if there is none
// (ipc_get_maxidx).
func (r *Registry) MaxIndex() int32 { return r.maxIndex }

// NextID returns the id the next object will get, -1 for "allocate".
func (r *Registry) NextID() int32 { return r.nextID }

// SetNextID sets the id of the next object (-1: allocate normally).
func (r *Registry) SetNextID(id int32) { r.nextID = id }

// EachObject calls fn on every object with its index, in no particular
// order. Unlike ForEach it does not need the index bitmap, which a restore
// rebuilds only in the registry's afterLoad: the mechanism's own load hooks
// use it.
func (r *Registry) EachObject(fn func(idx int32, obj Object)) {
	for idx, obj := range r.objects {
		fn(idx, obj)
	}
}

// FindByID returns the object with id, or EINVAL if there is none: a
// negative id, a free index, or an index reused under another sequence
// number (ipc_obtain_object_check).
func (r *Registry) FindByID(id ID) (Object, error) {
	if id < 0 {
		return nil, linuxerr.EINVAL
	}
	obj, ok := r.objects[id.Index()]
	if !ok || obj.IPCPerm().ID != id {
		return nil, linuxerr.EINVAL
	}
	return obj, nil
}

// FindByIndex returns the object at the index taken from the low bits of
// id, whatever its sequence number (ipc_obtain_object_idr, used by the
// *_STAT commands), or EINVAL.
func (r *Registry) FindByIndex(id int32) (Object, error) {
	if id < 0 {
		return nil, linuxerr.EINVAL
	}
	obj, ok := r.objects[ID(id).Index()]
	if !ok {
		return nil, linuxerr.EINVAL
	}
	return obj, nil
}

// FindByKey returns the object named key, or nil.
func (r *Registry) FindByKey(key Key) Object {
	if key == IPCPrivate {
		return nil
	}
	idx, ok := r.keys[key]
	if !ok {
		return nil
	}
	return r.objects[idx]
}

// ForEach calls fn on every object in index order, as /proc/sysvipc lists
// them.
func (r *Registry) ForEach(fn func(Object)) {
	for w := range IndexCount / 64 {
		for word := r.usedWord(int32(w)); word != 0; word &= word - 1 {
			fn(r.objects[int32(w*64+bits.TrailingZeros64(word))])
		}
	}
}

// Get implements the part of msgget/semget/shmget that Linux's ipcget
// shares: IPC_PRIVATE always creates; an existing key gives EEXIST under
// IPC_CREAT|IPC_EXCL (even to a caller without any permission) and
// otherwise needs the access flag asks for (EACCES); a missing key gives
// ENOENT without IPC_CREAT. To create, Get calls create with the new
// object's Perm (id not yet set), then registers the object, or returns
// ENOSPC when limit objects (capped at IndexCount) already exist or no
// index is free; create must not fail or have effects Get would need to
// undo.
func (r *Registry) Get(creds *auth.Credentials, key Key, flag int32, limit int, create func(Perm) Object) (Object, error) {
	if key != IPCPrivate {
		if obj := r.FindByKey(key); obj != nil {
			if flag&linux.IPC_CREAT != 0 && flag&linux.IPC_EXCL != 0 {
				return nil, linuxerr.EEXIST
			}
			obj.Lock()
			ok := obj.IPCPerm().Permitted(creds, r.userNS, uint16(flag))
			obj.Unlock()
			if !ok {
				return nil, linuxerr.EACCES
			}
			return obj, nil
		}
		if flag&linux.IPC_CREAT == 0 {
			return nil, linuxerr.ENOENT
		}
	}
	if limit > IndexCount {
		limit = IndexCount
	}
	if len(r.objects) >= limit {
		return nil, linuxerr.ENOSPC
	}
	seq, idx, ok := r.allocate()
	if !ok {
		return nil, linuxerr.ENOSPC
	}
	perm := NewPerm(creds, key, flag)
	perm.ID = MakeID(seq, idx)
	obj := create(perm)
	r.insert(obj, idx)
	return obj, nil
}

// allocate picks the index and sequence number of a new object, as
// ipc_idr_alloc does. A pending nextID gives its sequence number and the
// first free index from its index up. Otherwise the index is the first free
// one from the cursor up to max(64, 1.5 * objects in use), wrapping around
// to 0 once; allocating at or below the previously allocated index bumps the
// sequence number.
func (r *Registry) allocate() (seq, idx int32, ok bool) {
	if next := r.nextID; next >= 0 {
		r.nextID = -1
		idx, ok = r.firstFree(ID(next).Index(), IndexCount)
		return ID(next).Seq(), idx, ok
	}
	end := int32(max(len(r.objects)*3/2, minCycle))
	end = min(end, IndexCount)
	idx, ok = r.firstFree(r.cursor, end)
	if !ok && r.cursor > 0 {
		idx, ok = r.firstFree(0, end)
	}
	if !ok {
		return 0, 0, false
	}
	r.cursor = idx + 1
	if idx <= r.lastIndex {
		r.seq++
		if r.seq >= SeqMax {
			r.seq = 0
		}
	}
	r.lastIndex = idx
	return r.seq, idx, true
}

// insert registers obj at idx.
func (r *Registry) insert(obj Object, idx int32) {
	r.objects[idx] = obj
	r.setUsed(idx, true)
	if key := obj.IPCPerm().Key; key != IPCPrivate {
		r.keys[key] = idx
	}
	r.maxIndex = max(r.maxIndex, idx)
}

// Remove unregisters obj (ipc_rmid): its id and key become free.
func (r *Registry) Remove(obj Object) {
	perm := obj.IPCPerm()
	idx := perm.ID.Index()
	if r.objects[idx] != obj {
		panic("ipc: removing an object that is not registered")
	}
	delete(r.objects, idx)
	r.setUsed(idx, false)
	if perm.Key != IPCPrivate {
		delete(r.keys, perm.Key)
	}
	if idx == r.maxIndex {
		r.maxIndex = r.lastUsedBelow(idx)
	}
}

func (r *Registry) setUsed(idx int32, used bool) {
	if r.used == nil {
		if !used {
			return
		}
		r.used = new([IndexCount / 64]uint64)
	}
	if used {
		r.used[idx/64] |= 1 << (idx % 64)
	} else {
		r.used[idx/64] &^= 1 << (idx % 64)
	}
}

// usedWord returns the bits of indexes 64*w to 64*w+63.
func (r *Registry) usedWord(w int32) uint64 {
	if r.used == nil {
		return 0
	}
	return r.used[w]
}

// firstFree returns the lowest free index in [from, end).
func (r *Registry) firstFree(from, end int32) (int32, bool) {
	for idx := from; idx < end; {
		free := ^r.usedWord(idx/64) >> (idx % 64)
		if free != 0 {
			idx += int32(bits.TrailingZeros64(free))
			return idx, idx < end
		}
		idx = (idx/64 + 1) * 64
	}
	return 0, false
}

// lastUsedBelow returns the highest index in use below idx, or -1.
func (r *Registry) lastUsedBelow(idx int32) int32 {
	for i := idx - 1; i >= 0; {
		word := r.usedWord(i/64) << (63 - i%64)
		if word != 0 {
			return i - int32(bits.LeadingZeros64(word))
		}
		i = i/64*64 - 1
	}
	return -1
}
