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

# End-to-end test: mqsentry's runsc where users run containers.
#
# Builds a tiny image locally (podman import of a rootfs holding the static
# test/e2e/mqe2e.c and bin/mqdump), runs it with podman through bin/runsc
# (named on the command line, and as the runtime of deploy/podman/containers.conf)
# and checks, inside the container:
#   - a producer and a consumer process exchange POSIX and SysV messages;
#   - `--sysctl fs.mqueue.msg_max=100 --sysctl kernel.msgmnb=65536` show in
#     /proc/sys; `--sysctl fs.mqueue.msg_max=0` is refused naming the key;
#   - /dev/mqueue, the OCI spec's mqueue mount made by runsc, lists the queue;
#   - `podman exec ... mqdump list/dump` inspects the queues without consuming
#     anything (counts before = after = what the consumer then receives);
#   - `podman container checkpoint/restore` keeps queued messages (through
#     deploy/podman/runsc-podman; plain runsc is refused by podman: reported
#     as KNOWN).
# (containerd's ctr through gVisor's shim is in test/e2e/cri2.sh.)
# Prints every command it runs and ends with "N passed, M failed". Shares its
# helpers with test/e2e/docker.sh and cri.sh (test/e2e/lib.sh); test/e2e/all.sh
# (make e2e) runs the three.
#
# Uses bin/runsc and bin/mqdump, building them (make runsc, make bin/mqdump)
# only if missing. Environment: RUNSC, MQDUMP override the binaries. Installs
# podman and criu with apt-get when missing. Must run as root. Removes its containers, images and state at exit.
set -u
. "$(dirname "$0")/lib.sh"
WORK=$ROOT/build/out/e2e
IMAGE=localhost/mqsentry-e2e:latest
C1=mqsentry-e2e-$$
C2=mqsentry-e2e-cr-$$

# check_pod_share WHAT POD PODMAN...: a pod whose infra container is
# test/e2e/pause.c; a consumer member, blocked first, receives what a
# producer member sends; /dev/mqueue of a member lists the queue; a
# container outside the pod sees nothing. PODMAN: podman with the runtime.
check_pod_share() {
	local what=$1 pod=$2 ppid
	shift 2
	if ! run "$@" pod create --name "$pod" --infra-image "$IMAGE" --infra-command /bin/pause --network none ||
		! run "$@" pod start "$pod"; then
		bad "$what: the pod's infra container did not start"
		return
	fi
	run "$@" run -d --pod "$pod" --name "$pod-cons" "$IMAGE" /bin/mqe2e consume 3
	sleep 1 # the consumer creates the queues and blocks on them
	run "$@" run --rm --pod "$pod" "$IMAGE" /bin/mqe2e ls
	check_ls "$what, in another member"
	run "$@" run --rm --pod "$pod" "$IMAGE" /bin/mqe2e produce 3
	check_produced "$what, a producer member" 3
	ppid=$(producer_pid)
	check_woken_consumer "$what, the consumer member" "$pod-cons" "$ppid" "$@"
	run "$@" run --rm --network=none "$IMAGE" /bin/mqe2e absent
	if [ "$rc" = 0 ]; then ok "$what: a container outside the pod sees neither queue"; else bad "$what: a container outside the pod sees the pod's queues (exit $rc)"; fi
	run "$@" pod rm -f "$pod"
	if [ "$rc" = 0 ]; then ok "$what: the pod removed"; else bad "$what: pod rm (exit $rc)"; fi
}

cleanup() {
	step "cleanup"
	podman rm -f -t 0 "$C1" "$C2" >/dev/null 2>&1
	for rt in runsc-mq runc; do
		podman rm -f -t 0 "$C1-$rt-prod" "$C1-$rt-cons" "$C1-$rt-late" >/dev/null 2>&1
		podman pod rm -f "$C1-pod-$rt" >/dev/null 2>&1
	done
	podman rmi -f "$IMAGE" >/dev/null 2>&1
	# podman runs runsc with --root /run/runsc, where runsc --network=none
	# leaves its null network namespace bind-mounted.
	grep -q ' /run/runsc/null-netns ' /proc/self/mounts && umount -l /run/runsc/null-netns
	say "removed containers $C1 $C2 and image $IMAGE"
}

need_root
step "prerequisites"
need_cmd podman podman
need_cmd criu criu
say "podman: $(podman --version)"
need_bins
mkdir -p "$WORK"
arm_cleanup

step "build the image: static test/e2e/mqe2e.c and bin/mqdump, podman import"
build_rootfs "$WORK"
if run podman import -q "$WORK/rootfs.tar" "$IMAGE"; then ok "podman import $IMAGE"; else bad "podman import"; finish; fi

