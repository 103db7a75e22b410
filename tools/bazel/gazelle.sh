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

# Runs Gazelle, pinned, on the repository: with no arguments it rewrites the
# BUILD.bazel files of the Go packages to match their imports; extra
# arguments go to Gazelle (check-gazelle.sh passes -mode=diff). With the
# single argument --install it only builds Gazelle, if not built yet, so that a
# caller can tell a failed build (or the `go: downloading` lines of a first
# build) apart from what Gazelle itself reports.
#
# Gazelle comes from the Go module proxy, built once into a cache directory
# (GAZELLE_CACHE, default ~/.cache/mqsentry-gazelle). It then runs with
# GOPROXY=off: imports resolve offline through the directives in //:BUILD.bazel
# (prefix, excludes, naming) and the "# gazelle:repository" lines in
# //:WORKSPACE (external modules).
set -euo pipefail

# v0.54.0 does not build with `go install ...@v0.54.0` (its cmd/gazelle mixes
# the v1 and v2 language APIs); v0.53.0 builds and runs with Go 1.26.
GAZELLE_VERSION=v0.53.0
GAZELLE_PKG=github.com/bazelbuild/bazel-gazelle/cmd/gazelle

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
go=${GO:-go}
cache=${GAZELLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mqsentry-gazelle}/$GAZELLE_VERSION
gazelle=$cache/gazelle
if [[ ! -x $gazelle ]]; then
  mkdir -p "$cache"
  # GOFLAGS is cleared so that a -mod=vendor from the environment does not
  # apply to Gazelle's own module.
  if ! GOFLAGS='' GOBIN=$cache "$go" install "$GAZELLE_PKG@$GAZELLE_VERSION"; then
    echo "gazelle.sh: building Gazelle $GAZELLE_VERSION with '$go install' failed" >&2
    exit 1
  fi
fi
if [[ $# -eq 1 && $1 == --install ]]; then
  exit 0
fi

cd "$root"
exec env GOFLAGS= GOPROXY=off "$gazelle" -repo_root="$root" -go_prefix=github.com/mqsentry/mqsentry "$@"
