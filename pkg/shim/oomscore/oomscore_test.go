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

package oomscore

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestNextIsOneAboveCapped(t *testing.T) {
	for score, want := range map[int]int{-1000: -999, -999: -998, 0: 1, 998: 999, 999: 1000, 1000: 1000} {
		if got := next(score); got != want {
			t.Errorf("next(%d) = %d, want %d", score, got, want)
		}
	}
}

func readAdj(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid))
	if err != nil {
		t.Fatal(err)
	}
	score, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return score
}

// TestLinuxAllowsTheScore sets the score computed from this process (the
// child's parent, as containerd is the shim's) on a child that inherited
// this process's score: Linux allows it without CAP_SYS_RESOURCE, where the
// -999 of gVisor's shim is refused (unless this process is already there).
func TestLinuxAllowsTheScore(t *testing.T) {
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	score, err := above(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if want := next(readAdj(t, os.Getpid())); score != want {
		t.Fatalf("above(self) = %d, want %d", score, want)
	}
	path := fmt.Sprintf("/proc/%d/oom_score_adj", child.Process.Pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(score)), 0); err != nil {
		t.Fatalf("writing %d to %s: %v", score, path, err)
	}
	if got := readAdj(t, child.Process.Pid); got != score {
		t.Errorf("child's oom_score_adj = %d after writing %d", got, score)
	}
}

func TestAboveNoProcess(t *testing.T) {
	// Above Linux's PID_MAX_LIMIT (4194304): no such process.
	if score, err := above(1 << 23); err == nil {
		t.Errorf("above(no process) = %d, want an error", score)
	}
}
