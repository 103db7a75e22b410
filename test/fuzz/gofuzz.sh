#!/usr/bin/env bash
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

# Runs every Go fuzz target of the queue cores, the syscall package and the
# sysctl parser for FUZZTIME each (default 10s), one after the other, and
# prints a table of executions per target. A target that fails leaves its
# input under the package's testdata/fuzz/ (re-run it with `go test -run=TARGET/ID ./PKG`);
# the script then exits 1 after the others have run.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" just as -fuzztime runs out, more often on a loaded machine
# (golang/go#75804, fixed in Go 1.27): such a run wrote no failing input and
# says nothing about the target, so it is run again once, and reported as
# "pass" only if the retry passes or hits the same race again. A run that
# writes a failing input, or fails any other way, fails.
#
# Usage: test/fuzz/gofuzz.sh [FUZZTIME]    (e.g. 10s, 5m)
# Environment: GO (default go), FUZZ_MINIMIZE (default 5s: how long a new
# input is minimized; the go default of 60s starves short runs).
set -u
cd "$(dirname "$0")/../.." || exit 1
GO=${GO:-go}
FUZZTIME=${1:-${FUZZTIME:-10s}}
MINIMIZE=${FUZZ_MINIMIZE:-5s}
TARGETS=(
  pkg/sentry/kernel/mq:FuzzQueueAgainstModel
  pkg/sentry/kernel/mq:FuzzBlockingAgainstModel
  pkg/sentry/kernel/mq:FuzzNewQueueAgainstModel
  pkg/sentry/kernel/msgqueue:FuzzQueueAgainstModel
  pkg/sentry/kernel/msgqueue:FuzzRegistryGetAgainstModel
  pkg/sentry/kernel/msgqueue:FuzzConvertMode
  pkg/sentry/syscalls/linux:FuzzKcmpOrder
  pkg/sentry/syscalls/linux:FuzzMqOpenAttr
  pkg/sentry/syscalls/linux:FuzzMqSetattr
  pkg/sentry/syscalls/linux:FuzzSigevent
  pkg/sentry/syscalls/linux:FuzzMqPeekAttr
  pkg/sentry/syscalls/linux:FuzzKcmpEpollSlot
  pkg/sentry/syscalls/linux:FuzzMsgsndArgs
  pkg/sentry/syscalls/linux:FuzzMsgrcvArgs
  pkg/sentry/fsimpl/ipcproc:FuzzParseSysctlInt
)
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  pkg=${t%%:*}
  fn=${t##*:}
  echo "=== $fn ($pkg) for $FUZZTIME"
  out=$(mktemp)
  start=$(date +%s)
  for attempt in 1 2; do
    before=$(find "$pkg/testdata/fuzz/$fn" -type f 2>/dev/null | sort)
    $GO test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$MINIMIZE" "./$pkg" 2>&1 | tee "$out" | grep -v 'fuzz: elapsed'
    status=${PIPESTATUS[0]}
    after=$(find "$pkg/testdata/fuzz/$fn" -type f 2>/dev/null | sort)
    race=no
    if [ "$status" -ne 0 ] && ! grep -q '^ok' "$out" && [ "$before" = "$after" ] && ! grep -q 'Failing input' "$out" &&
      [ "$(grep -c -- '--- FAIL' "$out")" = 1 ] && grep -qx '    context deadline exceeded' "$out"; then
      race=yes
    fi
    [ "$race" = yes ] || break
    echo "--- $fn: Go's fuzz coordinator race at the end of -fuzztime (golang/go#75804, no failing input written); attempt $attempt of 2"
  done
  end=$(date +%s)
  execs=$(grep -o 'execs: [0-9]*' "$out" | tail -1 | awk '{print $2}')
  interesting=$(grep -o 'total: [0-9]*' "$out" | tail -1 | awk '{print $2}')
  if [ "$race" = yes ] || { [ "$status" -eq 0 ] && grep -q '^ok' "$out"; }; then
    result=pass
  else
    result=FAIL
    failed=1
    grep -E 'Failing input|go test -run=' "$out"
  fi
  summary+=("$(printf '%-30s %-28s %-4s %12s execs %6s corpus %5ss' "$fn" "$pkg" "$result" "${execs:-0}" "${interesting:-?}" "$((end - start))")")
  rm -f "$out"
done
echo
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "go fuzz: FAIL"
  exit 1
fi
echo "go fuzz: PASS"
