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

	"gvisor.dev/gvisor/pkg/hostarch"
)

// kcmp's ordering key.
//
// kcmp(2) must order objects by a total order that is stable while they
// live, yet reveal nothing about where the Sentry keeps them. Linux maps each
// pointer through a bijection keyed by per-boot random cookies, one pair per
// type, and compares the images. We do the same with a stronger bijection:
// an object's identity (its address; Go's heap does not move objects, so the
// address is stable for as long as we hold the object) goes through a keyed
// 64-bit permutation, a four-round Feistel network whose round function is
// hash/maphash under a seed drawn when the Sentry starts, with the kcmp type
// and the round mixed into every round's input.
//
//   - Being a permutation, it never maps two objects to the same key, so
//     "equal" means "the same object" and no tie-break (which would leak the
//     raw address order) is ever needed.
//   - Four Feistel rounds over a pseudo-random function give a pseudo-random
//     permutation (Luby-Rackoff): the order of the images says nothing
//     useful about the order, spacing or low bits of the addresses, unlike
//     Linux's (v ^ c0) * c1.
//   - Each type has its own order (the type is in the key), as in Linux.
//     KCMP_EPOLL_TFD compares files, so it uses KCMP_FILE's order.
//   - The seed lives only in the Sentry's memory. A restored sandbox runs in
//     a new Sentry whose objects have new addresses and a new seed, so the
//     order is per boot, as Linux's is; it is never saved.

// kcmpSeed keys the permutation for this Sentry process.
var kcmpSeed = maphash.MakeSeed()

// kcmpRounds is the number of Feistel rounds.
const kcmpRounds = 4

// kcmpRound is the Feistel round function: a keyed hash of the type, the
// round number and one half of the block, folded to 32 bits.
func kcmpRound(seed maphash.Seed, typ int32, round int, half uint32) uint32 {
	var in [12]byte
	hostarch.ByteOrder.PutUint32(in[0:], uint32(typ))
	hostarch.ByteOrder.PutUint32(in[4:], uint32(round))
	hostarch.ByteOrder.PutUint32(in[8:], half)
	h := maphash.Bytes(seed, in[:])
	return uint32(h) ^ uint32(h>>32)
}

// kcmpKey maps the identity id of an object of kcmp type typ to its
// position in the order, through the keyed permutation.
func kcmpKey(seed maphash.Seed, typ int32, id uint64) uint64 {
	l, r := uint32(id>>32), uint32(id)
	for round := 0; round < kcmpRounds; round++ {
		l, r = r, l^kcmpRound(seed, typ, round, r)
	}
	return uint64(l)<<32 | uint64(r)
}

// kcmpCompare gives kcmp's answer for two identities of type typ: 0 when
// they are the same object, 1 when the first orders before the second, 2
// when after.
func kcmpCompare(seed maphash.Seed, typ int32, id1, id2 uint64) uintptr {
	k1, k2 := kcmpKey(seed, typ, id1), kcmpKey(seed, typ, id2)
	switch {
	case k1 < k2:
		return 1
	case k1 > k2:
		return 2
	default:
		return 0
	}
}
