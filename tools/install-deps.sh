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

# Installs what building and testing mqsentry needs on a Debian machine, as
# root: a C++ toolchain, gtest, util-linux's ipc tools, any Debian packages
# named as arguments, and the Go modules. Packages already present are left
# alone, so repeated runs are quick.
set -euo pipefail
packages=(g++ libgtest-dev util-linux "$@")
missing=()
for p in "${packages[@]}"; do
  # Not `dpkg -s`: it succeeds for a removed package whose configuration
  # files remain ("deinstall ok config-files").
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
go mod download
