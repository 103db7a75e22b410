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

import (
	"math"
	"math/rand"
	"testing"
)

// model is the obvious implementation: a slice in arrival order, searched
// from the front as Linux's find_msg does.
type model struct{ msgs []*Message }

func (m *model) find(mode searchMode, t int64) *Message {
	if mode == searchNumber {
		if t < 0 || t >= int64(len(m.msgs)) {
			return nil
		}
		return m.msgs[t]
	}
	var found *Message
	for _, msg := range m.msgs {
		if !matches(msg, mode, t) {
			continue
		}
		if mode != searchLessEqual {
			return msg
		}
		if found == nil || msg.Type < found.Type {
			found = msg
		}
	}
	return found
}

func (m *model) remove(msg *Message) {
	for i, x := range m.msgs {
		if x == msg {
			m.msgs = append(m.msgs[:i], m.msgs[i+1:]...)
			return
		}
	}
}

func TestStoreMatchesModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var s messageStore
		s.init()
		var m model
		ntypes := 1 + rng.Intn(8)
		for step := 0; step < 4000; step++ {
			if rng.Intn(3) != 0 || len(m.msgs) == 0 {
				msg := &Message{Type: 1 + rng.Int63n(int64(ntypes)), Text: make([]byte, rng.Intn(5))}
				s.push(msg)
				m.msgs = append(m.msgs, msg)
			}
			var mode searchMode
			var typ int64
			switch rng.Intn(5) {
			case 0:
				mode = searchAny
			case 1:
				mode, typ = searchEqual, 1+rng.Int63n(int64(ntypes)+1)
			case 2:
				mode, typ = searchNotEqual, 1+rng.Int63n(int64(ntypes)+1)
			case 3:
				mode, typ = searchLessEqual, rng.Int63n(int64(ntypes)+2)
			case 4:
				mode, typ = searchNumber, rng.Int63n(int64(len(m.msgs))+2)-1
			}
			got, want := s.find(mode, typ), m.find(mode, typ)
			if got != want {
				t.Fatalf("seed %d step %d: find(%d, %d) = %v, want %v", seed, step, mode, typ, got, want)
			}
			if got != nil && mode != searchNumber && rng.Intn(2) == 0 {
				s.remove(got)
				m.remove(got)
			}
			if s.count != len(m.msgs) {
				t.Fatalf("seed %d step %d: count %d, want %d", seed, step, s.count, len(m.msgs))
			}
		}
		// Every index is reachable, and all() is arrival order.
		for i, want := range m.msgs {
			if got := s.nth(int64(i)); got != want {
				t.Fatalf("seed %d: nth(%d) = %v, want %v", seed, i, got, want)
			}
		}
		all := s.all()
		if len(all) != len(m.msgs) {
			t.Fatalf("seed %d: all() has %d messages, want %d", seed, len(all), len(m.msgs))
		}
		for i := range all {
			if all[i] != m.msgs[i] {
				t.Fatalf("seed %d: all()[%d] out of order", seed, i)
			}
		}
	}
}

func TestStoreBytesAndExtremeTypes(t *testing.T) {
	var s messageStore
	s.init()
	s.push(&Message{Type: math.MaxInt64, Text: []byte("abc")})
	s.push(&Message{Type: 1, Text: []byte("de")})
	if s.bytes != 5 || s.count != 2 {
		t.Fatalf("bytes %d count %d", s.bytes, s.count)
	}
	if m := s.lowestUpTo(math.MaxInt64); m == nil || m.Type != 1 {
		t.Errorf("lowestUpTo(max) = %v", m)
	}
	if m := s.firstExcept(1); m == nil || m.Type != math.MaxInt64 {
		t.Errorf("firstExcept(1) = %v", m)
	}
	s.remove(s.first())
	if s.bytes != 2 || s.first().Type != 1 {
		t.Errorf("after removing the first: bytes %d first %v", s.bytes, s.first())
	}
}

// BenchmarkCopyDump reads every message of a deep queue with MSG_COPY, as a
// checkpointer does: O(n log n) in all, not O(n^2).
func BenchmarkCopyDump(b *testing.B) {
	var s messageStore
	s.init()
	for i := 0; i < 100000; i++ {
		s.push(&Message{Type: int64(1 + i%7)})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for n := int64(0); n < int64(s.count); n++ {
			if s.nth(n) == nil {
				b.Fatal("missing message")
			}
		}
	}
}

// BenchmarkExceptOnDeepRun receives with MSG_EXCEPT behind a long run of the
// excluded type, which a list walk would scan every time.
func BenchmarkExceptOnDeepRun(b *testing.B) {
	var s messageStore
	s.init()
	for i := 0; i < 100000; i++ {
		s.push(&Message{Type: 1})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.push(&Message{Type: 2})
		s.remove(s.firstExcept(1))
	}
}
