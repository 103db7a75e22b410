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

// Package example is test input for tools/stateify: it has savable types
// covering the supported tags, and its generated file is checked in and kept
// up to date by tools/stateify's tests (see example_test.go for a
// save/restore round trip).
package example

import (
	"context"

	subpkg "github.com/mqsentry/mqsentry/tools/stateify/internal/example/sub"
)

// Inner is embedded in Outer.
//
// +stateify savable
type Inner struct {
	A int
	B string
}

// Count is a savable named basic type.
//
// +stateify savable
type Count int64

// Names is a savable named slice type.
//
// +stateify savable
type Names []string

// Index is a savable named map type.
//
// +stateify savable
type Index map[string]*Item

type (
	// Item is declared in a parenthesized group.
	//
	// +stateify savable
	Item struct {
		ID   int
		Tags Names
	}

	// notSavable has no directive and gets no methods.
	notSavable struct{ fn func() }
)

// converted is not savable itself; Outer saves it as a sub.Value.
type converted struct {
	n    int
	text string
	fn   func()
}

// Outer exercises every supported field form.
//
// +stateify savable
type Outer struct {
	Inner
	*subpkg.Value

	name    string
	count   Count
	flags   subpkg.Flags
	names   Names
	items   []Item
	index   Index
	byName  map[string]int
	ptr     *Item
	self    *Outer
	array   [3]uint16
	iface   any
	waited  *Item          `state:"wait"`
	conv    converted      `state:".(subpkg.Value)"`
	ts      int64          `state:".(int64)"`
	cache   map[string]int `state:"nosave"`
	manual  int            `state:"manual"`
	dead    bool           `state:"zerovalue"`
	_       int
	ignored notSavable `state:"nosave"`

	// Hook bookkeeping, not saved.
	saves  int  `state:"nosave"`
	loaded bool `state:"nosave"`
}

func (o *Outer) beforeSave() { o.saves++ }

func (o *Outer) afterLoad(context.Context) { o.loaded = true }

func (o *Outer) saveConv() subpkg.Value {
	return subpkg.Value{N: o.conv.n, Text: o.conv.text}
}

func (o *Outer) loadConv(_ context.Context, v subpkg.Value) {
	o.conv = converted{n: v.N, text: v.Text}
}

// saveTs/loadTs encode ts doubled on the wire, so a round trip only
// preserves ts if both conversions run.
func (o *Outer) saveTs() int64 { return o.ts * 2 }

func (o *Outer) loadTs(_ context.Context, v int64) { o.ts = v / 2 }
