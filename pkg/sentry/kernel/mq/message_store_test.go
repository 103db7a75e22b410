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

func TestMessageStoreInterleavedAndRebuild(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var s messageStore
	var model []Message
	for i := 0; i < 5000; i++ {
		if len(model) > 0 && rng.Intn(3) == 0 {
			model = referenceOrder(model)
			want := model[0]
			model = model[1:]
			if got := s.pop(); got.Priority != want.Priority || string(got.Data) != string(want.Data) {
				t.Fatalf("step %d: pop = %+v, want %+v", i, got, want)
			}
			continue
		}
		m := Message{Priority: uint32(rng.Intn(600)), Data: []byte{byte(i)}}
		s.push(m)
		model = append(model, m)
	}
	// Dropping the Fenwick trees and rebuilding them, as a restore does,
	// keeps every index.
	restored := messageStore{blocks: s.blocks, count: s.count, bytes: s.bytes}
	for _, blk := range restored.blocks {
		if blk != nil {
			blk.counts = [slotsPerBlock]int32{}
		}
	}
	restored.afterLoad(context.Background())
	model = referenceOrder(model)
	for i, w := range model {
		if got := restored.peek(int64(i)); got.Priority != w.Priority || string(got.Data) != string(w.Data) {
			t.Fatalf("after rebuild peek(%d) = %+v, want %+v", i, got, w)
		}
	}
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
