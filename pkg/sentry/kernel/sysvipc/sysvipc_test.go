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
	"bytes"
	"context"
	"sync"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/state"
)

// object is a minimal ipc.Object.
type object struct {
	mu   sync.Mutex `state:"nosave"`
	perm Perm
}

func (o *object) IPCPerm() *Perm { return &o.perm }

// +checklocksacquire:o.mu
func (o *object) Lock() { o.mu.Lock() }

// +checklocksrelease:o.mu
func (o *object) Unlock() { o.mu.Unlock() }

func newObject(p Perm) Object { return &object{perm: p} }

func (o *object) StateTypeName() string  { return "ipc_test.object" }
func (o *object) StateFields() []string  { return []string{"perm"} }
func (o *object) StateSave(s state.Sink) { s.Save(0, &o.perm) }
func (o *object) StateLoad(_ context.Context, s state.Source) {
	s.Load(0, &o.perm)
}

func init() { state.Register((*object)(nil)) }

var userNS = auth.NewRootUserNamespace()

func root() *auth.Credentials { return auth.NewRootCredentials(userNS) }

// user returns credentials of uid/gid with the given capabilities only.
func user(uid, gid uint32, groups []uint32, caps ...linux.Capability) *auth.Credentials {
	set := auth.CapabilitySetOfMany(caps)
	var extra []auth.KGID
	for _, g := range groups {
		extra = append(extra, auth.KGID(g))
	}
	return auth.NewUserCredentials(auth.KUID(uid), auth.KGID(gid), extra,
		&auth.TaskCapabilities{PermittedCaps: set, EffectiveCaps: set}, userNS)
}

func mustGet(t *testing.T, r *Registry, creds *auth.Credentials, key Key, flag int32) Object {
	t.Helper()
	obj, err := r.Get(creds, key, flag, IndexCount, newObject)
	if err != nil {
		t.Fatalf("Get(%#x, %#o): %v", key, flag, err)
	}
	return obj
}

func TestCyclicIndexesAndSequence(t *testing.T) {
	r := NewRegistry(userNS)
	// Create and remove 64 times: indexes 0..63 in sequence 0.
	for i := int32(0); i < 64; i++ {
		obj := mustGet(t, r, root(), IPCPrivate, 0600)
		if got := obj.IPCPerm().ID; got != ID(i) {
			t.Fatalf("object %d: id %d, want %d", i, got, i)
		}
		r.Remove(obj)
	}
	// The allocation wraps to index 0 and bumps the sequence.
	a := mustGet(t, r, root(), IPCPrivate, 0600)
	b := mustGet(t, r, root(), IPCPrivate, 0600)
	if a.IPCPerm().ID != MakeID(1, 0) || b.IPCPerm().ID != MakeID(1, 1) {
		t.Fatalf("ids after wrap: %d, %d; want %d, %d", a.IPCPerm().ID, b.IPCPerm().ID, MakeID(1, 0), MakeID(1, 1))
	}
	// Stale ids of the reused indexes are not found; indexes are.
	for _, stale := range []ID{0, 1} {
		if _, err := r.FindByID(stale); !linuxerr.Equals(linuxerr.EINVAL, err) {
			t.Errorf("FindByID(%d) = %v, want EINVAL", stale, err)
		}
	}
	if obj, err := r.FindByIndex(1); err != nil || obj != b {
		t.Errorf("FindByIndex(1) = %v, %v; want b", obj, err)
	}
	if obj, err := r.FindByIndex(int32(MakeID(9, 1))); err != nil || obj != b {
		t.Errorf("FindByIndex ignores the sequence: got %v, %v", obj, err)
	}
	if _, err := r.FindByID(-1); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Errorf("FindByID(-1) = %v", err)
	}
}

func TestFreedIndexNotReusedAtOnce(t *testing.T) {
	r := NewRegistry(userNS)
	a := mustGet(t, r, root(), IPCPrivate, 0600)
	mustGet(t, r, root(), IPCPrivate, 0600)
	r.Remove(a)
	c := mustGet(t, r, root(), IPCPrivate, 0600)
	if got := c.IPCPerm().ID; got != 2 {
		t.Errorf("id after freeing index 0: %d, want 2 (cyclic)", got)
	}
}

