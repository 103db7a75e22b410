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

# make e2e: the end-to-end scripts one after another, then one closing line
# over all of them:
#   test/e2e/run.sh     podman
#   test/e2e/docker.sh  a private dockerd
#   test/e2e/cri2.sh    containerd 2.x's CRI as a Kubernetes node drives it,
#                       through gVisor's shim (and ctr through the shim)
#   test/e2e/cri.sh     the same pods on Debian's containerd 1.6 through
#                       containerd's runc shim (deploy/containerd/runsc-cri)
# E2E_PARTS (default "run docker cri2 cri") picks some. A script that ends without
# its own count (killed, say) counts as one failure. Exits 1 when anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
tally=$(mktemp)
trap 'rm -f "$tally"' EXIT
parts=${E2E_PARTS:-run docker cri2 cri}
for part in $parts; do
	t0=$SECONDS
	E2E_TALLY=$tally E2E_NAME=$part "test/e2e/$part.sh"
	rc=$?
	if ! grep -q "^$part " "$tally"; then
		echo "$part 0 1 0" >>"$tally"
		echo "FAIL: test/e2e/$part.sh ended (exit $rc) without its count"
	fi
	echo "$part took $((SECONDS - t0)) s"
done
echo
echo "== end to end: test/e2e/{${parts// /,}}.sh"
awk '{ printf "  %-10s %3d passed %3d failed %3d known\n", $1 ".sh", $2, $3, $4; p += $2; f += $3 }
	END { printf "\ne2e: %d passed, %d failed\n", p, f; exit f > 0 }' "$tally"
