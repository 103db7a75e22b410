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
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sync"
)

// userCharges is the RLIMIT_MSGQUEUE usage of each user across every IPC
// namespace of a kernel (Linux's per-user ucounts, UCOUNT_RLIMIT_MSGQUEUE):
// a task that enters a new IPC namespace, or a new user namespace with
// one, does not get a fresh allowance.
//
// It is not saved: each Registry saves its own share and adds it back
// after a restore (Registry.afterLoad).
type userCharges struct {
	// mu protects bytes. Lock order: Registry.mu, then userCharges.mu.
	mu sync.Mutex
	// +checklocks:mu
	bytes map[auth.KUID]uint64
}

var (
	// chargesByKernel holds the charges of each kernel, keyed by its root
	// user namespace; a Sentry runs one kernel, tests run many.
	chargesByKernelMu sync.Mutex
	// +checklocks:chargesByKernelMu
	chargesByKernel = map[*auth.UserNamespace]*userCharges{}
)

// chargesOf returns the charges of the kernel that owns ns.
func chargesOf(ns *auth.UserNamespace) *userCharges {
	root := ns.Root()
	chargesByKernelMu.Lock()
	defer chargesByKernelMu.Unlock()
	c := chargesByKernel[root]
	if c == nil {
		c = &userCharges{bytes: make(map[auth.KUID]uint64)}
		chargesByKernel[root] = c
	}
	return c
}

// charge adds cost to user's usage unless that would exceed limit.
func (c *userCharges) charge(user auth.KUID, cost, limit uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes[user]+cost > limit {
		return false
	}
	c.bytes[user] += cost
	return true
}

// add changes user's usage by cost bytes, unchecked (a restore, a release).
func (c *userCharges) add(user auth.KUID, cost int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes[user] += uint64(cost); c.bytes[user] == 0 {
		delete(c.bytes, user)
	}
}
