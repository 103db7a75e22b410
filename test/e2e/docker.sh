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

# End-to-end test: mqsentry's runsc as a Docker runtime.
#
# Starts a private dockerd (Debian's docker.io, 20.10: its own --data-root,
# --exec-root, --pidfile and unix socket; --iptables=false --bridge=none
# --storage-driver=vfs) whose config is deploy/docker/daemon.json with this
# tree's bin/runsc as runtime "runsc-mq" (`experimental` on, for checkpoints).
# Imports a tiny image (`docker import` of the rootfs of test/e2e/lib.sh:
# static test/e2e/mqe2e.c and bin/mqdump) and checks:
#   - a producer and a consumer process exchange POSIX and SysV messages;
#   - `--sysctl fs.mqueue.msg_max=100 --sysctl kernel.msgmnb=65536` show in
#     /proc/sys and are enforced: a new SysV queue's msg_qbytes is 65536; as
#     uid 65534 (no CAP_SYS_RESOURCE) mq_open with mq_maxmsg 50 succeeds and
#     with 101 fails with EINVAL;
#   - producer and consumer `docker exec`s exchange messages through the
#     container's queues; /dev/mqueue (Docker's mqueue mount, made by runsc)
#     lists the queue; `docker exec ... mqdump list/dump` consumes nothing;
#   - `--sysctl fs.mqueue.msg_max=0` makes `docker run` fail, naming the key;
#   - metrics: a container running test/metrics/c/metricsprobe.c (known POSIX
#     and SysV queues, messages, bytes and blocked tasks); test/metrics -id
#     reads `runsc --root DOCKER'S-RUNSC-ROOT --metric-server=... export-metrics
#     ID` with the runtime's own --metric-server (daemon.json's runtimeArgs)
#     and checks every /ipc/mqueue/* and /ipc/msg/* value, HELP and TYPE with
#     Prometheus' parser, and the sandbox label = the container's id; README's
#     "Monitoring" shows daemon.json's runtimeArgs;
#   - `docker checkpoint create` then `docker start --checkpoint` keeps every
#     queued message (mqdump counts before = after, then consumed) and the
#     sysctl values.
# Prints every command and ends with "N passed, M failed". Installs docker.io
# with apt-get when missing; must run as root. Stops its dockerd and removes
# its containers, image, data and exec roots at exit. Environment: RUNSC,
# MQDUMP override the binaries; DOCKER the client (default Debian's
# /usr/bin/docker, else the docker in PATH).
set -u
. "$(dirname "$0")/lib.sh"
WORK=$ROOT/build/out/e2e-docker
IMAGE=mqsentry-e2e:latest
C=mqsentry-e2e-docker-$$
M=mqsentry-e2e-metrics-$$
DK=

# docker: the client talking to our private daemon, every call bounded.
docker() { timeout 120 "$DOCKER" -H "unix://$DK/docker.sock" "$@"; }

cleanup() {
	step "cleanup"
	if [ -n "${DOCKERD_PID:-}" ]; then
		docker rm -f "$C" "$M" "$C-runc-prod" "$C-ck-late" "$C-ck-prod" >/dev/null 2>&1
		for rt in runsc-mq runc; do docker rm -f "$C-$rt-prod" "$C-$rt-cons" "$C-$rt-late" >/dev/null 2>&1; done
		docker rmi -f "$IMAGE" >/dev/null 2>&1
		stop_daemon "$DOCKERD_PID"
		say "stopped dockerd (pid $DOCKERD_PID), removed containers $C, $M and image $IMAGE"
	fi
	[ -n "$key_made" ] && rm -f /etc/docker/key.json
	if [ -n "$DK" ]; then
		remove_tree "$DK"
		say "removed $DK (data root, exec root, socket, logs)"
	fi
}

need_root
step "prerequisites"
need_cmd dockerd docker.io
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}
need_bins
mkdir -p "$WORK"
DK=$(mktemp -d /tmp/mqe2e-docker.XXXXXX)
key_made=
[ -e /etc/docker/key.json ] || key_made=1 # dockerd 20.10 writes its trust key there
arm_cleanup

