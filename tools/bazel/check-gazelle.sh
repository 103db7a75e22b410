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

# Fails when a Go package's BUILD.bazel file is not what Gazelle generates
# from its sources (a changed import, a new file or package, a removed one),
# or when Gazelle cannot resolve an import offline. Writes nothing; fix with
# tools/bazel/gazelle.sh and commit the BUILD.bazel changes.
set -uo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# Building Gazelle is a step of its own: a first build prints `go: downloading`
# lines on stderr, which must not be taken for Gazelle's findings below.
if ! "$here/gazelle.sh" --install >"$err" 2>&1; then
  echo "gazelle: could not build Gazelle (needs the Go module proxy once):" >&2
  cat "$err" >&2
  exit 1
fi

"$here/gazelle.sh" -mode=diff >"$out" 2>"$err"
rc=$?
if [[ $rc -eq 0 && ! -s $err ]]; then
  echo "gazelle: BUILD.bazel files are up to date"
  exit 0
fi
if [[ -s $err ]]; then
  echo "gazelle: errors (an import Gazelle cannot resolve offline needs a" >&2
  echo "'# gazelle:repository' line in WORKSPACE):" >&2
  cat "$err" >&2
fi
if [[ -s $out ]]; then
  echo "gazelle: BUILD.bazel files are out of date; run tools/bazel/gazelle.sh. Differences:" >&2
  cat "$out" >&2
fi
[[ $rc -ne 0 ]] || rc=1
exit "$rc"