# deploy/podman/containers.conf with the runsc paths of this tree; runsc-podman
# runs the runsc in its own directory (podman passes no environment to it).
rm -rf "$WORK/crbin" && mkdir -p "$WORK/crbin"
cp deploy/podman/runsc-podman "$WORK/crbin/" && ln -s "$RUNSC" "$WORK/crbin/runsc"
sed -e "s#/usr/local/bin/runsc-podman#$WORK/crbin/runsc-podman#" \
	-e "s#/usr/local/bin/runsc\"#$RUNSC\"#" deploy/podman/containers.conf >"$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
say "CONTAINERS_CONF=$CONTAINERS_CONF:"
sed 's/^/    /' "$CONTAINERS_CONF"

step "producer and consumer processes in one container (podman --runtime $RUNSC)"
run podman --runtime "$RUNSC" run --rm --network=none "$IMAGE" /bin/mqe2e pair 3
check_pair "podman --runtime $RUNSC run"
run podman --runtime runsc-mq run --rm --network=none "$IMAGE" /bin/mqe2e pair 3
check_pair "podman --runtime runsc-mq (containers.conf) run"

step "podman run --sysctl: IPC limits of the container's namespace"
run podman --runtime runsc-mq run --rm --network=none --sysctl fs.mqueue.msg_max=100 \
	--sysctl kernel.msgmnb=65536 "$IMAGE" /bin/mqe2e sysctl
check_sysctls "podman run --sysctl fs.mqueue.msg_max=100 --sysctl kernel.msgmnb=65536" 100 65536
run podman --runtime runsc-mq run --rm --network=none --sysctl fs.mqueue.msg_max=0 "$IMAGE" /bin/mqe2e sysctl
check_refused "podman run --sysctl fs.mqueue.msg_max=0" fs.mqueue.msg_max

step "a running container: producer exec, /dev/mqueue, mqdump, consumer exec"
run podman --runtime runsc-mq run -d --name "$C1" --network=none "$IMAGE" /bin/mqe2e hold || { bad "podman run -d"; finish; }
check_exec_round "podman exec" podman exec "$C1"
check_queued podman exec "$C1" 0 "after the consumer"

step "podman container checkpoint / restore"
run podman container checkpoint "$C1"
if [ "$rc" = 0 ]; then
	ok "podman container checkpoint with plain runsc"
	run podman container restore "$C1"
else
	known "podman refuses plain runsc: it requires 'runsc checkpoint --help' to exit 0 (runsc exits 128) and CRIU's inventory.img in the image directory; deploy/podman/runsc-podman supplies both"
fi

run podman --runtime runsc-mq-cr run -d --name "$C2" --network=none "$IMAGE" /bin/mqe2e hold || { bad "podman run -d (runsc-mq-cr)"; finish; }
run podman exec "$C2" /bin/mqe2e produce 3
check_produced "podman exec producer" 3
ppid=$(producer_pid)
check_queued podman exec "$C2" 3 "before the checkpoint"
run podman container checkpoint "$C2"
ck=$rc
run podman ps -a --filter "name=$C2" --format '{{.Names}} {{.Status}}'
if [ "$ck" = 0 ] && [ "$(count Exited)" = 1 ]; then ok "podman container checkpoint (runtime runsc-mq-cr): container stopped"; else bad "checkpoint through runsc-podman (exit $ck)"; fi
run podman container restore "$C2"
if [ "$rc" = 0 ]; then ok "podman container restore"; else bad "podman container restore (exit $rc)"; fi
check_queued podman exec "$C2" 3 "after the restore"
run podman exec "$C2" /bin/mqe2e consume 3
check_consumed "after the restore, podman exec consumer" 3 "$ppid"

# podman's runc (the reference) needs RLIMIT_NOFILE and RLIMIT_NPROC no
# higher than this VM's root may set (it lacks CAP_SYS_RESOURCE; podman asks
# for the maximum); runsc sets a container's rlimits in its own Sentry.
{
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
	cat "$CONTAINERS_CONF"
} >"$WORK/containers-runc.conf"
podman_runc=(env CONTAINERS_CONF="$WORK/containers-runc.conf" podman --runtime runc)
for rt in runsc-mq runc; do
	pm=(podman --runtime "$rt")
	[ "$rt" = runc ] && pm=("${podman_runc[@]}")
	step "podman --ipc container: under $rt: the containers share their queues"
	check_ipc_share "podman ($rt)" "$C1-$rt" "${pm[@]}" run -- "${pm[@]}"
	step "a podman pod under $rt: its containers share the infra container's IPC namespace"
	check_pod_share "podman pod ($rt)" "$C1-pod-$rt" "${pm[@]}"
done
finish
