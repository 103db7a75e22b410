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
	"bytes"
	stdctx "context"
	"errors"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/state"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// savableImpl is a RegistryImpl that can be saved.
type savableImpl struct{}

func (*savableImpl) Bind(*Registry)                         {}
func (*savableImpl) Destroy(context.Context)                {}
func (*savableImpl) StateTypeName() string                  { return "mq_test.savableImpl" }
func (*savableImpl) StateFields() []string                  { return nil }
func (*savableImpl) StateSave(state.Sink)                   {}
func (*savableImpl) StateLoad(stdctx.Context, state.Source) {}

// savableTarget is a NotifyTarget that can be saved.
type savableTarget struct{ recordingTarget }

func (*savableTarget) StateTypeName() string                  { return "mq_test.savableTarget" }
func (*savableTarget) StateFields() []string                  { return nil }
func (*savableTarget) StateSave(state.Sink)                   {}
func (*savableTarget) StateLoad(stdctx.Context, state.Source) {}

// image is the root of a test checkpoint: a namespace's registry and its
// queues (the kernel reaches queues through mqfs and descriptors).
type image struct {
	registry *Registry
	queues   []*Queue
}

func (*image) StateTypeName() string { return "mq_test.image" }
func (*image) StateFields() []string { return []string{"registry", "queues"} }
func (i *image) StateSave(s state.Sink) {
	s.Save(0, &i.registry)
	s.Save(1, &i.queues)
}
func (i *image) StateLoad(_ stdctx.Context, s state.Source) {
	s.Load(0, &i.registry)
	s.Load(1, &i.queues)
}

func init() {
	state.Register((*savableImpl)(nil))
	state.Register((*savableTarget)(nil))
	state.Register((*image)(nil))
}

