package mq

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
)

// Messages are kept in one FIFO per priority. Receive order (highest priority
// first, FIFO within a priority) is mapped onto ascending "slots"
// (slot = MQ_PRIO_MAX-1-priority).
//
// Most queues hold one priority at a time. While at most one FIFO is
// non-empty, the store uses nothing but that FIFO (the head): send, receive
// and peek at any depth touch the head ring and the store, so that a
// sandbox with thousands of queues keeps each one's working set to a few
// cache lines.
//
// Once two FIFOs are non-empty, the store is "indexed": two Fenwick trees,
// one over blocks of slots and one within each block, count the messages
// per slot, so the n-th message in receive order is found with two tree
// searches, and push, pop and peek at any depth are O(log P). The index is
// allocated on the first use of a second priority and kept; its per-block
// tables are allocated once a priority in the block is used. When the
// store is back to one non-empty FIFO the trees are emptied again.
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
type slotBlock struct {
	// fifos are allocated on a priority's first message and kept, so the
	// steady state does not allocate.
	fifos [slotsPerBlock]*messageRing
	// counts is a Fenwick tree over fifos' lengths while the store is
	// indexed, all zero otherwise.
	counts [slotsPerBlock]int32
}

// slotIndex finds the FIFO of every slot and, while the store is indexed,
// counts the messages per block.
type slotIndex struct {
	blocks [slotBlocks]*slotBlock
	// blockCounts is a Fenwick tree over the blocks' message counts while
	// the store is indexed, all zero otherwise.
	blockCounts [slotBlocks]int32
}

// fifo returns the FIFO of slot, allocating it on first use.
func (x *slotIndex) fifo(slot int) *messageRing {
	b, w := slot/slotsPerBlock, slot%slotsPerBlock
	blk := x.blocks[b]
	if blk == nil {
		blk = &slotBlock{}
		x.blocks[b] = blk
	}
	fifo := blk.fifos[w]
	if fifo == nil {
		fifo = &messageRing{}
		blk.fifos[w] = fifo
	}
	return fifo
}

// add counts delta messages at slot in both trees.
func (x *slotIndex) add(slot int, delta int32) {
	b, w := slot/slotsPerBlock, slot%slotsPerBlock
	fenwickAdd(x.blocks[b].counts[:], w, delta)
	fenwickAdd(x.blockCounts[:], b, delta)
}

// locate returns the slot of the FIFO holding the k-th counted message and
// the message's offset in it. Precondition: 0 <= k < the trees' total.
func (x *slotIndex) locate(k int32) (slot int, fifo *messageRing, offset int) {
	b, k := fenwickFind(x.blockCounts[:], k)
	blk := x.blocks[b]
	w, k := fenwickFind(blk.counts[:], k)
	return b*slotsPerBlock + w, blk.fifos[w], int(k)
}

// messageStore is the set of messages of one queue. It is saved as the list
// of its messages in receive order (Queue.saveMessages).
type messageStore struct {
	// head is the FIFO of headSlot, which holds the next message in
	// receive order while count > 0. With no index it is the only FIFO.
	head     *messageRing
	headSlot int
	index    *slotIndex
	// nonEmpty counts the non-empty FIFOs; the trees are maintained while
	// it is at least 2.
	nonEmpty int
	count    int64
	bytes    uint64
}

func slotOf(priority uint32) int {
	return linux.MQ_PRIO_MAX - 1 - int(priority)
}

func (s *messageStore) indexed() bool { return s.nonEmpty >= 2 }

// push appends m to the FIFO of its priority.
func (s *messageStore) push(m Message) {
	slot := slotOf(m.Priority)
	var fifo *messageRing
	switch {
	case s.head != nil && slot == s.headSlot:
		fifo = s.head
	case s.count == 0 && s.index == nil:
		// The only FIFO is empty: it serves the new priority.
		if s.head == nil {
			s.head = &messageRing{}
		}
		fifo, s.headSlot = s.head, slot
	default:
		fifo = s.slotFIFO(slot)
	}
	if fifo.len == 0 {
		s.nonEmpty++
		if s.nonEmpty == 2 {
			// The head FIFO was counted nowhere until now.
			s.index.add(s.headSlot, int32(s.head.len))
		}
	}
	fifo.push(m)
	if s.indexed() {
		s.index.add(slot, 1)
	}
	if s.count == 0 || slot < s.headSlot {
		s.head, s.headSlot = fifo, slot
	}
	s.count++
	s.bytes += uint64(len(m.Data))
}

// slotFIFO returns the FIFO of slot from the index, creating the index (with
// the head FIFO in it) if needed.
func (s *messageStore) slotFIFO(slot int) *messageRing {
	if s.index == nil {
		s.index = &slotIndex{}
		if s.head != nil {
			b, w := s.headSlot/slotsPerBlock, s.headSlot%slotsPerBlock
			s.index.blocks[b] = &slotBlock{}
			s.index.blocks[b].fifos[w] = s.head
		}
	}
	return s.index.fifo(slot)
}

// pop removes the next message in receive order. Precondition: s.count > 0.
func (s *messageStore) pop() Message {
	m := s.head.pop()
	s.count--
	s.bytes -= uint64(len(m.Data))
	if !s.indexed() {
		if s.head.len == 0 {
			s.nonEmpty--
		}
		return m
	}
	s.index.add(s.headSlot, -1)
	if s.head.len == 0 {
		s.nonEmpty--
		s.headSlot, s.head, _ = s.index.locate(0)
		if !s.indexed() {
			// One FIFO left: it stops being counted.
			s.index.add(s.headSlot, -int32(s.head.len))
		}
	}
	return m
}

// peek returns the i-th message in receive order, or nil when there is none.
func (s *messageStore) peek(i int64) *Message {
	if i < 0 || i >= s.count {
		return nil
	}
	if !s.indexed() || i < int64(s.head.len) {
		return s.head.at(int(i))
	}
	_, fifo, offset := s.index.locate(int32(i))
	return fifo.at(offset)
}
