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
	"errors"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/state"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/loadcheck"
)

// Each case breaks one invariant of a saved id table: loading must fail
// with an error naming the table or object and the field, never panic (an
// index out of the bitmap's range would).
func TestRestoreRefusesBrokenTable(t *testing.T) {
	for _, tc := range []struct {
		name          string
		corrupt       func(r *Registry)
		object, field string
	}{
		{"index out of range", func(r *Registry) { r.objects[IndexCount] = r.objects[1]; delete(r.objects, 1) },
			tableName, "objects[32768]"},
		{"negative index", func(r *Registry) { r.objects[-1] = r.objects[1]; delete(r.objects, 1) },
			tableName, "objects[-1]"},
		{"no object", func(r *Registry) { r.objects[1] = (*object)(nil) }, tableName, "objects[1]"},
		{"id not at its index", func(r *Registry) { r.objects[1].IPCPerm().ID = MakeID(3, 2) }, "IPC object id 98306", "id"},
		{"negative id", func(r *Registry) { r.objects[1].IPCPerm().ID = -1 }, "IPC object id -1", "id"},
		{"key missing from keys", func(r *Registry) { delete(r.keys, 0x11) }, "IPC object id 1", "key"},
		{"key of no object", func(r *Registry) { r.keys[0x99] = 5 }, tableName, "keys[0x99]"},
		{"IPC_PRIVATE in keys", func(r *Registry) { r.keys[IPCPrivate] = 2 }, tableName, "keys[0x0]"},
		{"duplicate key", func(r *Registry) { r.objects[2].IPCPerm().Key = 0x11 }, "IPC object id 2", "key"},
		{"mode bits", func(r *Registry) { r.objects[0].IPCPerm().Mode = 07777 }, "IPC object id 0", "mode"},
		{"maxIndex", func(r *Registry) { r.maxIndex = 1 }, tableName, "maxIndex"},
		{"seq", func(r *Registry) { r.seq = SeqMax }, tableName, "seq"},
		{"lastIndex", func(r *Registry) { r.lastIndex = IndexCount }, tableName, "lastIndex"},
		{"cursor", func(r *Registry) { r.cursor = -1 }, tableName, "cursor"},
		{"nextID", func(r *Registry) { r.nextID = -2 }, tableName, "nextID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry(userNS)
			mustGet(t, r, root(), 0x10, linux.IPC_CREAT|0600)
			mustGet(t, r, root(), 0x11, linux.IPC_CREAT|0600)
			mustGet(t, r, root(), IPCPrivate, 0600)
			tc.corrupt(r)
			var buf bytes.Buffer
			if _, err := state.Save(context.Background(), &buf, r); err != nil {
				t.Fatalf("Save: %v", err)
			}
			_, err := state.Load(context.Background(), &buf, new(Registry))
			var ie *loadcheck.ImageError
			if !errors.As(err, &ie) || ie.Object != tc.object || ie.Field != tc.field {
				t.Fatalf("Load error = %v, want an loadcheck.ImageError about %q, %q", err, tc.object, tc.field)
			}
			if msg := loadcheck.RestoreError(err).Error(); msg != ie.Error() || strings.Contains(msg, "goroutine") {
				t.Errorf("loadcheck.RestoreError = %q, want %q alone", msg, ie)
			}
		})
	}
}

// loadcheck.RestoreError leaves other errors as they are.
func TestRestoreErrorOfOtherErrors(t *testing.T) {
	err := errors.New("header error")
	if got := loadcheck.RestoreError(err); got != err {
		t.Errorf("loadcheck.RestoreError(%v) = %v", err, got)
	}
}
