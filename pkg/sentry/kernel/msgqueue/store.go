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

// Message is one System V message.
//
// +stateify savable
type Message struct {
	// Type is the positive message type (mtype).
	Type int64
	// Text is the payload (mtext).
	Text []byte

	// pos is the message's slot in its store's arrival order.
	pos int `state:"nosave"`
}

// Size returns the payload length.
func (m *Message) Size() uint64 { return uint64(len(m.Text)) }

// messageStore holds a queue's messages in arrival order with the indexes
// that let every kind of msgrcv find its message without walking the queue:
//
//   - arrival order is an array of slots (nil once a message left) with a
//     Fenwick tree counting live slots, so "the n-th message" (MSG_COPY) is
//     found in O(log n); the array is compacted when half of it is holes;
//   - every type present has a FIFO of its messages (typeQueue);
//   - byHead orders the types by the arrival position of their first
//     message: its top holds the first message of the queue (msgtyp 0), and
//     the first message of any type but t (MSG_EXCEPT) is the top's or one
//     of its two children's;
//   - byType orders the types by value: its top is the lowest type present,
//     which is what a negative msgtyp looks for.
//
// msgrcv only ever removes the first message of some type, so removal is a
// FIFO pop plus O(log T) heap fixes for T types present.
//
// A store is saved as its messages in arrival order (Queue.saveMessages)
// and rebuilt on restore.
type messageStore struct {
	slots []*Message
	// fen is a 1-based Fenwick tree over slots: fen[i] sums the live flags
	// of slots (i - lowbit(i), i].
	fen   []int32
	count int
	bytes uint64

	types  map[int64]*typeQueue
	byHead typeHeap
	byType typeHeap

	// spare is the type queue that emptied last, kept with its array for
	// the next new type: a queue that keeps emptying (a sender and a
	// receiver taking turns) allocates nothing per message. It stays in
	// types under its last type (so that type comes back without a map
	// update) but is in neither heap.
	spare *typeQueue

	// inline holds the first arrays and type FIFO, so that a queue that
	// holds a few messages of one type at a time (most do) allocates
	// nothing but its messages.
	inline struct {
		slots          [inlineMessages]*Message
		fen            [inlineMessages + 1]int32
		byHead, byType [1]*typeQueue
		first          typeQueue
		firstMsgs      [inlineMessages]*Message
		firstInUse     bool
	}
}

// inlineMessages is how many messages a store holds before it allocates
// arrays.
const inlineMessages = 4

// typeQueue is the FIFO of the messages of one type.
type typeQueue struct {
	mtype int64
	msgs  []*Message
	head  int
	// heapIndex is the queue's index in byHead and in byType.
	heapIndex [2]int
}

func (tq *typeQueue) front() *Message { return tq.msgs[tq.head] }

func (tq *typeQueue) empty() bool { return tq.head == len(tq.msgs) }

func (tq *typeQueue) pop() {
	tq.msgs[tq.head] = nil
	tq.head++
	if tq.head == len(tq.msgs) {
		tq.msgs, tq.head = tq.msgs[:0], 0
	} else if tq.head >= 32 && tq.head*2 >= len(tq.msgs) {
		n := copy(tq.msgs, tq.msgs[tq.head:])
		clear(tq.msgs[n:])
		tq.msgs, tq.head = tq.msgs[:n], 0
	}
}

// Which heap a typeHeap is.
const (
	heapByHead = 0
	heapByType = 1
)

// typeHeap is a binary min-heap of type queues, ordered by the position of
// their first message (heapByHead) or by type (heapByType).
type typeHeap struct {
	which int
	items []*typeQueue
}

func (h *typeHeap) less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if h.which == heapByHead {
		return a.front().pos < b.front().pos
	}
	return a.mtype < b.mtype
}

func (h *typeHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].heapIndex[h.which] = i
	h.items[j].heapIndex[h.which] = j
}

func (h *typeHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *typeHeap) down(i int) {
	for n := len(h.items); ; {
		min := i
		if l := 2*i + 1; l < n && h.less(l, min) {
			min = l
		}
		if r := 2*i + 2; r < n && h.less(r, min) {
			min = r
		}
		if min == i {
			return
		}
		h.swap(i, min)
		i = min
	}
}

func (h *typeHeap) push(tq *typeQueue) {
	tq.heapIndex[h.which] = len(h.items)
	h.items = append(h.items, tq)
	h.up(len(h.items) - 1)
}

