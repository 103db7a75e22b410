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

package linux

import (
	"hash/maphash"
	"testing"
)

// The decoders of user input (mq_attr, struct sigevent, struct
// mq_peek_attr, struct kcmp_epoll_slot, msgsnd/msgrcv's sizes and flags)
// are fuzzed in decode_fuzz_test.go.

// fuzzKcmpSeed is one Sentry's key for the whole fuzzing run, as kcmpSeed
// is for a boot.
var fuzzKcmpSeed = maphash.MakeSeed()

// FuzzKcmpOrder checks, for arbitrary identities and types, that kcmp's
// keyed permutation is a bijection (it inverts), and that kcmpCompare is
// reflexive, antisymmetric, transitive and says "equal" only for the same
// identity — so that kcmp's answers always fit one total order, whatever
// objects (addresses) they are asked about.
func FuzzKcmpOrder(f *testing.F) {
	f.Add(uint64(0), uint64(1), uint64(2), int32(0))
	f.Add(uint64(0xc000010000), uint64(0xc000010040), uint64(0xc000010080), int32(kcmpVM))
	f.Add(^uint64(0), uint64(1)<<63, uint64(1)<<32, int32(kcmpEpollTFD))
	f.Add(uint64(0xc000010000), uint64(0xc000010000), uint64(0), int32(-1))
	f.Fuzz(func(t *testing.T, a, b, c uint64, typ int32) {
		seed := fuzzKcmpSeed
		for _, id := range []uint64{a, b, c} {
			if got := kcmpUnkey(seed, typ, kcmpKey(seed, typ, id)); got != id {
				t.Fatalf("type %d: unkey(key(%#x)) = %#x", typ, id, got)
			}
			if r := kcmpCompare(seed, typ, id, id); r != 0 {
				t.Fatalf("type %d: compare(%#x, itself) = %d", typ, id, r)
			}
		}
		ab, ba := kcmpCompare(seed, typ, a, b), kcmpCompare(seed, typ, b, a)
		if (ab == 0) != (a == b) {
			t.Fatalf("type %d: compare(%#x, %#x) = %d", typ, a, b, ab)
		}
		if a != b && ab+ba != 3 {
			t.Fatalf("type %d: compare(%#x, %#x) = %d but reversed %d", typ, a, b, ab, ba)
		}
		bc, ac := kcmpCompare(seed, typ, b, c), kcmpCompare(seed, typ, a, c)
		if ab == 1 && bc == 1 && ac != 1 {
			t.Fatalf("type %d: %#x < %#x < %#x but compare(a, c) = %d", typ, a, b, c, ac)
		}
		if ab == 2 && bc == 2 && ac != 2 {
			t.Fatalf("type %d: %#x > %#x > %#x but compare(a, c) = %d", typ, a, b, c, ac)
		}
		if r := kcmpCompare(seed, typ, a, b); r != ab {
			t.Fatalf("type %d: compare(%#x, %#x) changed from %d to %d", typ, a, b, ab, r)
		}
	})
}
