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
	"bytes"
	stdctx "context"
	"errors"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/state"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/sysvipc"
)

// newRestoreRegistry returns a registry with two queues: key 0x10 holding
// messages of types 1 and 2, and an empty IPC_PRIVATE one.
func newRestoreRegistry(t *testing.T) (*Registry, *Queue, *Queue) {
	t.Helper()
	r := NewRegistry(userNS)
	creds := userCreds(1000, 1000)
	full, err := r.Get(ctx, creds, 0x10, linux.IPC_CREAT|0600)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []int64{1, 2} {
		if err := full.Send(ctx, Caller{Creds: creds, PID: 5}, &Message{Type: typ, Text: []byte("msg")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	empty, err := r.Get(ctx, creds, sysvipc.IPCPrivate, 0600)
	if err != nil {
		t.Fatal(err)
	}
	return r, full, empty
}

// Each case breaks one invariant of a saved queue or registry: loading must
// fail with an error naming the queue and the field, never panic.
func TestRestoreRefusesBrokenQueue(t *testing.T) {
	for _, tc := range []struct {
		name          string
		corrupt       func(r *Registry, full, empty *Queue)
		object, field string
	}{
		{"mtype zero", func(_ *Registry, full, _ *Queue) { full.messages.nth(1).Type = 0 }, // +checklocksignore
			"System V message queue id 0", "messages[1].mtype"},
		{"mtype negative", func(_ *Registry, full, _ *Queue) { full.messages.nth(0).Type = -3 }, // +checklocksignore
			"System V message queue id 0", "messages[0].mtype"},
		{"negative pid", func(_ *Registry, full, _ *Queue) { full.lspid = -1 }, // +checklocksignore
			"System V message queue id 0", "lspid/lrpid"},
		{"removed queue in the table", func(_ *Registry, _, empty *Queue) { empty.dead = true }, // +checklocksignore
			"System V message queue id 1", "dead"},
		{"queue of another registry", func(_ *Registry, _, empty *Queue) { empty.registry = NewRegistry(userNS) },
			"System V message queue id 1", "registry"},
		{"msgmni above IPCMNI", func(r *Registry, _, _ *Queue) { r.limits.MsgMni = sysvipc.IndexCount + 1 }, // +checklocksignore
			"System V message queue registry", "limits"},
		{"negative msgmax", func(r *Registry, _, _ *Queue) { r.limits.MsgMax = -1 }, // +checklocksignore
			"System V message queue registry", "limits"},
		{"id not at its index", func(_ *Registry, _, empty *Queue) { empty.perm.ID = sysvipc.MakeID(0, 7) },
			"IPC object id 7", "id"},
		{"key of another queue", func(_ *Registry, _, empty *Queue) { empty.perm.Key = 0x10 },
			"IPC object id 1", "key"},
		{"mode bits", func(_ *Registry, full, _ *Queue) { full.perm.Mode = 01600 }, // +checklocksignore
			"IPC object id 0", "mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, full, empty := newRestoreRegistry(t)
			tc.corrupt(r, full, empty)
			var buf bytes.Buffer
			if _, err := state.Save(stdctx.Background(), &buf, r); err != nil {
				t.Fatalf("Save: %v", err)
			}
			_, err := state.Load(stdctx.Background(), &buf, new(Registry))
			var ie *loadcheck.ImageError
			if !errors.As(err, &ie) || ie.Object != tc.object || ie.Field != tc.field {
				t.Fatalf("Load error = %v, want an ImageError about %q, %q", err, tc.object, tc.field)
			}
		})
	}
}

// A removed queue, which only a blocked caller may still hold, has no
// messages.
func TestRestoreRefusesRemovedQueueWithMessages(t *testing.T) {
	r, full, _ := newRestoreRegistry(t)
	if err := r.Remove(auth.NewRootCredentials(userNS), full.ID()); err != nil {
		t.Fatal(err)
	}
	full.messages.push(&Message{Type: 1, Text: []byte("x")}) // +checklocksignore: corrupts a queue no one uses.
	var buf bytes.Buffer
	if _, err := state.Save(stdctx.Background(), &buf, full); err != nil {
		t.Fatalf("Save: %v", err)
	}
	_, err := state.Load(stdctx.Background(), &buf, new(Queue))
	var ie *loadcheck.ImageError
	if !errors.As(err, &ie) || ie.Object != "System V message queue id 0" || ie.Field != "messages" {
		t.Fatalf("Load error = %v, want an ImageError about the messages of queue 0", err)
	}
}

// MSG_INFO's totals are rebuilt from the restored queues, not taken from
// the image.
func TestRestoreRebuildsTotals(t *testing.T) {
	r, _, _ := newRestoreRegistry(t)
	r.messages.Store(1000)
	r.bytes.Store(-5)
	var buf bytes.Buffer
	if _, err := state.Save(stdctx.Background(), &buf, r); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(Registry)
	if _, err := state.Load(stdctx.Background(), &buf, out); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if info := out.Info(true); info.MsgMap != 2 || info.MsgTql != 6 {
		t.Errorf("totals after restore: %d messages, %d bytes; want 2, 6", info.MsgMap, info.MsgTql)
	}
}
