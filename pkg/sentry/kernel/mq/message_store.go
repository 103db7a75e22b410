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
// searches, and push, pop and peek at any depth are O(log P).
//
// Memory follows the messages held, not the priorities ever used (a hostile
// process can cycle through all 32768): the index holds only non-empty
// FIFOs, a FIFO leaves it when it empties and a block of slots when its last
// FIFO does, and a FIFO's buffer shrinks as it drains. Like Linux's spare
// tree node (ipc/mqueue.c, node_cache), a few emptied FIFOs and blocks are
// kept for reuse, so that a queue whose messages come and go at one priority
// or a few does not allocate. A queue therefore costs the index's fixed
// tables, the spares and O(messages held), whatever priorities it has seen.
const (
	slotsPerBlock = 256
	slotBlocks    = linux.MQ_PRIO_MAX / slotsPerBlock

	// spareBlocks is how many emptied blocks the index keeps: two, so that
	// two priorities in different blocks can take turns without allocating.
	spareBlocks = 2
	// spareRings is how many emptied FIFOs the index keeps: up to that many
	// priorities (in at most spareBlocks blocks) can take turns without
	// allocating.
	spareRings = 4
	// smallRingCap is the largest buffer (in messages) a FIFO keeps whatever
	// it holds: it does not shrink below it, and a spare FIFO keeps at most
	// that much.
	smallRingCap = 16
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
		r.resize(max(4, 2*len(r.buf)))
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

// resize moves the messages into a new buffer of n (a power of two, at
// least r.len) entries.
func (r *messageRing) resize(n int) {
	buf := make([]Message, n)
	for i := 0; i < r.len; i++ {
		buf[i] = *r.at(i)
	}
	r.buf, r.head = buf, 0
}

// shrinkIfSparse halves the buffer once at most a quarter of it is in use,
// so that a FIFO that once held many messages does not keep their room
// while other priorities fill the queue. Buffers of smallRingCap entries
// or fewer stay, so a few messages coming and going never reallocate.
func (r *messageRing) shrinkIfSparse() {
	if len(r.buf) > smallRingCap && r.len <= len(r.buf)/4 {
		r.resize(len(r.buf) / 2)
	}
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

// slotBlock holds the non-empty FIFOs of slotsPerBlock consecutive
// priorities.
type slotBlock struct {
	fifos [slotsPerBlock]*messageRing
	// counts is a Fenwick tree over fifos' lengths.
	counts [slotsPerBlock]int32
	// used counts the non-nil fifos; the block leaves the index with the
	// last one.
	used int
}

// slotIndex finds the FIFO of every non-empty slot and counts the messages
// per slot and per block, while the store is indexed. Otherwise it holds no
// FIFO, no block and zero counts: only its spares.
type slotIndex struct {
	blocks [slotBlocks]*slotBlock
	// blockCounts is a Fenwick tree over the blocks' message counts.
	blockCounts [slotBlocks]int32

	// spareBlockList[:numSpareBlocks] are emptied blocks (nil FIFOs, zero
	// counts) kept for reuse.
	spareBlockList [spareBlocks]*slotBlock
	numSpareBlocks int
	// spareRingList[:numSpareRings] are emptied FIFOs kept for reuse.
	spareRingList [spareRings]*messageRing
	numSpareRings int
}

func splitSlot(slot int) (block, within int) {
	return slot / slotsPerBlock, slot % slotsPerBlock
}

// lookup returns the FIFO of slot, or nil if slot has none in the index.
func (x *slotIndex) lookup(slot int) *messageRing {
	b, w := splitSlot(slot)
	if blk := x.blocks[b]; blk != nil {
		return blk.fifos[w]
	}
	return nil
}

// insert makes fifo the FIFO of slot, which has none. Its messages are not
// counted yet.
func (x *slotIndex) insert(slot int, fifo *messageRing) {
	b, w := splitSlot(slot)
	blk := x.blocks[b]
	if blk == nil {
		if x.numSpareBlocks > 0 {
			x.numSpareBlocks--
			blk = x.spareBlockList[x.numSpareBlocks]
			x.spareBlockList[x.numSpareBlocks] = nil
		} else {
			blk = &slotBlock{}
		}
		x.blocks[b] = blk
	}
	blk.fifos[w] = fifo
	blk.used++
}

// remove takes slot's FIFO, whose messages are no longer counted, out of
// the index, and its block with it when it was the block's last. A block
// with nothing counted has all-zero trees, so it can be reused as it is.
func (x *slotIndex) remove(slot int) {
	b, w := splitSlot(slot)
	blk := x.blocks[b]
	blk.fifos[w] = nil
	if blk.used--; blk.used > 0 {
		return
	}
	x.blocks[b] = nil
	if x.numSpareBlocks < spareBlocks {
		x.spareBlockList[x.numSpareBlocks] = blk
		x.numSpareBlocks++
	}
}

// newRing returns an empty FIFO, a spare one if there is one.
func (x *slotIndex) newRing() *messageRing {
	if x.numSpareRings == 0 {
		return &messageRing{}
	}
	x.numSpareRings--
	r := x.spareRingList[x.numSpareRings]
	x.spareRingList[x.numSpareRings] = nil
	return r
}

// recycleRing keeps the emptied FIFO r as a spare if there is room, without
// a buffer larger than smallRingCap.
func (x *slotIndex) recycleRing(r *messageRing) {
	if x.numSpareRings == spareRings {
		return
	}
	if len(r.buf) > smallRingCap {
		r.buf = nil
	}
	r.head = 0
	x.spareRingList[x.numSpareRings] = r
	x.numSpareRings++
}

// add counts delta messages at slot in both trees.
func (x *slotIndex) add(slot int, delta int32) {
	b, w := splitSlot(slot)
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
	// receive order while count > 0. With one non-empty FIFO it is that
	// FIFO, outside the index; with none it is an empty FIFO kept for the
	// next message, whatever its priority (or nil before the first).
	head     *messageRing
	headSlot int
	// index is allocated on the first use of a second priority and kept
	// (its fixed tables are part of a queue's constant cost).
	index *slotIndex
	// nonEmpty counts the non-empty FIFOs; the index holds and counts them
	// while it is at least 2.
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
	case s.count == 0:
		// The store's only FIFO is empty: it serves the new priority.
		if s.head == nil {
			s.head = &messageRing{}
		}
		fifo, s.headSlot = s.head, slot
		s.nonEmpty = 1
	case slot == s.headSlot:
		fifo = s.head
	default:
		fifo = s.otherFIFO(slot)
	}
	fifo.push(m)
	if s.indexed() {
		s.index.add(slot, 1)
	}
	if slot < s.headSlot {
		s.head, s.headSlot = fifo, slot
	}
	s.count++
	s.bytes += uint64(len(m.Data))
}

// otherFIFO returns the FIFO of slot, which is not the head's, while the
// store holds messages. A new FIFO joins the index, and the second
// non-empty FIFO brings the head's into it.
func (s *messageStore) otherFIFO(slot int) *messageRing {
	if s.indexed() {
		if fifo := s.index.lookup(slot); fifo != nil {
			return fifo
		}
	} else {
		if s.index == nil {
			s.index = &slotIndex{}
		}
		s.index.insert(s.headSlot, s.head)
		s.index.add(s.headSlot, int32(s.head.len))
	}
	fifo := s.index.newRing()
	s.index.insert(slot, fifo)
	s.nonEmpty++
	return fifo
}

// pop removes the next message in receive order. Precondition: s.count > 0.
func (s *messageStore) pop() Message {
	m := s.head.pop()
	s.count--
	s.bytes -= uint64(len(m.Data))
	if !s.indexed() {
		if s.head.len == 0 {
			s.nonEmpty = 0
		}
		return m
	}
	s.index.add(s.headSlot, -1)
	if s.head.len > 0 {
		s.head.shrinkIfSparse()
		return m
	}
	// The head FIFO emptied: it leaves the index, and the next one in
	// receive order becomes the head.
	s.index.remove(s.headSlot)
	s.index.recycleRing(s.head)
	s.nonEmpty--
	s.headSlot, s.head, _ = s.index.locate(0)
	if !s.indexed() {
		// One FIFO left: it leaves the index and is the store's only FIFO.
		s.index.add(s.headSlot, -int32(s.head.len))
		s.index.remove(s.headSlot)
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
