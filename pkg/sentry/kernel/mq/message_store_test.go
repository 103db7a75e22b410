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
	"context"
	"math/rand"
	"sort"
	"testing"
	"unsafe"

	"gvisor.dev/gvisor/pkg/abi/linux"
)

// referenceOrder sorts messages as mq_receive returns them: priority
// descending, arrival order within a priority.
func referenceOrder(msgs []Message) []Message {
	out := append([]Message(nil), msgs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	return out
}

func TestMessageStoreOrderAndPeek(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var s messageStore
	var sent []Message
	for i := 0; i < 2000; i++ {
		// Mix a few hot priorities with spread-out ones across blocks.
		p := uint32(rng.Intn(4))
		if i%3 == 0 {
			p = uint32(rng.Intn(32768))
		}
		m := Message{Priority: p, Data: []byte{byte(i), byte(i >> 8)}}
		s.push(m)
		sent = append(sent, m)
	}
	want := referenceOrder(sent)
	for i, w := range want {
		got := s.peek(int64(i))
		if got == nil || got.Priority != w.Priority || string(got.Data) != string(w.Data) {
			t.Fatalf("peek(%d) = %+v, want %+v", i, got, w)
		}
	}
	if s.peek(int64(len(want))) != nil || s.peek(-1) != nil {
		t.Fatalf("peek out of range returned a message")
	}
	for i, w := range want {
		got := s.pop()
		if got.Priority != w.Priority || string(got.Data) != string(w.Data) {
			t.Fatalf("pop %d = %+v, want %+v", i, got, w)
		}
	}
	if s.count != 0 || s.bytes != 0 {
		t.Fatalf("store not empty after draining: count %d bytes %d", s.count, s.bytes)
	}
}

// checkStore compares s with the model (in receive order) and checks the
// index's invariants: the trees count every message while two or more FIFOs
// are non-empty, and nothing otherwise.
func checkStore(t *testing.T, step int, s *messageStore, model []Message) {
	t.Helper()
	if s.count != int64(len(model)) {
		t.Fatalf("step %d: count %d, want %d", step, s.count, len(model))
	}
	var bytes uint64
	for i, w := range model {
		bytes += uint64(len(w.Data))
		if got := s.peek(int64(i)); got == nil || got.Priority != w.Priority || string(got.Data) != string(w.Data) {
			t.Fatalf("step %d: peek(%d) = %+v, want %+v", step, i, got, w)
		}
	}
	if s.bytes != bytes {
		t.Fatalf("step %d: bytes %d, want %d", step, s.bytes, bytes)
	}
	prios := map[uint32]bool{}
	for _, m := range model {
		prios[m.Priority] = true
	}
	if s.nonEmpty != len(prios) {
		t.Fatalf("step %d: nonEmpty %d, want %d", step, s.nonEmpty, len(prios))
	}
	if s.index == nil {
		return
	}
	// The index holds exactly the non-empty FIFOs while indexed, nothing
	// otherwise.
	var total int32
	for b, blk := range s.index.blocks {
		if blk == nil {
			continue
		}
		if !s.indexed() {
			t.Fatalf("step %d: block %d in the index of a store with %d non-empty FIFOs", step, b, s.nonEmpty)
		}
		var inBlock int32
		used := 0
		for w, f := range blk.fifos {
			if f == nil {
				continue
			}
			if f.len == 0 || !prios[uint32(linux.MQ_PRIO_MAX-1-(b*slotsPerBlock+w))] {
				t.Fatalf("step %d: slot %d has an empty or unexpected FIFO (len %d)", step, b*slotsPerBlock+w, f.len)
			}
			used++
			inBlock += int32(f.len)
		}
		if used == 0 || used != blk.used {
			t.Fatalf("step %d: block %d holds %d FIFOs, records %d", step, b, used, blk.used)
		}
		// The tree's root (last element) holds the block's total.
		if got := blk.counts[slotsPerBlock-1]; got != inBlock {
			t.Fatalf("step %d: block %d counts %d, want %d", step, b, got, inBlock)
		}
		total += inBlock
	}
	if got := s.index.blockCounts[slotBlocks-1]; got != total {
		t.Fatalf("step %d: blockCounts total %d, want %d", step, got, total)
	}
	if s.indexed() && int64(total) != s.count {
		t.Fatalf("step %d: index counts %d of %d messages", step, total, s.count)
	}
}

// storeHeapBytes is the heap the store's structures hold (rings' buffers
// counted at capacity), not the payloads.
func storeHeapBytes(s *messageStore) uintptr {
	ringBytes := func(r *messageRing) uintptr {
		if r == nil {
			return 0
		}
		return unsafe.Sizeof(*r) + uintptr(cap(r.buf))*unsafe.Sizeof(Message{})
	}
	n := ringBytes(s.head)
	if s.index == nil {
		return n
	}
	n += unsafe.Sizeof(*s.index)
	blocks := append([]*slotBlock(nil), s.index.spareBlockList[:s.index.numSpareBlocks]...)
	for _, blk := range s.index.blocks {
		if blk != nil {
			blocks = append(blocks, blk)
		}
	}
	for _, blk := range blocks {
		n += unsafe.Sizeof(*blk)
		for _, f := range blk.fifos {
			if f != s.head {
				n += ringBytes(f)
			}
		}
	}
	for _, r := range s.index.spareRingList[:s.index.numSpareRings] {
		n += ringBytes(r)
	}
	return n
}

// storeConstantBytes bounds what a store holds beyond its messages: the
// index's tables, its spare blocks and FIFOs, and the head FIFO.
var storeConstantBytes = unsafe.Sizeof(slotIndex{}) + spareBlocks*unsafe.Sizeof(slotBlock{}) +
	(spareRings+1)*(unsafe.Sizeof(messageRing{})+smallRingCap*unsafe.Sizeof(Message{}))

// storeBytesPerMessage bounds what each queued message adds: at worst its
// own FIFO (ring header, a buffer of at most 4 slots per message once
// shrunk) and its share of a block.
var storeBytesPerMessage = unsafe.Sizeof(messageRing{}) + 4*unsafe.Sizeof(Message{}) + unsafe.Sizeof(slotBlock{})

// TestMessageStoreMemoryFollowsMessages cycles every priority through a
// queue that keeps one message queued (the pattern that used to pin a FIFO
// per priority and a block per 256): the store must end holding its
// constant part only, and never more than that plus a bound per message
// held.
func TestMessageStoreMemoryFollowsMessages(t *testing.T) {
	var s messageStore
	var model []Message
	s.push(Message{Priority: 0})
	model = append(model, Message{Priority: 0})
	for p := uint32(1); p < linux.MQ_PRIO_MAX; p++ {
		m := Message{Priority: p, Data: []byte{byte(p)}}
		s.push(m)
		if got := storeHeapBytes(&s); got > storeConstantBytes+2*storeBytesPerMessage {
			t.Fatalf("priority %d: store holds %d bytes, bound %d", p, got, storeConstantBytes+2*storeBytesPerMessage)
		}
		if got := s.pop(); got.Priority != p {
			t.Fatalf("pop = priority %d, want %d", got.Priority, p)
		}
	}
	checkStore(t, 0, &s, model)
	if got := storeHeapBytes(&s); got > storeConstantBytes+storeBytesPerMessage {
		t.Fatalf("after cycling every priority the store holds %d bytes, bound %d", got, storeConstantBytes+storeBytesPerMessage)
	}

	// A FIFO that once held many messages gives their room back as it
	// drains while other priorities are queued.
	for i := 0; i < 4096; i++ {
		s.push(Message{Priority: 7})
	}
	for i := 0; i < 4095; i++ {
		s.pop()
	}
	model = []Message{{Priority: 7}, {Priority: 0}}
	checkStore(t, 1, &s, model)
	if got := storeHeapBytes(&s); got > storeConstantBytes+2*storeBytesPerMessage {
		t.Fatalf("after draining a deep FIFO the store holds %d bytes, bound %d", got, storeConstantBytes+2*storeBytesPerMessage)
	}
}

// TestMessageStoreSteadyPathsDoNotAllocate: one priority, and up to
// spareRings priorities within at most spareBlocks blocks taking turns,
// reuse the head FIFO and the spares.
func TestMessageStoreSteadyPathsDoNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prios []uint32
	}{
		{"one priority", []uint32{1}},
		{"two priorities in two blocks", []uint32{0, 1000}},
		{"four priorities in two blocks", []uint32{3, 9, 200, 700}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s messageStore
			data := []byte("x")
			cycle := func() {
				for _, p := range tc.prios {
					s.push(Message{Priority: p, Data: data})
				}
				for range tc.prios {
					s.pop()
				}
			}
			cycle() // the first use allocates the FIFOs, blocks and index
			if allocs := testing.AllocsPerRun(100, cycle); allocs != 0 {
				t.Errorf("%v allocations per cycle, want 0", allocs)
			}
		})
	}
}

func TestMessageStoreInterleavedAndSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	q := &Queue{}
	var model []Message
	for i := 0; i < 5000; i++ {
		// Phases of one priority and of mixed priorities, so the store
		// goes in and out of indexed mode.
		spread := 1
		if (i/500)%2 == 1 {
			spread = 600
		}
		if len(model) > 0 && rng.Intn(2) == 0 {
			want := model[0]
			model = model[1:]
			if got := q.messages.pop(); got.Priority != want.Priority || string(got.Data) != string(want.Data) {
				t.Fatalf("step %d: pop = %+v, want %+v", i, got, want)
			}
		} else {
			m := Message{Priority: uint32(5 + rng.Intn(spread)), Data: []byte{byte(i), byte(i >> 8)}}
			q.messages.push(m)
			model = referenceOrder(append(model, m))
		}
		if i%50 == 0 {
			checkStore(t, i, &q.messages, model)
		}
	}
	// The image holds the messages in receive order; loading them gives
	// the same store.
	restored := &Queue{attr: Attr{MaxMessages: MsgMaxHard, MaxMessageSize: 2}}
	restored.loadMessages(context.Background(), q.saveMessages())
	checkStore(t, -1, &restored.messages, model)
}

func TestFenwickFind(t *testing.T) {
	tree := make([]int32, 8)
	counts := []int32{0, 3, 0, 1, 0, 0, 2, 0}
	for i, c := range counts {
		fenwickAdd(tree, i, c)
	}
	for k, want := range []struct {
		elem int
		off  int32
	}{{1, 0}, {1, 1}, {1, 2}, {3, 0}, {6, 0}, {6, 1}} {
		elem, off := fenwickFind(tree, int32(k))
		if elem != want.elem || off != want.off {
			t.Errorf("find(%d) = (%d,%d), want (%d,%d)", k, elem, off, want.elem, want.off)
		}
	}
}