// newImage returns a registry with queue "/q" (maxmsg 4, msgsize 8)
// holding three messages of priorities 1, 3 and 2, and a registration.
func newImage(t *testing.T) *image {
	t.Helper()
	ctx := testContext()
	r := NewRegistry(testUserNS, &savableImpl{})
	q, err := r.NewQueue(ctx, "q", &Attr{MaxMessages: 4, MaxMessageSize: 8})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	for _, p := range []uint32{1, 3, 2} {
		if err := q.Send(ctx, Message{Priority: p, Data: []byte("prio" + string(rune('0'+p)))}, nil); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if err := q.Notify(ctx, &Registration{Target: &savableTarget{}, Method: linux.SIGEV_SIGNAL, Signo: 10}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return &image{registry: r, queues: []*Queue{q}}
}

// saveLoad saves in and loads it into a new image.
func saveLoad(t *testing.T, in *image) (*image, error) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := state.Save(stdctx.Background(), &buf, in); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(image)
	_, err := state.Load(stdctx.Background(), &buf, out)
	return out, err
}

// wantImageError checks that loading fails with an ImageError (not any
// other panic recovered by the state package) about object and field.
func wantImageError(t *testing.T, err error, object, field string) {
	t.Helper()
	var ie *loadcheck.ImageError
	if !errors.As(err, &ie) {
		t.Fatalf("Load error = %v, want an ImageError about %s, %s", err, object, field)
	}
	if ie.Object != object || ie.Field != field {
		t.Fatalf("ImageError %q is about %q, %q; want %q, %q", ie, ie.Object, ie.Field, object, field)
	}
	if msg := loadcheck.RestoreError(err).Error(); strings.Contains(msg, "goroutine") || !strings.Contains(msg, object) {
		t.Errorf("RestoreError = %q: want the ImageError alone", msg)
	}
}

// +checklocksignore: the test reads and corrupts state no other goroutine uses.
func TestRestoreRoundTrip(t *testing.T) {
	in := newImage(t)
	out, err := saveLoad(t, in)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	q := out.queues[0]
	if n, b := q.Stat(); n != 3 || b != 15 {
		t.Errorf("restored Stat = %d messages, %d bytes; want 3, 15", n, b)
	}
	if out.registry.QueueCount() != 1 || q.registry != out.registry {
		t.Errorf("restored registry counts %d queues", out.registry.QueueCount())
	}
	cost := q.attr.chargedBytes()
	if got := out.registry.charged[q.chargedTo]; got != cost {
		t.Errorf("restored charge %d, want %d", got, cost)
	}
	if got := out.registry.users.bytes[q.chargedTo]; got != cost {
		t.Errorf("restored user usage %d, want %d", got, cost)
	}
	ctx := testContext()
	for _, want := range []uint32{3, 2, 1} {
		m, err := q.Receive(ctx, 8, nil)
		if err != nil || m.Priority != want {
			t.Fatalf("Receive = %+v, %v; want priority %d", m, err, want)
		}
	}
	// Released, the queue returns exactly what it charged.
	q.Unlinked()
	if out.registry.QueueCount() != 0 || len(out.registry.charged) != 0 || out.registry.users.bytes[q.chargedTo] != 0 {
		t.Errorf("after release: %d queues, charges %v", out.registry.QueueCount(), out.registry.charged)
	}
}

// A released queue that the image still holds (an unlinked name the
// filesystem keeps cached) counts and charges nothing after restore, as
// before the checkpoint.
//
// +checklocksignore: the test reads and corrupts state no other goroutine uses.
func TestRestoreReleasedQueueNotCharged(t *testing.T) {
	in := newImage(t)
	live, err := in.registry.NewQueue(testContext(), "live", &Attr{MaxMessages: 1, MaxMessageSize: 1})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	in.queues[0].Unlinked()
	in.queues = append(in.queues, live)
	out, err := saveLoad(t, in)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := out.registry.QueueCount(); n != 1 {
		t.Errorf("restored registry counts %d queues, want 1", n)
	}
	if got, want := out.registry.charged[live.chargedTo], live.attr.chargedBytes(); got != want {
		t.Errorf("restored charge %d, want %d (the live queue's)", got, want)
	}
}

// Each case breaks one invariant of the saved state; loading must fail
// with an error naming the queue and the field, never panic and never
// restore the queue.
//
// +checklocksignore: the test reads and corrupts state no other goroutine uses.
func TestRestoreRefusesBrokenQueue(t *testing.T) {
	const queue = `POSIX message queue "/q"`
	for _, tc := range []struct {
		name    string
		corrupt func(*image)
		object  string
		field   string
	}{
		{"maxmsg zero", func(i *image) { i.queues[0].attr.MaxMessages = 0 }, queue, "maxmsg"},
		{"maxmsg negative", func(i *image) { i.queues[0].attr.MaxMessages = -10 }, queue, "maxmsg"},
		{"maxmsg above the hard limit", func(i *image) { i.queues[0].attr.MaxMessages = MsgMaxHard + 1 }, queue, "maxmsg"},
		{"curmsgs above maxmsg", func(i *image) { i.queues[0].attr.MaxMessages = 1 }, queue, "curmsgs"},
		{"msgsize zero", func(i *image) { i.queues[0].attr.MaxMessageSize = 0 }, queue, "msgsize"},
		{"msgsize above the hard limit", func(i *image) { i.queues[0].attr.MaxMessageSize = MsgSizeMaxHard + 1 }, queue, "msgsize"},
		{"message larger than msgsize", func(i *image) { i.queues[0].attr.MaxMessageSize = 1 }, queue, "messages[0].size"},
		{"priority not below MQ_PRIO_MAX", func(i *image) { i.queues[0].messages.peek(1).Priority = linux.MQ_PRIO_MAX }, queue, "messages[1].priority"}, // +checklocksignore
		{"priority far above MQ_PRIO_MAX", func(i *image) { i.queues[0].messages.peek(2).Priority = 1 << 31 }, queue, "messages[2].priority"},           // +checklocksignore
		{"negative open descriptors", func(i *image) { i.queues[0].openFDs = -1 }, queue, "openFDs"},                                                    // +checklocksignore
		{"negative watchers", func(i *image) { i.queues[0].watchers = -1 }, queue, "watchers"},                                                          // +checklocksignore
		{"no user charged", func(i *image) { i.queues[0].chargedTo = auth.NoID }, queue, "chargedTo"},
		{"notification method", func(i *image) { i.queues[0].registration.Method = 99 }, queue, "registration.Method"},                    // +checklocksignore
		{"notification signal", func(i *image) { i.queues[0].registration.Signo = linux.SignalMaximum + 1 }, queue, "registration.Signo"}, // +checklocksignore
		{"notification target", func(i *image) { i.queues[0].registration.Target = nil }, queue, "registration.Target"},                   // +checklocksignore
		{"no registry", func(i *image) { i.queues[0].registry = nil }, queue, "registry"},
		{"registry limits", func(i *image) { i.registry.limits.MsgMax = MsgMaxHard + 1 }, registryName, "limits"}, // +checklocksignore
		{"registry without filesystem", func(i *image) { i.registry.impl = nil }, registryName, "impl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newImage(t)
			tc.corrupt(in)
			_, err := saveLoad(t, in)
			wantImageError(t, err, tc.object, tc.field)
		})
	}
}
