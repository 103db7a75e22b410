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

package example

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/state"

	subpkg "github.com/mqsentry/mqsentry/tools/stateify/internal/example/sub"
)

func newOuter() *Outer {
	shared := &Item{ID: 7, Tags: Names{"shared"}}
	o := &Outer{
		Inner:   Inner{A: 1, B: "inner"},
		Value:   &subpkg.Value{N: 2, Text: "embedded ptr"},
		name:    "outer",
		count:   Count(42),
		flags:   subpkg.Flags(0x5),
		names:   Names{"a", "b"},
		items:   []Item{{ID: 1}, {ID: 2, Tags: Names{"x"}}},
		index:   Index{"shared": shared},
		byName:  map[string]int{"one": 1, "two": 2},
		ptr:     shared,
		array:   [3]uint16{1, 2, 3},
		iface:   &Item{ID: 9},
		waited:  shared,
		conv:    converted{n: 5, text: "conv", fn: func() {}},
		ts:      1234,
		cache:   map[string]int{"dropped": 1},
		manual:  99,
		ignored: notSavable{fn: func() {}},
	}
	o.self = o
	return o
}

func roundTrip(t *testing.T, in *Outer) *Outer {
	t.Helper()
	var buf bytes.Buffer
	if _, err := state.Save(context.Background(), &buf, in); err != nil {
		t.Fatalf("Save: %v", err)
	}
	out := new(Outer)
	if _, err := state.Load(context.Background(), &buf, out); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	in := newOuter()
	out := roundTrip(t, in)

	if in.saves != 1 {
		t.Errorf("user beforeSave ran %d times, want 1", in.saves)
	}
	if !out.loaded {
		t.Errorf("user afterLoad did not run")
	}
	// Unsaved fields come back zero.
	if out.cache != nil || out.manual != 0 || out.ignored.fn != nil {
		t.Errorf("nosave/manual fields were restored: cache=%v manual=%d", out.cache, out.manual)
	}
	if out.conv.fn != nil || out.conv.n != 5 || out.conv.text != "conv" {
		t.Errorf(".(T) field: got %+v", out.conv)
	}
	if out.ts != in.ts {
		t.Errorf(".(int64) field: got %d, want %d", out.ts, in.ts)
	}
	// Pointer identity is preserved.
	if out.self != out {
		t.Errorf("self pointer not restored to root")
	}
	if out.ptr != out.index["shared"] || out.ptr != out.waited {
		t.Errorf("shared pointers not aliased after load")
	}

	// Everything else must be equal.
	in.saves, in.cache, in.manual, in.ignored = 0, nil, 0, notSavable{}
	in.conv.fn = nil
	out.loaded = false
	in.self, out.self = nil, nil
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip mismatch:\n in: %+v\nout: %+v", in, out)
	}
}

func TestZeroValueEnforced(t *testing.T) {
	in := newOuter()
	in.dead = true
	var buf bytes.Buffer
	_, err := state.Save(context.Background(), &buf, in)
	if err == nil || !strings.Contains(err.Error(), "dead is") {
		t.Fatalf("Save with non-zero zerovalue field: err = %v, want failure mentioning dead", err)
	}
}