step "a private dockerd with deploy/docker/daemon.json"
sed "s#/usr/local/bin/runsc#$RUNSC#" deploy/docker/daemon.json >"$DK/daemon.json"
say "$DK/daemon.json:"
sed 's/^/    /' "$DK/daemon.json"
# The containerd dockerd starts (its child, with dockerd's environment)
# unpacks the image of `docker start --checkpoint` into a ctrd-checkpoint*
# directory of $XDG_RUNTIME_DIR (else of the temp directory, /tmp) and never
# removes it (containerd 1.6, services/tasks Create): keep it in $DK, which
# cleanup removes.
mkdir -p "$DK/run"
dockerd_cmd=(env XDG_RUNTIME_DIR="$DK/run" dockerd --config-file "$DK/daemon.json" --data-root "$DK/data" --exec-root "$DK/exec"
	--pidfile "$DK/docker.pid" -H "unix://$DK/docker.sock" --iptables=false --bridge=none --storage-driver=vfs)
say "+ ${dockerd_cmd[*]} >$DK/dockerd.log 2>&1 &"
t0=$SECONDS
"${dockerd_cmd[@]}" >"$DK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
say "docker below is: timeout 120 $DOCKER -H unix://$DK/docker.sock"
if wait_for 60 docker version; then
	run docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
	run docker info --format '{{json .Runtimes}}'
	if has '"runsc-mq"' && has "$RUNSC"; then ok "dockerd up in $((SECONDS - t0)) s with runtime runsc-mq = $RUNSC"; else bad "runsc-mq not among dockerd's runtimes"; fi
else
	tail -n 20 "$DK/dockerd.log" | sed 's/^/    /'
	bad "dockerd did not answer within 60 s"
	finish
fi

step "the image: docker import of the rootfs"
build_rootfs "$WORK"
if run docker import "$WORK/rootfs.tar" "$IMAGE"; then ok "docker import $IMAGE"; else bad "docker import"; finish; fi

step "producer and consumer processes in one container"
run docker run --rm --runtime runsc-mq --network none "$IMAGE" /bin/mqe2e pair 3
check_pair "docker run --runtime runsc-mq"

step "--sysctl fs.mqueue.msg_max=100 --sysctl kernel.msgmnb=65536: seen in /proc and enforced"
run docker run -d --name "$C" --runtime runsc-mq --network none \
	--sysctl fs.mqueue.msg_max=100 --sysctl kernel.msgmnb=65536 "$IMAGE" /bin/mqe2e hold || { bad "docker run -d"; finish; }
run docker exec "$C" /bin/mqe2e sysctl
check_sysctls "docker exec" 100 65536
run docker exec "$C" /bin/mqe2e qbytes
check_qbytes 65536
run docker exec --user 65534 "$C" /bin/mqe2e mqopen 50
check_mqopen 50 ok
run docker exec --user 65534 "$C" /bin/mqe2e mqopen 101
check_mqopen 101 einval

step "a running container: producer exec, /dev/mqueue, mqdump, consumer exec"
check_exec_round "docker exec" docker exec "$C"

step "a bad value: --sysctl fs.mqueue.msg_max=0 (Linux accepts 1..65536)"
run docker run --rm --runtime runsc-mq --network none --sysctl fs.mqueue.msg_max=0 "$IMAGE" /bin/mqe2e sysctl
check_refused "docker run" fs.mqueue.msg_max

for rt in runsc-mq runc; do
	step "--ipc shareable / --ipc container: under $rt: the containers share their queues"
	check_ipc_share "docker ($rt)" "$C-$rt" docker run --runtime "$rt" -- docker
done

step "docker checkpoint of a container that another joined: refused, both run on, nothing lost"
run docker run -d --runtime runsc-mq --name "$C-ck-prod" --network none --ipc shareable "$IMAGE" /bin/mqe2e hold
run docker run -d --runtime runsc-mq --name "$C-ck-late" --network none --ipc "container:$C-ck-prod" "$IMAGE" /bin/mqe2e hold
run docker exec "$C-ck-prod" /bin/mqe2e produce 3
check_produced "docker exec producer" 3
run docker checkpoint create "$C-ck-prod" cpj
if [ "$rc" != 0 ] && has "runsc checkpoints and restores a sandbox as one unit" && has "$(docker inspect -f '{{.Id}}' "$C-ck-late")"; then
	ok "docker checkpoint create of the shared sandbox's first container fails, naming the joined container"
else
	bad "docker checkpoint create of a shared sandbox (exit $rc)"
