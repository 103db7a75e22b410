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
	"bytes"
	"sort"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// FuzzQueueAgainstModel drives a queue with a random sequence of sends,
// receives and peeks and checks every result against a plain sorted slice:
// same messages out, same order, same errors.
func FuzzQueueAgainstModel(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{2, 200, 3, 255, 0, 17, 2, 5, 1, 9, 4})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const maxMsgs, msgSize = 8, 16
		ctx := testContext()
		_, q := newTestQueue(t, maxMsgs, msgSize)
		type entry struct {
			m   Message
			seq int
		}
		var model []entry
		seq := 0
		sortModel := func() {
			sort.SliceStable(model, func(i, j int) bool {
				if model[i].m.Priority != model[j].m.Priority {
					return model[i].m.Priority > model[j].m.Priority
				}
				return model[i].seq < model[j].seq
			})
		}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, ops[i+1]
			switch op {
			case 0, 1: // send
				m := Message{Priority: uint32(arg) * 131 % 32768, Data: bytes.Repeat([]byte{arg}, int(arg)%20)}
				err := q.Send(ctx, m, nil)
				switch {
				case len(m.Data) > msgSize:
					if !linuxerr.Equals(linuxerr.EMSGSIZE, err) {
						t.Fatalf("op %d: oversized send: %v", i, err)
					}
				case len(model) == maxMsgs:
					if !linuxerr.Equals(linuxerr.EAGAIN, err) {
						t.Fatalf("op %d: send on full queue: %v", i, err)
					}
				default:
					if err != nil {
						t.Fatalf("op %d: send: %v", i, err)
					}
					model = append(model, entry{m, seq})
					seq++
					sortModel()
				}
			case 2: // receive
				got, err := q.Receive(ctx, msgSize, nil)
				if len(model) == 0 {
					if !linuxerr.Equals(linuxerr.EAGAIN, err) {
						t.Fatalf("op %d: receive on empty queue: %v", i, err)
					}
					continue
				}
				want := model[0].m
				model = model[1:]
				if err != nil || got.Priority != want.Priority || !bytes.Equal(got.Data, want.Data) {
					t.Fatalf("op %d: receive = %+v, %v; want %+v", i, got, err, want)
				}
			case 3: // peek
				idx := int64(arg % 10)
				var peeked []byte
				prio, _, err := q.Peek(idx, func(d []byte) (int, error) {
					peeked = append([]byte(nil), d...)
					return len(d), nil
				})
				if idx >= int64(len(model)) {
					if !linuxerr.Equals(linuxerr.ENOMSG, err) {
						t.Fatalf("op %d: peek past the end: %v", i, err)
					}
					continue
				}
				want := model[idx].m
				if err != nil || prio != want.Priority || !bytes.Equal(peeked, want.Data) {
					t.Fatalf("op %d: peek(%d) = %d %q %v; want %+v", i, idx, prio, peeked, err, want)
				}
			}
			if n, _ := q.Stat(); n != int64(len(model)) {
				t.Fatalf("op %d: queue holds %d, model %d", i, n, len(model))
			}
		}
	})
}