func TestCycleSpanGrowsWithUse(t *testing.T) {
	r := NewRegistry(userNS)
	// With 64 objects alive the span is max(64, 96): index 64 is next.
	var objs []Object
	for i := 0; i < 64; i++ {
		objs = append(objs, mustGet(t, r, root(), IPCPrivate, 0600))
	}
	obj := mustGet(t, r, root(), IPCPrivate, 0600)
	if got := obj.IPCPerm().ID; got != 64 {
		t.Errorf("65th object: id %d, want 64", got)
	}
	r.Remove(objs[3])
	// Cursor at 65; the span [0, 97) has 65..96 free before wrapping.
	if got := mustGet(t, r, root(), IPCPrivate, 0600).IPCPerm().ID; got != 65 {
		t.Errorf("next id %d, want 65", got)
	}
}

func TestMaxIndex(t *testing.T) {
	r := NewRegistry(userNS)
	if r.MaxIndex() != -1 {
		t.Fatalf("empty MaxIndex = %d", r.MaxIndex())
	}
	a := mustGet(t, r, root(), IPCPrivate, 0600)
	b := mustGet(t, r, root(), IPCPrivate, 0600)
	c := mustGet(t, r, root(), IPCPrivate, 0600)
	if r.MaxIndex() != 2 {
		t.Fatalf("MaxIndex = %d, want 2", r.MaxIndex())
	}
	r.Remove(b)
	if r.MaxIndex() != 2 {
		t.Errorf("after removing the middle: %d, want 2", r.MaxIndex())
	}
	r.Remove(c)
	if r.MaxIndex() != 0 {
		t.Errorf("after removing the highest: %d, want 0", r.MaxIndex())
	}
	r.Remove(a)
	if r.MaxIndex() != -1 {
		t.Errorf("after removing all: %d, want -1", r.MaxIndex())
	}
	// Across bitmap words.
	r.SetNextID(int32(MakeID(0, 200)))
	hi := mustGet(t, r, root(), IPCPrivate, 0600)
	r.SetNextID(int32(MakeID(0, 70)))
	mustGet(t, r, root(), IPCPrivate, 0600)
	r.Remove(hi)
	if r.MaxIndex() != 70 {
		t.Errorf("MaxIndex = %d, want 70", r.MaxIndex())
	}
}

func TestNextID(t *testing.T) {
	r := NewRegistry(userNS)
	r.SetNextID(int32(MakeID(7, 12)))
	obj := mustGet(t, r, root(), 0x4d51, linux.IPC_CREAT|0600)
	if got := obj.IPCPerm().ID; got != MakeID(7, 12) {
		t.Fatalf("id %d, want %d", got, MakeID(7, 12))
	}
	if r.NextID() != -1 {
		t.Errorf("NextID not reset: %d", r.NextID())
	}
	if r.FindByKey(0x4d51) != obj {
		t.Errorf("key not registered")
	}
	// Normal allocation is unaffected: index 0, sequence 0.
	if got := mustGet(t, r, root(), IPCPrivate, 0600).IPCPerm().ID; got != 0 {
		t.Errorf("next normal id %d, want 0", got)
	}
	// A taken index gives the next free one, with the requested sequence.
	r.SetNextID(int32(MakeID(3, 12)))
	if got := mustGet(t, r, root(), IPCPrivate, 0600).IPCPerm().ID; got != MakeID(3, 13) {
		t.Errorf("id %d, want %d", got, MakeID(3, 13))
	}
}

