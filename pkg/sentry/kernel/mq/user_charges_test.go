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
	"testing"

	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/limits"
)

// A user's RLIMIT_MSGQUEUE usage counts across IPC namespaces, those of
// child user namespaces included: a new namespace is no fresh allowance.
// Another kernel (another root user namespace) has its own accounting.
func TestRlimitChargesSpanIPCNamespaces(t *testing.T) {
	rootNS := auth.NewRootUserNamespace()
	user := auth.NewUserCredentials(1000, 1000, nil, nil, rootNS)
	ls := limits.NewLimitSet()
	ls.SetUnchecked(limits.MessageQueueBytes, limits.Limit{Cur: 100000, Max: 100000})
	ctx := context.WithValue(auth.ContextWithCredentials(context.Background(), user), limits.CtxLimits, ls)

	first := NewRegistry(rootNS, nopImpl{})
	q, err := first.NewQueue(ctx, "q", nil) // 10 x 8192 bytes and overheads
	if err != nil {
		t.Fatalf("first queue: %v", err)
	}
	second := NewRegistry(rootNS, nopImpl{})
	if _, err := second.NewQueue(ctx, "q", nil); !linuxerr.Equals(linuxerr.EMFILE, err) {
		t.Fatalf("queue in a second IPC namespace: %v, want EMFILE", err)
	}
	childNS, err := user.NewChildUserNamespace()
	if err != nil {
		t.Fatal(err)
	}
	inChild := NewRegistry(childNS, nopImpl{})
	if _, err := inChild.NewQueue(ctx, "q", nil); !linuxerr.Equals(linuxerr.EMFILE, err) {
		t.Fatalf("queue in a child user namespace's IPC namespace: %v, want EMFILE", err)
	}

	otherKernel := NewRegistry(auth.NewRootUserNamespace(), nopImpl{})
	if _, err := otherKernel.NewQueue(ctx, "q", nil); err != nil {
		t.Fatalf("another kernel's namespace: %v", err)
	}

	// Released anywhere, the charge is available everywhere.
	q.Unlinked()
	if _, err := second.NewQueue(ctx, "q", nil); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// A restored queue charges itself to its users' usage again.
func TestRlimitChargesRestored(t *testing.T) {
	rootNS := auth.NewRootUserNamespace()
	r := &Registry{userNS: rootNS, impl: nopImpl{}, limits: DefaultLimits()}
	// 11 x 8000 bytes and overheads: 89056 bytes.
	q := &Queue{registry: r, name: "q", attr: Attr{MaxMessages: 11, MaxMessageSize: 8000}, chargedTo: 1000, linked: true}
	q.afterLoad(context.Background())
	r.afterLoad(context.Background())
	if r.QueueCount() != 1 || r.charged[1000] != q.attr.chargedBytes() {
		t.Fatalf("restored registry: %d queues, charges %v", r.QueueCount(), r.charged)
	}
	user := auth.NewUserCredentials(1000, 1000, nil, nil, rootNS)
	ls := limits.NewLimitSet()
	ls.SetUnchecked(limits.MessageQueueBytes, limits.Limit{Cur: 100000, Max: 100000})
	ctx := context.WithValue(auth.ContextWithCredentials(context.Background(), user), limits.CtxLimits, ls)
	other := NewRegistry(rootNS, nopImpl{})
	if _, err := other.NewQueue(ctx, "q", &Attr{MaxMessages: 10, MaxMessageSize: 1024}); !linuxerr.Equals(linuxerr.EMFILE, err) {
		t.Fatalf("restored usage not counted: %v, want EMFILE", err)
	}
	if _, err := other.NewQueue(ctx, "q", &Attr{MaxMessages: 1, MaxMessageSize: 1024}); err != nil {
		t.Fatalf("a queue within what is left: %v", err)
	}
}
