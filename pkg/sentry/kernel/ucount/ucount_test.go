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

package ucount

import (
	"errors"
	"runtime"
	"testing"
	"time"
	"weak"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// tree fakes the Ancestry methods, which only runsc's build of gVisor has.
func tree(t *testing.T, parents map[*auth.UserNamespace]level) {
	old := parentOf
	parentOf = func(ns *auth.UserNamespace) (*auth.UserNamespace, auth.KUID) {
		p, ok := parents[ns]
		if !ok {
			return nil, auth.NoID
		}
		return p.ns, p.uid
	}
	t.Cleanup(func() { parentOf = old })
}

func child(t *testing.T, parent *auth.UserNamespace) *auth.UserNamespace {
	ns, err := auth.NewRootCredentials(parent).NewChildUserNamespace()
	if err != nil {
		t.Fatalf("NewChildUserNamespace: %v", err)
	}
	return ns
}

func TestDefaults(t *testing.T) {
	root := auth.NewRootUserNamespace()
	if got := MaxIPCNamespaces(root); got != RootMaxIPCNamespaces {
		t.Errorf("root max = %d, want %d", got, RootMaxIPCNamespaces)
	}
	if got := MaxIPCNamespaces(child(t, root)); got != ChildMaxIPCNamespaces {
		t.Errorf("child max = %d, want %d", got, ChildMaxIPCNamespaces)
	}
}

func TestLimitPerUser(t *testing.T) {
	root := auth.NewRootUserNamespace()
	SetMaxIPCNamespaces(root, 2)
	var held []*Charge
	for i := 0; i < 2; i++ {
		c, err := ChargeIPCNamespace(root, 1000)
		if err != nil {
			t.Fatalf("charge %d: %v", i, err)
		}
		held = append(held, c)
	}
	if _, err := ChargeIPCNamespace(root, 1000); err != linuxerr.ENOSPC {
		t.Fatalf("third charge: %v, want ENOSPC", err)
	}
	// Another user has an allowance of its own.
	if _, err := ChargeIPCNamespace(root, 1001); err != nil {
		t.Fatalf("other user: %v", err)
	}
	held[0].Release()
	if _, err := ChargeIPCNamespace(root, 1000); err != nil {
		t.Fatalf("charge after release: %v", err)
	}
	// A lower limit keeps what exists and refuses what is new.
	SetMaxIPCNamespaces(root, 0)
	if got := Count(root, 1000); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
	if _, err := ChargeIPCNamespace(root, 1001); err != linuxerr.ENOSPC {
		t.Errorf("charge above a lowered limit: %v, want ENOSPC", err)
	}
}

// A namespace made in a child user namespace counts against its creator in
// every ancestor, and a refusal at any level counts nothing anywhere.
func TestChainUpTheUserNamespaces(t *testing.T) {
	root := auth.NewRootUserNamespace()
	a := child(t, root)
	b := child(t, root) // its parent is a in the faked tree below
	const ownerA, ownerB, user = 100, 200, 300
	tree(t, map[*auth.UserNamespace]level{a: {root, ownerA}, b: {a, ownerB}})
	SetMaxIPCNamespaces(a, 1)

	c, err := ChargeIPCNamespace(b, user)
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	for _, want := range []struct {
		ns  *auth.UserNamespace
		uid auth.KUID
	}{{b, user}, {a, ownerB}, {root, ownerA}} {
		if got := Count(want.ns, want.uid); got != 1 {
			t.Errorf("count at level %v/%d = %d, want 1", want.ns == root, want.uid, got)
		}
	}
	// b's own limit (INT_MAX) allows a second, a's (1) does not.
	if _, err := ChargeIPCNamespace(b, user); err != linuxerr.ENOSPC {
		t.Fatalf("second: %v, want ENOSPC", err)
	}
	if got := Count(b, user); got != 1 {
		t.Errorf("a refused charge left count %d at the lowest level, want 1", got)
	}
	c.Release()
	for _, l := range c.levels() {
		if got := Count(l.ns, l.uid); got != 0 {
			t.Errorf("after release: count %d at uid %d, want 0", got, l.uid)
		}
	}
	c.Restore()
	if got := Count(root, ownerA); got != 1 {
		t.Errorf("after restore: root count %d, want 1", got)
	}
}

// An entry goes with its user namespace: namespaces made and dropped in a
// loop leave nothing behind.
func TestEntryGoesWithItsNamespace(t *testing.T) {
	ns := child(t, auth.NewRootUserNamespace())
	SetMaxIPCNamespaces(ns, 7)
	key := weak.Make(ns)
	ns = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		mu.Lock()
		_, present := table[key]
		mu.Unlock()
		if !present {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the entry of an unreachable user namespace is still in the table")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A charge without its user namespace (an edited checkpoint image) fails
// the restore with an ImageError instead of a nil dereference.
func TestRestoreRefusesChargeWithoutUserNamespace(t *testing.T) {
	defer func() {
		var ie *loadcheck.ImageError
		if r := recover(); r == nil {
			t.Fatal("Restore of a charge without a user namespace succeeded")
		} else if err, ok := r.(error); !ok || !errors.As(err, &ie) || ie.Field != "UserNS" {
			t.Fatalf("Restore panicked with %v, want an ImageError about UserNS", r)
		}
	}()
	(&Charge{UID: 1000}).Restore()
}
