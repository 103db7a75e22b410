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

// Package fuzzinput hands a fuzz input out a byte at a time, for the fuzz
// targets that turn their input into a sequence of operations on a queue
// core. Past its end the input reads as zeros, so every input is a complete
// sequence.
package fuzzinput

// Reader reads a fuzz input.
type Reader struct {
	b []byte
	i int
}

// New returns a Reader of b.
func New(b []byte) *Reader { return &Reader{b: b} }

// More reports whether input is left.
func (r *Reader) More() bool { return r.i < len(r.b) }

// Byte returns the next byte, or 0 past the end.
func (r *Reader) Byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

// Pick returns one of xs, chosen by the next byte.
func Pick[T any](r *Reader, xs []T) T { return xs[int(r.Byte())%len(xs)] }