func (h *typeHeap) remove(tq *typeQueue) {
	i, last := tq.heapIndex[h.which], len(h.items)-1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// init makes s an empty store whose first arrays are its own inline ones.
// s must not be copied afterwards.
func (s *messageStore) init() {
	*s = messageStore{}
	s.slots = s.inline.slots[:0]
	s.fen = s.inline.fen[:1]
	s.byHead = typeHeap{which: heapByHead, items: s.inline.byHead[:0]}
	s.byType = typeHeap{which: heapByType, items: s.inline.byType[:0]}
}

// newTypeQueue returns an empty FIFO for type t: the inline one if free.
func (s *messageStore) newTypeQueue(t int64) *typeQueue {
	if !s.inline.firstInUse {
		s.inline.firstInUse = true
		s.inline.first = typeQueue{mtype: t, msgs: s.inline.firstMsgs[:0]}
		return &s.inline.first
	}
	return &typeQueue{mtype: t}
}

// dropTypeQueue forgets tq, an empty FIFO.
func (s *messageStore) dropTypeQueue(tq *typeQueue) {
	delete(s.types, tq.mtype)
	if tq == &s.inline.first {
		s.inline.firstInUse = false
	}
}

// push appends m to the queue.
func (s *messageStore) push(m *Message) {
	m.pos = len(s.slots)
	s.slots = append(s.slots, m)
	// The new Fenwick node i covers (i - lowbit(i), i]: its own slot plus
	// the live slots already counted by the prefix sums.
	i := len(s.fen)
	s.fen = append(s.fen, 1+s.prefix(i-1)-s.prefix(i-(i&-i)))
	s.count++
	s.bytes += m.Size()

	tq := s.types[m.Type]
	if tq == nil || tq == s.spare {
		if tq == nil {
			if tq = s.spare; tq != nil {
				// Park it under its new type.
				delete(s.types, tq.mtype)
				tq.mtype = m.Type
			} else {
				tq = s.newTypeQueue(m.Type)
			}
			if s.types == nil {
				s.types = make(map[int64]*typeQueue)
			}
			s.types[m.Type] = tq
		}
		s.spare = nil
		tq.msgs = append(tq.msgs, m)
		s.byHead.push(tq)
		s.byType.push(tq)
		return
	}
	tq.msgs = append(tq.msgs, m)
}

// prefix returns the number of live slots among the first i.
func (s *messageStore) prefix(i int) int32 {
	var sum int32
	for ; i > 0; i -= i & -i {
		sum += s.fen[i]
	}
	return sum
}

// remove takes m, the first message of its type, out of the queue.
func (s *messageStore) remove(m *Message) {
	tq := s.types[m.Type]
	if tq == nil || tq == s.spare || tq.front() != m {
		panic("msgqueue: removing a message that is not the first of its type")
	}
	for i := m.pos + 1; i < len(s.fen); i += i & -i {
		s.fen[i]--
	}
	s.slots[m.pos] = nil
	s.count--
	s.bytes -= m.Size()
	tq.pop()
	if tq.empty() {
		s.byHead.remove(tq)
		s.byType.remove(tq)
		if s.spare != nil {
			s.dropTypeQueue(s.spare)
			s.spare = nil
		}
		if cap(tq.msgs) <= spareCap {
			// Keep it, parked in types under its type.
			s.spare = tq
		} else {
			s.dropTypeQueue(tq)
		}
	} else {
		// Its first message moved later in arrival order.
		s.byHead.down(tq.heapIndex[heapByHead])
	}
	if s.count == 0 {
		// Every slot is a hole: start the arrival order over, which
		// keeps the arrays short and warm when the queue keeps emptying.
		// fen[0] is unused; the other nodes are rewritten by push.
		s.slots = s.slots[:0]
		s.fen = s.fen[:1]
	} else if len(s.slots) >= 64 && s.count*2 < len(s.slots) {
		s.compact()
	}
}

// spareCap bounds the array a spare type queue keeps.
const spareCap = 64

// compact drops the holes of the arrival array. Positions keep their order,
// so the heaps stay valid.
func (s *messageStore) compact() {
	live := s.slots[:0]
	for _, m := range s.slots {
		if m != nil {
			m.pos = len(live)
			live = append(live, m)
		}
	}
	clear(s.slots[len(live):])
	s.slots = live
	s.rebuildFenwick()
}

func (s *messageStore) rebuildFenwick() {
	n := len(s.slots)
	if cap(s.fen) >= n+1 {
		s.fen = s.fen[:n+1]
		clear(s.fen)
	} else {
		s.fen = make([]int32, n+1)
	}
	for i := 1; i <= n; i++ {
		if s.slots[i-1] != nil {
			s.fen[i]++
		}
		if j := i + i&-i; j <= n {
			s.fen[j] += s.fen[i]
		}
	}
}

// first returns the oldest message, or nil.
func (s *messageStore) first() *Message {
	if len(s.byHead.items) == 0 {
		return nil
	}
	return s.byHead.items[0].front()
}

// firstOfType returns the oldest message of type t, or nil.
func (s *messageStore) firstOfType(t int64) *Message {
	if tq := s.types[t]; tq != nil && tq != s.spare {
		return tq.front()
	}
	return nil
}

// firstExcept returns the oldest message whose type is not t, or nil.
func (s *messageStore) firstExcept(t int64) *Message {
	h := s.byHead.items
	if len(h) == 0 {
		return nil
	}
	if h[0].mtype != t {
		return h[0].front()
	}
	// Every type appears once in the heap: the oldest message of another
	// type heads one of the root's children.
	var best *Message
	for _, i := range []int{1, 2} {
		if i < len(h) && (best == nil || h[i].front().pos < best.pos) {
			best = h[i].front()
		}
	}
	return best
}

// lowestUpTo returns the oldest message of the lowest type present if that
// type is <= t, or nil.
func (s *messageStore) lowestUpTo(t int64) *Message {
	if len(s.byType.items) == 0 || s.byType.items[0].mtype > t {
		return nil
	}
	return s.byType.items[0].front()
}

// nth returns the message at 0-based index n in arrival order, or nil.
func (s *messageStore) nth(n int64) *Message {
	if n < 0 || n >= int64(s.count) {
		return nil
	}
	k := int32(n)
	pos, size := 0, len(s.fen)-1
	step := 1
	for step*2 <= size {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if next := pos + step; next <= size && s.fen[next] <= k {
			pos = next
			k -= s.fen[next]
		}
	}
	// pos is the longest prefix holding n live slots: slot pos is the
	// n-th live one.
	return s.slots[pos]
}

// all returns the messages in arrival order.
func (s *messageStore) all() []*Message {
	out := make([]*Message, 0, s.count)
	for _, m := range s.slots {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}