fi
run docker inspect -f '{{.State.Status}}' "$C-ck-prod" "$C-ck-late"
if [ "$out" = "running
running" ]; then ok "both containers run on"; else bad "after the refused checkpoint: $out"; fi
check_queued docker exec "$C-ck-late" 3 "after the refused checkpoint, in the joined container,"
run docker rm -f "$C-ck-late"
run docker checkpoint create "$C-ck-prod" cpj
ck=$rc
run docker inspect -f '{{.State.Status}}' "$C-ck-prod"
if [ "$ck" = 0 ] && has exited; then ok "with the joined container removed, docker checkpoint create of the first one works"; else bad "docker checkpoint create after the joined container left (exit $ck)"; fi
run docker start --checkpoint cpj "$C-ck-prod"
check_queued docker exec "$C-ck-prod" 3 "after its restore, in the first container,"
run docker rm -f "$C-ck-prod"

step "--ipc container: naming a runc container: runsc cannot join it and says so"
run docker run -d --runtime runc --name "$C-runc-prod" --network none --ipc shareable "$IMAGE" /bin/mqe2e hold
run docker run --rm --runtime runsc-mq --network none --ipc "container:$C-runc-prod" "$IMAGE" /bin/mqe2e absent
if [ "$rc" != 0 ] && has "cannot join IPC namespace" && has "is not a container of this runsc"; then
	ok "docker run --runtime runsc-mq --ipc container:RUNC-CONTAINER fails, naming the namespace"
else
	bad "joining a runc container's IPC namespace (exit $rc)"
fi
run docker rm -f "$C-runc-prod"

step "metrics: runsc export-metrics of a container holding known queues"
# The --metric-server of the runtime's runtimeArgs, as daemon.json gives it;
# dockerd 20.10 has containerd's runc shim run runsc with --root
# EXEC-ROOT/runtime-runc/moby ("moby" is its containerd namespace).
metric_server=$(grep -o -- '--metric-server=[^"]*' "$DK/daemon.json")
metric_server=${metric_server#--metric-server=}
runsc_root=$DK/exec/runtime-runc/moby
args=$(grep -o '"runtimeArgs": .*' deploy/docker/daemon.json)
if [ -n "$metric_server" ] && sed -n '/^## Monitoring/,/^## [^M]/p' README.md | grep -qF -- "$args"; then
	ok "daemon.json's runtime has --metric-server=$metric_server; README's Monitoring shows its $args"
else
	bad "daemon.json's runtimeArgs have no --metric-server, or README's Monitoring does not show $args"
fi
run docker run -d --name "$M" --runtime runsc-mq --network none "$IMAGE" /bin/metricsprobe
if [ "$rc" = 0 ] && wait_for 60 eval "docker logs $M 2>&1 | grep -q '^READY'"; then
	run docker inspect -f '{{.Id}}' "$M"
	mid=$out
	run_quiet "${GO:-go}" build -o "$WORK/metricscheck" ./test/metrics || bad "go build ./test/metrics"
	run "$WORK/metricscheck" -runsc "$RUNSC" -root "$runsc_root" -metric-server "$metric_server" -id "$mid"
	if [ "$rc" = 0 ] && has "labelled sandbox=\"$mid\""; then
		ok "export-metrics of container $mid: every /ipc/mqueue/* and /ipc/msg/* value, HELP and TYPE as metricsprobe sets them (Prometheus' parser), sandbox label = the container's id"
	else
		bad "export-metrics of container $mid (exit $rc)"
	fi
else
	run docker logs "$M"
	bad "metricsprobe did not print READY within 60 s (exit $rc)"
fi
run docker rm -f "$M"

step "docker checkpoint create / docker start --checkpoint"
run docker exec "$C" /bin/mqe2e produce 3
check_produced "docker exec producer" 3
ppid=$(producer_pid)
check_queued docker exec "$C" 3 "before the checkpoint"
t0=$SECONDS
run docker checkpoint create "$C" cp1
ck=$rc
run docker inspect -f '{{.State.Status}}' "$C"
if [ "$ck" = 0 ] && has exited; then ok "docker checkpoint create $C cp1 ($((SECONDS - t0)) s): container stopped"; else bad "docker checkpoint create (exit $ck)"; fi
t0=$SECONDS
run docker start --checkpoint cp1 "$C"
ck=$rc
run docker inspect -f '{{.State.Status}}' "$C"
if [ "$ck" = 0 ] && has running; then ok "docker start --checkpoint cp1 $C ($((SECONDS - t0)) s): running again"; else bad "docker start --checkpoint (exit $ck)"; fi
check_queued docker exec "$C" 3 "after the restore"
run docker exec "$C" /bin/mqe2e sysctl
check_sysctls "after the restore" 100 65536
run docker exec "$C" /bin/mqe2e consume 3
check_consumed "after the restore, docker exec consumer" 3 "$ppid"
finish
