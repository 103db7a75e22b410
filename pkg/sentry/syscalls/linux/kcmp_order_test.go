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
	"math/rand"
	"slices"
	"testing"
)

// kcmpUnkey inverts kcmpKey by running the Feistel rounds backwards.
func kcmpUnkey(seed maphash.Seed, typ int32, key uint64) uint64 {
	l, r := uint32(key>>32), uint32(key)
	for round := kcmpRounds - 1; round >= 0; round-- {
		l, r = r^kcmpRound(seed, typ, round, l), l
	}
	return uint64(l)<<32 | uint64(r)
}

// addresses returns n heap-like identities: 8-byte aligned, close together.
func addresses(rng *rand.Rand, n int) []uint64 {
	base := uint64(0xc000000000) + uint64(rng.Intn(1<<20))*8
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = base + uint64(i)*64
	}
	return ids
}

func TestKcmpKeyIsAPermutation(t *testing.T) {
	seed := maphash.MakeSeed()
	rng := rand.New(rand.NewSource(1))
	for typ := int32(kcmpFile); typ <= kcmpEpollTFD; typ++ {
		for i := 0; i < 2000; i++ {
			id := rng.Uint64()
			if i < 3 {
				id = []uint64{0, ^uint64(0), 0xc000010000}[i]
			}
			if got := kcmpUnkey(seed, typ, kcmpKey(seed, typ, id)); got != id {
				t.Fatalf("type %d: unkey(key(%#x)) = %#x", typ, id, got)
			}
		}
	}
}

func TestKcmpCompareIsATotalOrder(t *testing.T) {
	seed := maphash.MakeSeed()
	rng := rand.New(rand.NewSource(2))
	ids := addresses(rng, 64)
	for _, a := range ids {
		if got := kcmpCompare(seed, kcmpFile, a, a); got != 0 {
			t.Fatalf("compare(%#x, itself) = %d, want 0", a, got)
		}
		for _, b := range ids {
			ab, ba := kcmpCompare(seed, kcmpFile, a, b), kcmpCompare(seed, kcmpFile, b, a)
			if a != b && (ab == 0 || ab+ba != 3) {
				t.Fatalf("compare(%#x, %#x) = %d, reverse = %d: want 1 and 2", a, b, ab, ba)
			}
			for _, c := range ids {
				if ab == 1 && kcmpCompare(seed, kcmpFile, b, c) == 1 && kcmpCompare(seed, kcmpFile, a, c) != 1 {
					t.Fatalf("not transitive: %#x < %#x < %#x", a, b, c)
				}
			}
		}
	}
	// Stable: the same question gets the same answer.
	for i := 0; i < 100; i++ {
		if kcmpCompare(seed, kcmpVM, ids[0], ids[1]) != kcmpCompare(seed, kcmpVM, ids[0], ids[1]) {
			t.Fatal("answer changed between calls")
		}
	}
}

// The order must not follow the addresses, and must differ between types
// and between seeds (boots).
func TestKcmpOrderHidesAddresses(t *testing.T) {
	seed, other := maphash.MakeSeed(), maphash.MakeSeed()
	rng := rand.New(rand.NewSource(3))
	ids := addresses(rng, 256)
	order := func(seed maphash.Seed, typ int32) []uint64 {
		s := slices.Clone(ids)
		slices.SortFunc(s, func(a, b uint64) int {
			return map[uintptr]int{0: 0, 1: -1, 2: 1}[kcmpCompare(seed, typ, a, b)]
		})
		return s
	}
	byFile := order(seed, kcmpFile)
	if slices.Equal(byFile, ids) || slices.IsSorted(byFile) {
		t.Error("KCMP_FILE order follows the addresses")
	}
	// Neighbouring addresses should land before or after each other about
	// equally often.
	before := 0
	for i := 1; i < len(ids); i++ {
		if kcmpCompare(seed, kcmpFile, ids[i-1], ids[i]) == 1 {
			before++
		}
	}
	if before < len(ids)/4 || before > 3*len(ids)/4 {
		t.Errorf("%d of %d neighbouring pairs keep address order", before, len(ids)-1)
	}
	if slices.Equal(byFile, order(seed, kcmpVM)) {
		t.Error("KCMP_FILE and KCMP_VM share one order")
	}
	if slices.Equal(byFile, order(other, kcmpFile)) {
		t.Error("two seeds give one order")
	}
}
