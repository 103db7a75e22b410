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

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The accessors added to gVisor's packages are contracts of mqsentry's
// packages, asserted at compile time in shims (see
// _shims/syscalls/linux/mqsentry_syscalls.go). These tests break one, the
// netlink accessor mq_notify's SIGEV_THREAD uses, and check that building
// the gVisor package holding the assertion fails naming the contract. Only
// gVisor's syscalls/linux imports netlink, so the broken builds compile two
// packages; the rest comes from the build cache that `make runsc` fills
// (same flags).

const (
	accessor     = "pkg/sentry/socket/netlink/mqsentry_export.go"
	assertingPkg = "gvisor.dev/gvisor/pkg/sentry/syscalls/linux"
	// How the compiler names the contract (both packages are "linux").
	contract       = `"github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux".RawSender`
	brokenAccessor = `package netlink

import "gvisor.dev/gvisor/pkg/context"

// SendRaw as a pin bump might change it: it no longer returns a
// *syserr.Error.
func (s *Socket) SendRaw(ctx context.Context, data []byte) error { return nil }
`
)

// buildWithOverlay builds assertingPkg from the vendored gVisor with the
// overlay of build/overlay.list, changed by change, and returns go build's
// output and error.
func buildWithOverlay(t *testing.T, change func(ov *overlay, gvisor string)) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds gVisor packages")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gvisor := filepath.Join(root, "vendor/gvisor.dev/gvisor")
	if _, err := os.Stat(filepath.Join(root, "vendor/modules.txt")); err != nil {
		t.Skip("no vendored gVisor: make vendor/modules.txt")
	}
	dir := t.TempDir()
	ov, err := build(filepath.Join(root, "build/overlay.list"), gvisor, filepath.Join(dir, "_edited"))
	if err != nil {
		t.Fatal(err)
	}
	change(ov, gvisor)
	data, err := json.Marshal(ov)
	if err != nil {
		t.Fatal(err)
	}
	ovPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The flags of `make runsc`, so that unchanged packages come from the
	// build cache.
	cmd := exec.Command("go", "build", "-mod=vendor", "-trimpath", "-overlay="+ovPath, "-o", os.DevNull, assertingPkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestShimContractHolds(t *testing.T) {
	if out, err := buildWithOverlay(t, func(*overlay, string) {}); err != nil {
		t.Fatalf("go build %s: %v\n%s", assertingPkg, err, out)
	}
}

func TestShimContractChangedStopsBuild(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.go")
	if err := os.WriteFile(broken, []byte(brokenAccessor), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := buildWithOverlay(t, func(ov *overlay, gvisor string) {
		ov.Replace[filepath.Join(gvisor, accessor)] = broken
	})
	if err == nil {
		t.Fatalf("go build %s succeeded with a changed SendRaw", assertingPkg)
	}
	if !strings.Contains(out, contract) || !strings.Contains(out, "wrong type for method SendRaw") {
		t.Errorf("go build failed without naming %s and SendRaw:\n%s", contract, out)
	}
}

func TestShimContractMissingStopsBuild(t *testing.T) {
	out, err := buildWithOverlay(t, func(ov *overlay, gvisor string) {
		delete(ov.Replace, filepath.Join(gvisor, accessor))
	})
	if err == nil {
		t.Fatalf("go build %s succeeded without SendRaw", assertingPkg)
	}
	if !strings.Contains(out, contract) || !strings.Contains(out, "missing method SendRaw") {
		t.Errorf("go build failed without naming %s and SendRaw:\n%s", contract, out)
	}
}
