# Copyright 2026 The mqsentry Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

# mqsentry: see README.md. `make run` and `make test` do all set-up.
SHELL := /bin/bash
GO ?= go
# Packages whose save/restore methods tools/stateify generates.
STATE_PKGS := pkg/sentry/kernel/mq pkg/sentry/fsimpl/mqfs pkg/sentry/syscalls/linux pkg/sentry/kernel/sysvipc pkg/sentry/kernel/msgqueue pkg/sentry/fsimpl/ipcproc pkg/sentry/fsimpl/taskproc pkg/sentry/fsimpl/threadsmax pkg/sentry/kernel/ucount
TEST_SRCS := $(wildcard test/syscalls/linux/*_test.cc)
TEST_BINS := $(patsubst test/syscalls/linux/%.cc,build/out/tests/%,$(TEST_SRCS))
TEST_HDRS := $(wildcard test/syscalls/linux/*.h)
CXXFLAGS := -std=c++17 -O1 -Wall -static -pthread
RUNNER := $(GO) run ./test/syscalls/runner -known-failures test/syscalls/known_failures.txt
RUNSC_FLAGS ?=

.PHONY: all deps overlay runsc shim run test checkpoint-test oci-test metrics-test mqdump-test vet shellcheck generate check-generated unit syscall-tests test-binaries compare clean

all: runsc

deps:
	./tools/install-deps.sh

# go mod vendor copies only the packages something imports, so a new import
# of a gVisor package re-vendors too.
GO_SRCS := $(shell find cmd pkg tools test _shims -name '*.go' 2>/dev/null)
vendor/modules.txt: go.mod go.sum $(GO_SRCS)
	$(GO) mod vendor
	touch $@

# The overlay list is re-read on every build: it is cheap and keeps the
# overlay in step with the shims; go's build cache keeps rebuilds incremental.
# -trimpath keeps the checkout's path out of the cache keys, so clones and
# worktrees in other directories reuse one another's compiled gVisor.
overlay: vendor/modules.txt
	$(GO) run -mod=mod ./tools/overlay -list build/overlay.list -gvisor vendor/gvisor.dev/gvisor -out bin/overlay.json

OVERLAY_BUILD := CGO_ENABLED=0 $(GO) build -mod=vendor -trimpath -overlay=bin/overlay.json
runsc: overlay
	$(OVERLAY_BUILD) -o bin/runsc ./cmd/runsc

# gVisor's containerd shim (runtime_type "io.containerd.runsc.v1") from the
# same vendored pin and overlay as bin/runsc: build/overlay.list's shim edits
# (its OOM score, ctr's containers) apply to it.
shim: overlay
	$(OVERLAY_BUILD) -o bin/containerd-shim-runsc-v1 ./cmd/containerd-shim-runsc-v1

# An unmodified runsc from the same gVisor pin, for side-by-side tables.
bin/runsc-upstream: go.mod go.sum
	CGO_ENABLED=0 $(GO) build -mod=mod -o $@ gvisor.dev/gvisor/runsc

# The C programs, static (they run in any root file system, e.g. an OCI
# bundle's holding nothing else): bin/NAME and build/out/NAME are built from
# the NAME.c of C_SRCS. A target needing what tools/install-deps.sh installs
# (gcc, gtest) names deps explicitly: `make -j` does not keep the order of
# a prerequisite list.
C_SRCS := examples/mqdemo.c test/bench/mqbench.c test/fuzz/ipcfuzz.c \
	$(wildcard test/stress/c/*.c test/checkpoint/c/*_checkpoint.c) test/oci/c/ociprobe.c \
	test/metrics/c/metricsprobe.c
C_PROGS := bin/mqdemo bin/mqbench \
	$(patsubst %.c,build/out/%,$(notdir $(filter-out examples/% test/bench/%,$(C_SRCS))))
CFLAGS := -O2 -Wall -static -pthread
.SECONDEXPANSION:
$(C_PROGS): $$(filter %/$$(@F).c,$(C_SRCS)) | deps
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $< -lrt
build/out/ipcfuzz build/out/mqstress: test/common/ledger.h

run: deps runsc bin/mqdemo
	bin/runsc --network=none --ignore-cgroups $(RUNSC_FLAGS) do $(CURDIR)/bin/mqdemo

generate:
	$(GO) run -mod=mod ./tools/stateify -name-root mqsentry $(STATE_PKGS)

check-generated:
	$(GO) run -mod=mod ./tools/stateify -check -name-root mqsentry $(STATE_PKGS)

# gVisor's lock analyzer, built from the gVisor module go.mod pins: it
# checks the +checklocks annotations (guarded fields, functions that need or
# take a lock) of our packages; vendored gVisor is analyzed for facts only.
bin/checklocks: go.mod go.sum
	@mkdir -p bin
	$(GO) build -mod=mod -o $@ gvisor.dev/gvisor/tools/checklocks/cmd/checklocks

vet: vendor/modules.txt bin/checklocks shellcheck
	@unformatted=$$(gofmt -l cmd pkg tools test _shims); if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -vettool=$(CURDIR)/bin/checklocks ./...
	$(GO) run ./tools/license

# Every shell script git tracks: *.sh and the files whose first line is a sh
# or bash shebang (the deploy wrappers, .ci/run). -x -P SCRIPTDIR follows what
# a script sources from its own directory (test/e2e/lib.sh).
shellcheck:
	./tools/install-deps.sh shellcheck
	git ls-files -z -- ':!vendor' | xargs -0 awk 'FNR == 1 && (FILENAME ~ /\.sh$$/ || /^#!.*[\/ ](ba|da)?sh( |$$)/) { print FILENAME } { nextfile }' | xargs shellcheck -x -P SCRIPTDIR

# The Go tests, but for those other targets of `make test` run: test/mqdump
# (mqdump-test, after runsc: its round trips need bin/runsc) and the cores'
# stress tests (stress, for CORE_STRESS). go test's vet subset is left to
# the vet target, which runs all of go vet.
unit: vendor/modules.txt
	set -o pipefail; pkgs=$$($(GO) list ./... | grep -v '/test/mqdump$$') && \
	CGO_ENABLED=1 $(GO) test -race -count=1 -vet=off -skip CoreStress $$pkgs

build/out/tests/%: test/syscalls/linux/%.cc $(TEST_HDRS) | deps
	@mkdir -p build/out/tests
	g++ $(CXXFLAGS) -o $@ $< -lgtest -lgtest_main -lrt

test-binaries: $(TEST_BINS)

# Every case must pass natively, under ours, and under ours in save mode
# (ours-save: the sandbox is checkpointed to an image and restored from it at
# every MaybeSave() of a case; see test/syscalls/runner/savemode.go).
# known_failures.txt lists the exceptions with their reasons.
SAVE_TIMEOUT ?= 120s
syscall-tests: runsc test-binaries
	$(RUNNER) -runsc ours=bin/runsc -save-runsc ours=bin/runsc -required native,ours,ours-save -timeout $(SAVE_TIMEOUT) $(TEST_BINS)

# The save-mode column alone.
.PHONY: syscall-tests-save
syscall-tests-save: runsc test-binaries
	$(RUNNER) -native=false -save-runsc ours=bin/runsc -required ours-save -timeout $(SAVE_TIMEOUT) $(TEST_BINS)

# Fills POSIX and SysV queues, checkpoints and restores the sandbox, drains
# and compares.
checkpoint-test: runsc build/out/mq_checkpoint build/out/msg_checkpoint
	$(GO) run ./test/checkpoint -runsc bin/runsc -prog build/out/mq_checkpoint
	$(GO) run ./test/checkpoint -runsc bin/runsc -prog build/out/msg_checkpoint

# The same OCI bundles (Docker's /dev/mqueue mount, IPC sysctls, a refused
# value) under Debian's runc and under bin/runsc: what the container sees
# must match line for line.
oci-test: runsc build/out/ociprobe
	./tools/install-deps.sh runc
	$(GO) run ./test/oci -runsc bin/runsc -probe build/out/ociprobe

# The /ipc/mqueue/* and /ipc/msg/* metrics of a container holding known
# queues, messages and blocked tasks, read from `runsc export-metrics` with
# Prometheus' text parser, before and after a checkpoint and restore.
metrics-test: runsc build/out/metricsprobe
	$(GO) run ./test/metrics -runsc bin/runsc -prog build/out/metricsprobe

bin/mqdump: $(wildcard cmd/mqdump/*.go) vendor/modules.txt
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -o $@ ./cmd/mqdump

# Dump -> restore -> dump round trips of mqdump, natively and in bin/runsc.
mqdump-test: runsc
	$(GO) test -count=1 -v ./test/mqdump/

test: deps vendor/modules.txt check-generated check-bazel vet unit runsc metrics-test syscall-tests checkpoint-test oci-test mqdump-test fuzz-go stress ipcfuzz-diff e2e-test

# Robustness (see README "Fuzzing and stress"). make test runs the short
# versions; make fuzz the long ones.
FUZZTIME ?= 5s
IPCFUZZ_SECONDS ?= 20
STRESS_SECONDS ?= 20
CORE_STRESS ?= 3s
IPCFUZZ_SEEDS ?= 1 2 3 4 5
STRESS_RUN := $(GO) run ./test/stress/run -runsc ours=bin/runsc -timeout 30m
.PHONY: fuzz fuzz-go stress ipcfuzz-diff

# Every Go fuzz target (decoders and queue cores against models) for FUZZTIME.
fuzz-go: vendor/modules.txt
	GO=$(GO) test/fuzz/gofuzz.sh $(FUZZTIME)

# The syscall fuzzer and the multi-process stress program, natively and
# under bin/runsc, the Sentry's memory under an unprivileged user's hostile
# patterns (bounds: README's memory table), then the cores' stress tests
# under -race.
MQMEM_FLAGS ?=
stress: runsc build/out/ipcfuzz build/out/mqstress build/out/mqmem build/out/hostile
	$(STRESS_RUN) -diff build/out/hostile
	$(STRESS_RUN) build/out/ipcfuzz -t $(IPCFUZZ_SECONDS)
	$(STRESS_RUN) build/out/mqstress -t $(STRESS_SECONDS)
	$(GO) run ./test/stress/memory -runsc bin/runsc build/out/mqmem $(MQMEM_FLAGS)
	MQSENTRY_STRESS_DURATION=$(CORE_STRESS) CGO_ENABLED=1 $(GO) test -race -count=1 -run CoreStress ./test/stress/

# Deterministic runs of the syscall fuzzer: the same calls must give the same
# results and errnos natively and under bin/runsc.
ipcfuzz-diff: runsc build/out/ipcfuzz
	set -e; for s in $(IPCFUZZ_SEEDS); do $(STRESS_RUN) -diff build/out/ipcfuzz -d 5000 -s $$s; done

fuzz:
	$(MAKE) fuzz-go stress ipcfuzz-diff FUZZTIME=5m IPCFUZZ_SECONDS=300 STRESS_SECONDS=300 CORE_STRESS=60s IPCFUZZ_SEEDS="$$(seq -s ' ' 1 20)"

# Native, unmodified runsc and ours side by side (nothing required of upstream).
compare: runsc bin/runsc-upstream test-binaries
	$(RUNNER) -runsc upstream=bin/runsc-upstream -runsc ours=bin/runsc -markdown build/out/compare.md $(TEST_BINS)

clean:
	rm -rf bin build/out vendor

# Benchmarks (test/bench, see the driver's doc comment): the Go benchmarks of
# the queue core, then test/bench/mqbench.c natively, under unmodified runsc
# and under ours, interleaved, with medians and ratios. BENCH_FLAGS go to the
# driver (e.g. BENCH_FLAGS="-reps 9 -go-count 10"); raw output lands in
# build/out/bench. bench-go and bench-c run one half each.
BENCH_FLAGS ?=
BENCH := $(GO) run ./test/bench/driver -runsc-flags "$(RUNSC_FLAGS)" $(BENCH_FLAGS)
.PHONY: bench bench-go bench-c

bench: runsc bin/runsc-upstream bin/mqbench
	$(BENCH)

bench-go: vendor/modules.txt
	$(BENCH) -skip-c

bench-c: runsc bin/runsc-upstream bin/mqbench
	$(BENCH) -skip-go

.PHONY: bazel-deps bazel-test check-bazel

bazel-deps:
	./tools/bazel/install-deps.sh

# The C++ syscall tests with Debian's Bazel (tools/bazel/README.md): natively
# (MqsentryOnly* left out), then every case under bin/runsc.
bazel-test: bazel-deps runsc
	bazel test //test/syscalls/...
	bazel test //test/syscalls/linux:runsc_tests

# The Go packages' BUILD.bazel files match their imports (Gazelle, offline).
check-bazel:
	GO=$(GO) ./tools/bazel/check-gazelle.sh

# Installs bin/runsc, gVisor's containerd shim built with it (make shim), the
# podman checkpoint wrapper and the wrapper containerd 1.6's runc shim runs
# (deploy/containerd/runsc-cri) into PREFIX.
PREFIX ?= /usr/local/bin
.PHONY: install e2e e2e-test

install: runsc shim
	install -d $(DESTDIR)$(PREFIX)
	install -m 0755 bin/runsc bin/containerd-shim-runsc-v1 deploy/podman/runsc-podman deploy/containerd/runsc-cri $(DESTDIR)$(PREFIX)/

# End to end (test/e2e/all.sh): podman (run.sh), Docker (docker.sh), a
# Kubernetes node through containerd 2.x's CRI and gVisor's shim, and ctr
# (cri2.sh), the same node on containerd 1.6 (cri.sh); each installs what it
# needs (podman, criu, docker.io, containerd with apt; crictl and containerd
# v2.4.2 with go install) when missing. E2E_PARTS="docker" runs some.
e2e e2e-test: runsc shim bin/mqdump
	test/e2e/all.sh
