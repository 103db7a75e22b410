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

// Package oomscore gives gVisor's containerd shim (containerd-shim-runsc-v1)
// the OOM score adjustment containerd's own shims take: containerd's score
// + 1, at most OOM_SCORE_ADJ_MAX. gVisor's shim sets -999 instead, which
// needs CAP_SYS_RESOURCE (lowering an oom_score_adj below the inherited
// value) and so fails on nodes whose root lacks it: nested containers,
// restricted VMs, rootless set-ups. One above containerd keeps the shim
// killed before containerd, as containerd's shims are since containerd PR
// 3380 (2019); raising an inherited score needs no privilege.
package oomscore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxAdj is Linux's OOM_SCORE_ADJ_MAX (include/uapi/linux/oom.h).
const maxAdj = 1000

// ForShim returns the oom_score_adj for a shim that the calling process
// starts, when the caller's parent is containerd (the shim's "start" action,
// which containerd runs).
func ForShim() (int, error) {
	return above(os.Getppid())
}

// above returns the score one above process pid's oom_score_adj, capped.
func above(pid int) (int, error) {
	path := fmt.Sprintf("/proc/%d/oom_score_adj", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("containerd's OOM score: %w", err)
	}
	score, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("containerd's OOM score: %s: %w", path, err)
	}
	return next(score), nil
}

// next is score + 1, at most maxAdj.
func next(score int) int {
	return min(score+1, maxAdj)
}