func TestLimit(t *testing.T) {
	r := NewRegistry(userNS)
	for i := 0; i < 2; i++ {
		if _, err := r.Get(root(), IPCPrivate, 0600, 2, newObject); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Get(root(), IPCPrivate, 0600, 2, newObject); !linuxerr.Equals(linuxerr.ENOSPC, err) {
		t.Errorf("over the limit: %v, want ENOSPC", err)
	}
	if _, err := r.Get(root(), 5, linux.IPC_CREAT|0600, 2, newObject); !linuxerr.Equals(linuxerr.ENOSPC, err) {
		t.Errorf("keyed over the limit: %v, want ENOSPC", err)
	}
}

func TestGetKeys(t *testing.T) {
	r := NewRegistry(userNS)
	owner := user(1000, 1000, nil)
	obj := mustGet(t, r, owner, 42, linux.IPC_CREAT|0640)
	p := obj.IPCPerm()
	if p.Key != 42 || p.UID != 1000 || p.CUID != 1000 || p.GID != 1000 || p.CGID != 1000 || p.Mode != 0640 {
		t.Errorf("new perm %+v", *p)
	}
	if got := mustGet(t, r, owner, 42, 0); got != obj {
		t.Errorf("lookup by key gave another object")
	}
	if got := mustGet(t, r, owner, 42, linux.IPC_CREAT|0600); got != obj {
		t.Errorf("IPC_CREAT on an existing key gave another object")
	}
	nobody := user(65534, 65534, nil)
	for _, tc := range []struct {
		creds *auth.Credentials
		key   Key
		flag  int32
		want  *errors.Error
	}{
		{owner, 42, linux.IPC_CREAT | linux.IPC_EXCL, linuxerr.EEXIST},
		{nobody, 42, linux.IPC_CREAT | linux.IPC_EXCL | 0600, linuxerr.EEXIST},
		{nobody, 42, 0400, linuxerr.EACCES},
		{nobody, 42, 0002, linuxerr.EACCES},
		{owner, 43, 0600, linuxerr.ENOENT},
		{owner, 43, linux.IPC_EXCL | 0600, linuxerr.ENOENT},
	} {
		if _, err := r.Get(tc.creds, tc.key, tc.flag, IndexCount, newObject); !linuxerr.Equals(tc.want, err) {
			t.Errorf("Get(key %d, flag %#o) = %v, want %v", tc.key, tc.flag, err, tc.want)
		}
	}
	// msgget(key, 0) asks for nothing.
	if _, err := r.Get(nobody, 42, 0, IndexCount, newObject); err != nil {
		t.Errorf("Get without requested bits: %v", err)
	}
	// IPC_PRIVATE never finds and never conflicts.
	a := mustGet(t, r, owner, IPCPrivate, linux.IPC_CREAT|linux.IPC_EXCL|0600)
	b := mustGet(t, r, owner, IPCPrivate, 0600)
	if a == b || r.FindByKey(IPCPrivate) != nil {
		t.Errorf("IPC_PRIVATE objects are shared or named")
	}
	r.Remove(obj)
	if r.FindByKey(42) != nil {
		t.Errorf("removed key still resolves")
	}
}

func TestPermissionClasses(t *testing.T) {
	p := Perm{UID: 2001, GID: 2001, CUID: 1000, CGID: 1000, Mode: 0640}
	for _, tc := range []struct {
		name  string
		creds *auth.Credentials
		flag  uint16
		want  bool
	}{
		{"owner reads", user(2001, 3000, nil), ReadAccess, true},
		{"owner writes", user(2001, 3000, nil), WriteAccess, true},
		{"creator reads", user(1000, 3000, nil), ReadAccess, true},
		{"creator writes", user(1000, 3000, nil), WriteAccess, true},
		{"egid == gid", user(3000, 2001, nil), ReadAccess, true},
		{"egid == cgid", user(3000, 1000, nil), ReadAccess, true},
		{"supplementary == gid", user(3000, 3000, []uint32{2001}), ReadAccess, true},
		{"supplementary == cgid", user(3000, 3000, []uint32{1000}), ReadAccess, true},
		{"group cannot write", user(3000, 1000, nil), WriteAccess, false},
		{"other", user(3000, 3000, []uint32{4000}), ReadAccess, false},
		{"CAP_IPC_OWNER", user(3000, 3000, nil, linux.CAP_IPC_OWNER), WriteAccess, true},
		{"CAP_DAC_OVERRIDE does not apply", user(3000, 3000, nil, linux.CAP_DAC_OVERRIDE), ReadAccess, false},
		{"nothing requested", user(3000, 3000, nil), 0, true},
	} {
		if got := p.Permitted(tc.creds, userNS, tc.flag); got != tc.want {
			t.Errorf("%s: Permitted = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Owner bits take precedence over group bits.
	p.Mode = 0060
	if p.Permitted(user(1000, 2001, nil), userNS, ReadAccess) {
		t.Errorf("creator in the group got group bits")
	}
}

func TestMayControl(t *testing.T) {
	p := Perm{UID: 2001, GID: 2001, CUID: 1000, CGID: 1000, Mode: 0666}
	for _, tc := range []struct {
		name  string
		creds *auth.Credentials
		want  bool
	}{
		{"owner", user(2001, 1, nil), true},
		{"creator", user(1000, 1, nil), true},
		{"CAP_SYS_ADMIN", user(3000, 1, nil, linux.CAP_SYS_ADMIN), true},
		{"CAP_IPC_OWNER", user(3000, 1, nil, linux.CAP_IPC_OWNER), false},
		{"group", user(3000, 2001, nil), false},
	} {
		if got := p.MayControl(tc.creds, userNS); got != tc.want {
			t.Errorf("%s: MayControl = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdateAndABI(t *testing.T) {
	p := Perm{Key: -5, ID: MakeID(3, 5), UID: 1, GID: 1, CUID: 1, CGID: 1, Mode: 0600}
	if err := p.Update(root(), 1234, 5678, 07777); err != nil {
		t.Fatal(err)
	}
	if p.UID != 1234 || p.GID != 5678 || p.Mode != 0777 {
		t.Errorf("after Update: %+v", p)
	}
	a := p.ABI(userNS)
	if int32(a.Key) != -5 || a.UID != 1234 || a.CUID != 1 || a.Mode != 0777 || a.Seq != 3 {
		t.Errorf("ABI: %+v", a)
	}
	// Ids that do not map are EINVAL.
	childNS, err := root().NewChildUserNamespace()
	if err != nil {
		t.Fatal(err)
	}
	inChild := auth.NewRootCredentials(childNS)
	if err := p.Update(inChild, 0, 0, 0600); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Errorf("Update with unmapped ids: %v, want EINVAL", err)
	}
}

func TestSaveRestore(t *testing.T) {
	r := NewRegistry(userNS)
	var objs []Object
	for i := 0; i < 100; i++ {
		objs = append(objs, mustGet(t, r, root(), Key(i), linux.IPC_CREAT|0600))
	}
	for i := 0; i < 100; i += 3 {
		r.Remove(objs[i])
	}
	var buf bytes.Buffer
	if _, err := state.Save(context.Background(), &buf, r); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(Registry)
	if _, err := state.Load(context.Background(), &buf, out); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if *out.used != *r.used || out.MaxIndex() != r.MaxIndex() || out.InUse() != r.InUse() {
		t.Fatalf("restored table differs")
	}
	// Both allocate the same next ids.
	for i := 0; i < 10; i++ {
		a := mustGet(t, r, root(), IPCPrivate, 0600).IPCPerm().ID
		b := mustGet(t, out, root(), IPCPrivate, 0600).IPCPerm().ID
		if a != b {
			t.Fatalf("allocation %d: %d before save, %d after restore", i, a, b)
		}
	}
	if out.FindByKey(4) == nil || out.FindByKey(3) != nil {
		t.Errorf("keys not restored")
	}
}

// An IPC namespace that never held an object has no index bitmap, and
// enumerating or allocating in it works as in one that has.
func TestIdleRegistryHasNoBitmap(t *testing.T) {
	r := NewRegistry(userNS)
	if r.used != nil {
		t.Fatal("a new registry allocated its index bitmap")
	}
	r.ForEach(func(Object) { t.Error("ForEach found an object in an empty registry") })
	if got := r.MaxIndex(); got != -1 {
		t.Errorf("MaxIndex = %d, want -1", got)
	}
	o := mustGet(t, r, root(), 1, linux.IPC_CREAT|0600)
	if r.used == nil || r.MaxIndex() != 0 {
		t.Errorf("after the first object: bitmap %v, MaxIndex %d", r.used != nil, r.MaxIndex())
	}
	r.Remove(o)
	if r.MaxIndex() != -1 {
		t.Errorf("after removing it: MaxIndex %d, want -1", r.MaxIndex())
	}
}
