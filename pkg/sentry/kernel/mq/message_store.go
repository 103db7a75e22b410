package mq

import (
	"context"

	"gvisor.dev/gvisor/pkg/abi/linux"
)

// Messages are kept in one FIFO per priority. Receive order (highest priority
// first, FIFO within a priority) is mapped onto ascending "slots"
// (slot = MQ_PRIO_MAX-1-priority) so that the n-th message in receive order
// is found with two Fenwick-tree searches: one over blocks of slots, one
// within the block. Push, pop and peek at any depth are all O(log P), and a
// block's per-slot tables are allocated only once a priority in it is used,
// so an ordinary queue costs one block.
const (
	slotsPerBlock = 256
	slotBlocks    = linux.MQ_PRIO_MAX / slotsPerBlock
)

// Message is one queued POSIX message.
//
// +stateify savable
type Message struct {
	Priority uint32
	Data     []byte
}

// messageRing is a growable FIFO of messages of one priority. Its capacity
// is zero or a power of two, so positions wrap with a mask.
//
// +stateify savable
type messageRing struct {
	buf  []Message
	head int
	len  int
}

func (r *messageRing) push(m Message) {
	if r.len == len(r.buf) {
		grown := make([]Message, max(4, 2*len(r.buf)))
		for i := 0; i < r.len; i++ {
			grown[i] = *r.at(i)
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.len)&(len(r.buf)-1)] = m
	r.len++
}

func (r *messageRing) pop() Message {
	m := r.buf[r.head]
	r.buf[r.head] = Message{}
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.len--
	return m
}

func (r *messageRing) at(i int) *Message {
	return &r.buf[(r.head+i)&(len(r.buf)-1)]
}

// fenwickAdd adds delta to element i of the Fenwick tree t.
func fenwickAdd(t []int32, i int, delta int32) {
	for i++; i <= len(t); i += i & -i {
		t[i-1] += delta
	}
}

// fenwickFind returns the element holding the k-th unit (0-based) of the
// Fenwick tree t, whose length is a power of two, and k's offset within it.
// The caller guarantees k is less than the tree's total.
func fenwickFind(t []int32, k int32) (int, int32) {
	pos := 0
	for step := len(t); step > 0; step >>= 1 {
		if next := pos + step; next <= len(t) && t[next-1] <= k {
			pos = next
			k -= t[next-1]
		}
	}
	return pos, k
}

// slotBlock holds the FIFOs of slotsPerBlock consecutive priorities.
//
// +stateify savable
type slotBlock struct {
	// fifos are allocated on a priority's first message and kept, so a
	// block costs ~3 KiB plus what its priorities in use need, and the
	// steady state does not allocate.
	fifos [slotsPerBlock]*messageRing
	// counts is a Fenwick tree over fifos' lengths, rebuilt after restore.
	counts [slotsPerBlock]int32 `state:"nosave"`
}

// messageStore is the set of messages of one queue.
//
// +stateify savable
type messageStore struct {
	blocks [slotBlocks]*slotBlock
	// blockCounts is a Fenwick tree over the blocks' message counts, rebuilt
	// after restore.
	blockCounts [slotBlocks]int32 `state:"nosave"`
	// headSlot is the slot of the next message in receive order while
	// count > 0: receive and peek(0) read it instead of searching the
	// trees. Rebuilt after restore.
	headSlot int `state:"nosave"`
	count    int64
	bytes    uint64
}

func slotOf(priority uint32) (block, within int) {
	slot := linux.MQ_PRIO_MAX - 1 - int(priority)
	return slot / slotsPerBlock, slot % slotsPerBlock
}

func (s *messageStore) push(m Message) {
	b, w := slotOf(m.Priority)
	if slot := b*slotsPerBlock + w; s.count == 0 || slot < s.headSlot {
		s.headSlot = slot
	}
	blk := s.blocks[b]
	if blk == nil {
		blk = &slotBlock{}
		s.blocks[b] = blk
	}
	fifo := blk.fifos[w]
	if fifo == nil {
		fifo = &messageRing{}
		blk.fifos[w] = fifo
	}
	fifo.push(m)
	fenwickAdd(blk.counts[:], w, 1)
	fenwickAdd(s.blockCounts[:], b, 1)
	s.count++
	s.bytes += uint64(len(m.Data))
}

// locate returns the FIFO holding the i-th message in receive order and the
// message's index in it. Precondition: 0 <= i < s.count.
func (s *messageStore) locate(i int64) (blockIndex, within int, fifo *messageRing, offset int) {
	b, k := fenwickFind(s.blockCounts[:], int32(i))
	blk := s.blocks[b]
	w, k := fenwickFind(blk.counts[:], k)
	return b, w, blk.fifos[w], int(k)
}

// pop removes the next message in receive order. Precondition: s.count > 0.
func (s *messageStore) pop() Message {
	b, w := s.headSlot/slotsPerBlock, s.headSlot%slotsPerBlock
	fifo := s.blocks[b].fifos[w]
	m := fifo.pop()
	fenwickAdd(s.blocks[b].counts[:], w, -1)
	fenwickAdd(s.blockCounts[:], b, -1)
	s.count--
	s.bytes -= uint64(len(m.Data))
	if fifo.len == 0 && s.count > 0 {
		s.findHead()
	}
	return m
}

// findHead recomputes headSlot from the trees. Precondition: s.count > 0.
func (s *messageStore) findHead() {
	b, w, _, _ := s.locate(0)
	s.headSlot = b*slotsPerBlock + w
}

// peek returns the i-th message in receive order, or nil when there is none.
func (s *messageStore) peek(i int64) *Message {
	if i < 0 || i >= s.count {
		return nil
	}
	if i == 0 {
		return s.blocks[s.headSlot/slotsPerBlock].fifos[s.headSlot%slotsPerBlock].at(0)
	}
	_, _, fifo, offset := s.locate(i)
	return fifo.at(offset)
}

// afterLoad rebuilds the Fenwick trees and the head slot, which are not
// saved.
func (s *messageStore) afterLoad(_ context.Context) {
	for b, blk := range s.blocks {
		if blk == nil {
			continue
		}
		for w, fifo := range blk.fifos {
			if fifo == nil {
				continue
			}
			if n := int32(fifo.len); n > 0 {
				fenwickAdd(blk.counts[:], w, n)
				fenwickAdd(s.blockCounts[:], b, n)
			}
		}
	}
	if s.count > 0 {
		s.findHead()
	}
}
