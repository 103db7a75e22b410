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

package queuestats

import (
	"testing"

	"gvisor.dev/gvisor/pkg/metric"
)

var testTotals Totals

func init() {
	testTotals.MustRegister("/test/queuestats", Descriptions{
		Queues: "q", Messages: "m", Bytes: "b", Sent: "s", Received: "r", Blocked: "w",
	})
}

// TestRegistered checks the metrics' names and kinds as runsc exports them:
// gauges but for the sent and received counters, and blocked by op.
func TestRegistered(t *testing.T) {
	if err := metric.Initialize(); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	reg, err := metric.GetMetricRegistration()
	if err != nil {
		t.Fatalf("GetMetricRegistration: %v", err)
	}
	want := map[string]bool{
		"/test/queuestats/queues": false, "/test/queuestats/messages": false, "/test/queuestats/bytes": false,
		"/test/queuestats/sent": true, "/test/queuestats/received": true, "/test/queuestats/blocked": false,
	}
	for _, m := range reg.GetMetrics() {
		cumulative, ok := want[m.GetName()]
		if !ok {
			continue
		}
		delete(want, m.GetName())
		if m.GetCumulative() != cumulative {
			t.Errorf("%s: cumulative = %v, want %v", m.GetName(), m.GetCumulative(), cumulative)
		}
		if m.GetName() == "/test/queuestats/blocked" {
			if f := m.GetFields(); len(f) != 1 || f[0].GetFieldName() != "op" {
				t.Errorf("%s: fields %v, want op", m.GetName(), f)
			}
		}
	}
	for name := range want {
		t.Errorf("%s is not registered", name)
	}
}

func TestSnapshotSince(t *testing.T) {
	var tot Totals
	base := tot.Snapshot()
	tot.Queues.Add(1)
	tot.AddMessages(2, 10)
	tot.Sent.Add(2)
	tot.BlockedReceive.Add(1)
	want := Snapshot{Queues: 1, Messages: 2, Bytes: 10, Sent: 2, BlockedReceive: 1}
	if got := tot.Snapshot().Since(base); got != want {
		t.Errorf("Since = %+v, want %+v", got, want)
	}
}
