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

# End-to-end test: mqsentry's runsc on a Kubernetes node, through the CRI (what
# the kubelet does, without a kubelet), on the containerd 1.6 fallback
# (test/e2e/cri2.sh runs the same pods on containerd 2.x through gVisor's shim).
#
# Starts a private containerd (Debian's, 1.6, with its CRI plugin) whose config
# is deploy/containerd/runsc-cri.toml (runtime "runsc": containerd's runc shim
# running this tree's bin/runsc through deploy/containerd/runsc-cri) plus this
# node's settings: a locally imported pause image (test/e2e/pause.c) as
# sandbox_image, the native snapshotter, restrict_oom_score_adj (this VM's root
# may not lower an oom_score_adj). Pods are host-network pods (no CNI here)
# started with the handler of deploy/kubernetes/runtimeclass.yaml, driven by
# crictl (cri-tools, pinned, built with go install into a cache directory).
# Checks:
#   - pod A, sysctls fs.mqueue.msg_max=100 and kernel.msgmnb=65536, with two
#     containers: a consumer exec in one blocks on the queues, a producer exec
#     in the other sends; POSIX messages (by name /mqe2e) and SysV messages (by
#     key 0x0e2e0001) cross through the pod's shared IPC namespace;
#   - /dev/mqueue of both containers (CRI's mqueue mount, made by runsc) lists
#     the queue;
#   - the pod's sysctls are seen in /proc/sys of both containers and are
#     enforced: a new SysV queue gets msg_qbytes 65536; in a third container
#     running as uid 65534 (no CAP_SYS_RESOURCE) mq_open with mq_maxmsg 50
#     succeeds and with 101 fails with EINVAL;
#   - a container's output reaches its CRI log, and a container stopped on
#     its own exits (code 0 on SIGTERM) while its pod runs on;
#   - pod B sees none of pod A's queues, and has the default limits.
# (These checks are cri_pod_checks of test/e2e/lib.sh.)
# Prints every command and ends with "N passed, M failed". Installs containerd
# with apt-get when missing; must run as root. Stops its containerd and removes
# its pods, images, state and mounts at exit. Environment: RUNSC, MQDUMP
# override the binaries; CRICTL_DIR the crictl cache directory;
# E2E_RUNSC_DEBUG=1 adds runsc's --debug --debug-log (logs kept in
# build/out/e2e-cri/runsc-logs) and containerd's debug log level.
# containerd's log is kept in build/out/e2e-cri/containerd.log.
set -u
. "$(dirname "$0")/lib.sh"
WORK=$ROOT/build/out/e2e-cri
HANDLER=$(awk '$1 == "handler:" { print $2 }' deploy/kubernetes/runtimeclass.yaml)
CRI=
RUNSC_CRI_STATE=

cleanup() {
	step "cleanup"
	if [ -n "${CTRD_PID:-}" ]; then
		cri_cleanup
		# Pods that would not stop: their sandboxes (by id, in the runc shim's
		# runsc root), and deploy/containerd/runsc-cri's waiters.
		local p
		for p in $ids; do
			compgen -G "$CRI/runsc-root/k8s.io/${p}_sandbox:*" >/dev/null || continue
			say "runsc delete --force leftover $p"
			timeout 30 "$RUNSC" --root "$CRI/runsc-root/k8s.io" delete --force "$p" >/dev/null 2>&1
		done
		for p in "$RUNSC_CRI_STATE"/*; do
			[ -f "$p" ] || continue
			say "killing leftover runsc-cri waiter $(<"$p") of ${p##*/}"
			kill "$(<"$p")" 2>/dev/null
		done
	fi
	if [ -n "$CRI" ]; then
		cp "$CRI/containerd.log" "$WORK/" 2>/dev/null
		remove_tree "$CRI"
		say "removed $CRI (containerd root, state, socket, pod logs)"
	fi
}

need_root
step "prerequisites"
need_cmd containerd containerd
need_cmd containerd-shim-runc-v2 containerd
CTR=$(type -P ctr)
need_bins
need_crictl
rm -rf "$WORK" && mkdir -p "$WORK"
CRI=$(mktemp -d /tmp/mqe2e-cri.XXXXXX)
export RUNSC_CRI_STATE=$CRI/runsc-cri # deploy/containerd/runsc-cri's waiters
arm_cleanup

step "a private containerd 1.6 with deploy/containerd/runsc-cri.toml (handler $HANDLER)"
mkdir -p "$CRI/bin"
cp deploy/containerd/runsc-cri "$CRI/bin/runsc-cri" && ln -s "$RUNSC" "$CRI/bin/runsc"
{
	cat <<-EOF
		# this node: test/e2e/cri.sh
		version = 2
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$PAUSE"
		  restrict_oom_score_adj = true
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "native"
		    default_runtime_name = "$HANDLER"
		# deploy/containerd/runsc-cri.toml
	EOF
	# runsc's state (the shim's --root) in our directory too.
	grep -v '^version' deploy/containerd/runsc-cri.toml |
		sed -e "s#/usr/local/bin/runsc-cri#$CRI/bin/runsc-cri#" -e "/BinaryName/a\\  Root = \"$CRI/runsc-root\""
} >"$CRI/config.toml"
say "$CRI/config.toml:"
grep -v '^#' "$CRI/config.toml" | sed '/^$/d; s/^/    /'
debug=
ctrd_cmd=(containerd)
if [ "${E2E_RUNSC_DEBUG:-0}" = 1 ]; then
	mkdir -p "$WORK/runsc-logs"
	debug="--debug --debug-log=$WORK/runsc-logs/"
	ctrd_cmd+=(--log-level debug)
fi
ctrd_cmd+=(--config "$CRI/config.toml" --root "$CRI/root" --state "$CRI/state" --address "$CRI/containerd.sock")
export RUNSC_EXTRA_FLAGS=$debug # for deploy/containerd/runsc-cri
say "RUNSC_EXTRA_FLAGS=\"$debug\" RUNSC_CRI_STATE=$RUNSC_CRI_STATE"
cri_start "${ctrd_cmd[@]}"
cri_images
cri_pod_checks
finish
