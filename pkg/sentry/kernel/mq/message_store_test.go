package mq

import (
	"context"
	"math/rand"
	"sort"
	"testing"
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
	var total int32
	for b, blk := range s.index.blocks {
		if blk == nil {
			continue
		}
		var inBlock int32
		for w := range slotsPerBlock {
			n := int32(0)
			if f := blk.fifos[w]; f != nil {
				n = int32(f.len)
			}
			if !s.indexed() {
				n = 0
			}
			inBlock += n
		}
		// The tree's root (last element) holds the block's total.
		if got := blk.counts[slotsPerBlock-1]; got != inBlock {
			t.Fatalf("step %d: block %d counts %d, want %d (indexed %v)", step, b, got, inBlock, s.indexed())
		}
		total += inBlock
	}
	if got := s.index.blockCounts[slotBlocks-1]; got != total {
		t.Fatalf("step %d: blockCounts total %d, want %d", step, got, total)
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
	restored := &Queue{}
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
