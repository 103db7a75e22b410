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
# the kubelet does, without a kubelet).
#
# Starts a private containerd (Debian's, 1.6, with its CRI plugin) whose config
# is deploy/containerd/config.toml (runtime "runsc-mq": containerd's runc shim
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
# Prints every command and ends with "N passed, M failed". Installs containerd
# with apt-get when missing; must run as root. Stops its containerd and removes
# its pods, images, state and mounts at exit. Environment: RUNSC, MQDUMP
# override the binaries; CRICTL_DIR the crictl cache directory;
# E2E_RUNSC_DEBUG=1 adds runsc's --debug --debug-log (logs kept in
# build/out/e2e-cri/runsc-logs) and containerd's debug log level.
# containerd's log is kept in build/out/e2e-cri/containerd.log.
set -u
. "$(dirname "$0")/lib.sh"
CRICTL_VERSION=v1.37.0
CRICTL_DIR=${CRICTL_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mqsentry/crictl-$CRICTL_VERSION}
WORK=$ROOT/build/out/e2e-cri
IMAGE=localhost/mqsentry-e2e:latest
PAUSE=localhost/mqsentry-pause:latest
HANDLER=$(awk '$1 == "handler:" { print $2 }' deploy/kubernetes/runtimeclass.yaml)
CRI=
ids= # of the pods and containers made, for cleanup
RUNSC_CRI_STATE=

crictl() { timeout "${CRICTL_TIMEOUT:-120}" "$CRICTL_DIR/crictl" --config "$CRI/crictl.yaml" "$@"; }
# shellcheck disable=SC2317 # called through run (lib.sh)
ctr() { timeout 120 "$CTR" -a "$CRI/containerd.sock" -n k8s.io "$@"; }

cleanup() {
	step "cleanup"
	if [ -n "${CTRD_PID:-}" ]; then
		local p id CRICTL_TIMEOUT=30
		for p in $(crictl pods -q 2>/dev/null); do
			crictl stopp "$p" >/dev/null 2>&1
			crictl rmp -f "$p" >/dev/null 2>&1
		done
		crictl rmi "$IMAGE" "$PAUSE" >/dev/null 2>&1
		stop_daemon "$CTRD_PID"
		say "removed pods and images, stopped containerd (pid $CTRD_PID)"
		# Pods that would not stop: their sandboxes (by id, in the runc shim's
		# runsc root) and shims (the containerd-shim processes naming our socket).
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
		while read -r p; do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = containerd-shim ] || continue
			say "killing leftover shim (pid $p)"
			id=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | sed -n '/^-id$/{n;p}')
			kill -KILL "$p" 2>/dev/null
			# and its socket: containerd 1.6 names it by a hash of address, namespace and id
			[ -n "$id" ] && rm -f "/run/containerd/s/$(printf '%s' "$CRI/containerd.sock/k8s.io/$id" | sha256sum | cut -d' ' -f1)"
		done < <(grep -lF -- "$CRI/containerd.sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3)
	fi
	if [ -n "$CRI" ]; then
		cp "$CRI/containerd.log" "$WORK/" 2>/dev/null
		remove_tree "$CRI"
		say "removed $CRI (containerd root, state, socket, pod logs)"
	fi
}

# image_tar ROOTFS_TAR REF ENTRYPOINT_JSON OUT: a one-layer image in docker
# archive format (what `ctr images import` reads) named REF.
image_tar() {
	local d diff cfg
	d=$(mktemp -d "$WORK/image.XXXXXX")
	cp "$1" "$d/layer.tar"
	diff=sha256:$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s,"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$3" "$diff" >"$d/config.json"
	cfg=$(sha256sum "$d/config.json" | cut -d' ' -f1).json
	mv "$d/config.json" "$d/$cfg"
	printf '[{"Config":"%s","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$cfg" "$2" >"$d/manifest.json"
	tar -C "$d" -cf "$4" manifest.json "$cfg" layer.tar
	rm -rf "$d"
}

# pod_json NAME SYSCTLS_JSON: a PodSandboxConfig of a host-network pod.
pod_json() {
	mkdir -p "$CRI/logs/$1"
	cat >"$WORK/$1.json" <<-EOF
		{
		  "metadata": {"name": "$1", "namespace": "mqe2e", "uid": "$1-$$", "attempt": 0},
		  "log_directory": "$CRI/logs/$1",
		  "linux": {
		    "sysctls": $2,
		    "security_context": {"namespace_options": {"network": 2}}
		  }
		}
	EOF
	say "$WORK/$1.json: $(tr -s ' \n' ' ' <"$WORK/$1.json")"
}

