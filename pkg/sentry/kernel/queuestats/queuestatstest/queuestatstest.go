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

// Package queuestatstest checks a queue family's totals in the unit tests
// of the packages that keep them (kernel/mq, kernel/msgqueue). It is
// separate from package queuestats so that the Sentry does not link
// package testing.
package queuestatstest

import (
	"testing"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats"
)

// WantDelta checks that totals moved from base by want. Other tests of a
// package leave queues behind, so only the changes are checked; a test
// using it must not run in parallel with them.
func WantDelta(t testing.TB, totals *queuestats.Totals, step string, base, want queuestats.Snapshot) {
	t.Helper()
	if got := totals.Snapshot().Since(base); got != want {
		t.Errorf("%s: totals moved by %+v, want %+v", step, got, want)
	}
}
