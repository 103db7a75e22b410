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

# Runs one syscall-test binary under mqsentry's runsc, the way the runner's
# runsc mode does (test/syscalls/runner/modes.go):
#   bin/runsc --network=none --ignore-cgroups do BINARY [gtest flags]
# Usage (from syscall_test() in tools/bazel/defs.bzl):
#   runsc_test.sh "RUNSC_PATHS" BINARY [gtest flags...]
# RUNSC_PATHS is $(rootpaths //:runsc): bin/runsc, or empty when it has not
# been built. bin/runsc is built by `make runsc`, not by Bazel; Bazel tracks
# its contents, so a rebuilt runsc reruns the tests.
set -euo pipefail
runsc=${1:-}
binary=$2
shift 2
if [[ -z $runsc || ! -x $runsc ]]; then
  echo "runsc_test: bin/runsc is missing: build it with 'make runsc' first" >&2
  exit 1
fi
if [[ $(id -u) != 0 ]]; then
  echo "runsc_test: runsc do needs root" >&2
  exit 1
fi
runsc=$(readlink -f "$runsc")
binary=$(readlink -f "$binary")
# gVisor's test helpers look at TEST_ON_GVISOR; runsc do passes the
# environment on to the test.
export TEST_ON_GVISOR=systrap
exec "$runsc" --network=none --ignore-cgroups 'do' "$binary" --gtest_color=no "$@"