# container_json NAME [UID]: a ContainerConfig running `mqe2e hold` in our
# image (as UID when given).
container_json() {
	local linux='{}'
	[ -n "${2:-}" ] && linux="{\"security_context\": {\"run_as_user\": {\"value\": $2}}}"
	cat >"$WORK/$1.json" <<-EOF
		{
		  "metadata": {"name": "$1"},
		  "image": {"image": "$IMAGE"},
		  "command": ["/bin/mqe2e", "hold"],
		  "log_path": "$1.log",
		  "linux": $linux
		}
	EOF
}

# start_container POD_ID POD NAME [UID]: creates and starts container NAME
# (container_json) in pod POD (pod_json) whose id is POD_ID, sets $cid; fails
# the test when it cannot.
start_container() {
	local t0=$SECONDS
	container_json "$3" "${4:-}"
	run crictl create "$1" "$WORK/$3.json" "$WORK/$2.json" || { bad "crictl create $3 (exit $rc)"; return 1; }
	cid=$(printf '%s\n' "$out" | tail -n 1)
	ids+=" $cid"
	run crictl start "$cid"
	if [ "$rc" = 0 ]; then
		ok "container $3 ($cid) created and started in $((SECONDS - t0)) s"
	else
		bad "crictl start $3 (exit $rc after $((SECONDS - t0)) s)"
		return 1
	fi
}

need_root
step "prerequisites"
need_cmd containerd containerd
need_cmd containerd-shim-runc-v2 containerd
CTR=$(type -P ctr)
need_bins
if [ ! -x "$CRICTL_DIR/crictl" ]; then
	t0=$SECONDS
	run_quiet env GOBIN="$CRICTL_DIR" GOFLAGS=-buildvcs=false CGO_ENABLED=0 timeout 900 \
		go install "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" || { bad "go install crictl"; finish; }
	say "    built crictl $CRICTL_VERSION in $((SECONDS - t0)) s"
fi
rm -rf "$WORK" && mkdir -p "$WORK"
CRI=$(mktemp -d /tmp/mqe2e-cri.XXXXXX)
export RUNSC_CRI_STATE=$CRI/runsc-cri # deploy/containerd/runsc-cri's waiters
arm_cleanup

step "a private containerd with deploy/containerd/config.toml (handler $HANDLER)"
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
		# deploy/containerd/config.toml
	EOF
	# runsc's state (the shim's --root) in our directory too.
	grep -v '^version' deploy/containerd/config.toml |
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
say "+ RUNSC_EXTRA_FLAGS=\"$debug\" RUNSC_CRI_STATE=$RUNSC_CRI_STATE ${ctrd_cmd[*]} >$CRI/containerd.log 2>&1 &"
t0=$SECONDS
"${ctrd_cmd[@]}" >"$CRI/containerd.log" 2>&1 &
CTRD_PID=$!
# crictl's default timeout (2 s) is shorter than a sandbox start takes here.
printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 60\n' \
	"$CRI/containerd.sock" "$CRI/containerd.sock" >"$CRI/crictl.yaml"
say "crictl below is: timeout 120 $CRICTL_DIR/crictl --config $CRI/crictl.yaml:"
sed 's/^/    /' "$CRI/crictl.yaml"
if wait_for 60 crictl version; then
	run crictl version
	ok "containerd's CRI up in $((SECONDS - t0)) s"
else
	tail -n 20 "$CRI/containerd.log" | sed 's/^/    /'
	bad "containerd's CRI did not answer within 60 s"
	finish
fi

step "images: the pause image and the test image, ctr -n k8s.io images import"
build_rootfs "$WORK"
mkdir -p "$WORK/pause-rootfs"
build_static test/e2e/pause.c "$WORK/pause-rootfs/pause"
tar -C "$WORK/pause-rootfs" -cf "$WORK/pause-rootfs.tar" .
image_tar "$WORK/pause-rootfs.tar" "$PAUSE" '["/pause"]' "$WORK/pause.tar"
image_tar "$WORK/rootfs.tar" "$IMAGE" '["/bin/mqe2e", "hold"]' "$WORK/image.tar"
for t in pause image; do
	run ctr images import --snapshotter native "$WORK/$t.tar" || { bad "ctr images import $t.tar"; finish; }
done
run crictl images
if has mqsentry-pause && has mqsentry-e2e; then ok "CRI lists $PAUSE and $IMAGE"; else bad "CRI does not list the imported images"; finish; fi

step "pod A (sysctls fs.mqueue.msg_max=100, kernel.msgmnb=65536): a producer and a consumer container"
pod_json pod-a '{"fs.mqueue.msg_max": "100", "kernel.msgmnb": "65536"}'
t0=$SECONDS
run crictl runp --runtime "$HANDLER" "$WORK/pod-a.json" || { bad "crictl runp pod-a (exit $rc)"; finish; }
POD_A=$(printf '%s\n' "$out" | tail -n 1)
ids+=" $POD_A"
ok "pod A ($POD_A) running with handler $HANDLER after $((SECONDS - t0)) s"
start_container "$POD_A" pod-a producer || finish
PROD=$cid
start_container "$POD_A" pod-a consumer || finish
CONS=$cid
run crictl ps --pod "$POD_A"

step "pod A: messages from the producer container to the consumer container"
# The consumer blocks on the (empty) queues it creates; then the producer sends.
say "+ crictl exec -s --timeout 90 $CONS /bin/mqe2e consume 3 >$WORK/consumer.out &"
crictl exec -s --timeout 90 "$CONS" /bin/mqe2e consume 3 >"$WORK/consumer.out" 2>&1 &
consumer=$!
# shellcheck disable=SC2317 # called through wait_for (lib.sh)
queue_made() { ! crictl exec -s "$PROD" /bin/mqe2e absent; }
wait_for 30 queue_made || say "    (the consumer has not made /mqe2e within 30 s)"
for c in "producer $PROD" "consumer $CONS"; do
	run crictl exec -s "${c#* }" /bin/mqe2e ls /dev/mqueue
	check_ls "container ${c% *}"
done
run crictl exec -s "$PROD" /bin/mqe2e produce 3
check_produced "producer container" 3
ppid=$(producer_pid)
wait "$consumer"
rc=$?
out=$(cat "$WORK/consumer.out")
say "+ (consumer exec, done) exit $rc:"
printf '%s\n' "$out" | sed 's/^/    /'
check_consumed "consumer container" 3 "$ppid" any-order

step "pod A: the pod's sysctls in every container, enforced"
for c in "producer $PROD" "consumer $CONS"; do
	run crictl exec -s "${c#* }" /bin/mqe2e sysctl
	check_sysctls "container ${c% *}" 100 65536
done
run crictl exec -s "$CONS" /bin/mqe2e qbytes
check_qbytes 65536
# A third container running as uid 65534: no CAP_SYS_RESOURCE, so the pod's
# fs.mqueue.msg_max is what mq_open checks.
if start_container "$POD_A" pod-a unprivileged 65534; then
	run crictl exec -s "$cid" /bin/mqe2e mqopen 50
	check_mqopen 50 ok
	run crictl exec -s "$cid" /bin/mqe2e mqopen 101
	check_mqopen 101 einval
fi

step "pod A: a container's output and exit reach the CRI"
run crictl logs "$PROD"
if [ "$rc" = 0 ] && has "hold["; then ok "container producer's output is in its CRI log"; else bad "crictl logs producer (exit $rc)"; fi
t0=$SECONDS
run crictl stop --timeout 10 "$CONS"
run crictl inspect -o go-template --template '{{.status.state}} exit code {{.status.exitCode}}' "$CONS"
if has "CONTAINER_EXITED exit code 0" && [ $((SECONDS - t0)) -lt 10 ]; then
	ok "container consumer stopped in $((SECONDS - t0)) s (SIGTERM, exit code 0) while its pod runs on"
else
	bad "container consumer did not stop cleanly within 10 s ($((SECONDS - t0)) s)"
fi

step "pod B (no sysctls): sees none of pod A's queues"
pod_json pod-b '{}'
run crictl runp --runtime "$HANDLER" "$WORK/pod-b.json" || { bad "crictl runp pod-b (exit $rc)"; finish; }
POD_B=$(printf '%s\n' "$out" | tail -n 1)
ids+=" $POD_B"
if start_container "$POD_B" pod-b other; then
	OTHER=$cid
	run crictl exec -s "$OTHER" /bin/mqe2e absent
	if [ "$rc" = 0 ]; then ok "pod B: neither /mqe2e nor SysV key 0x0e2e0001 exists"; else bad "pod B sees pod A's queues (exit $rc)"; fi
	run crictl exec -s "$OTHER" /bin/mqe2e ls /dev/mqueue
	if [ "$rc" = 0 ] && has "0 queue(s) in /dev/mqueue"; then ok "pod B: /dev/mqueue lists no queue"; else bad "pod B: /dev/mqueue (exit $rc)"; fi
	run crictl exec -s "$OTHER" /bin/mqe2e sysctl
	check_sysctls "pod B" 10 16384
fi
finish
