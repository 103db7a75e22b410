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

# test/e2e/lib.sh: what the end-to-end scripts share (run.sh: podman and ctr;
# docker.sh: a private dockerd; cri.sh: containerd's CRI as a Kubernetes node
# sees it). Sourced, not run: after `set -u`, `. "$(dirname "$0")/lib.sh"`.
#
# Sets ROOT (the checkout, also the working directory), RUNSC and MQDUMP
# (overridable from the environment) and the pass/fail/known counters. A script
# defines cleanup(), calls arm_cleanup once it has something to remove, and
# ends with finish, which runs cleanup, prints "N passed, M failed" and exits 1
# when anything failed. With E2E_TALLY set (test/e2e/all.sh) finish also
# appends "NAME PASSED FAILED KNOWN" to that file.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
RUNSC=${RUNSC:-$ROOT/bin/runsc}
MQDUMP=${MQDUMP:-$ROOT/bin/mqdump}
E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
pass=0
fail=0
known=0
cleanup_armed=
apt_updated=

say() { printf '%s\n' "$*"; }
step() { say; say "== $*"; }
ok() { say "PASS: $*"; pass=$((pass + 1)); }
bad() { say "FAIL: $*"; fail=$((fail + 1)); }
known() { say "KNOWN: $*"; known=$((known + 1)); }
# run CMD...: prints the command, runs it, keeps its output in $out (also
# printed, indented) and its exit status in $rc.
run() {
	say "+ $*"
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
	return $rc
}
# run_quiet CMD...: like run, but prints the output (its last 30 lines) only
# when CMD fails; for installs and builds.
run_quiet() {
	say "+ $*"
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" != 0 ] && printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /'
	return $rc
}
# count PATTERN: how many lines of $out match PATTERN (grep regex).
count() { printf '%s\n' "$out" | grep -c -- "$1"; }
# has TEXT: whether $out contains TEXT (fixed string).
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }

finish() {
	trap - EXIT INT TERM
	[ -n "$cleanup_armed" ] && cleanup
	say
	say "$E2E_NAME: $known known limitation(s), reported as KNOWN above"
	say "$pass passed, $fail failed"
	[ -n "${E2E_TALLY:-}" ] && say "$E2E_NAME $pass $fail $known" >>"$E2E_TALLY"
	exit $((fail > 0))
}

# arm_cleanup: from now on any exit (an interrupt counts as a failure) runs
# cleanup, once.
arm_cleanup() {
	cleanup_armed=1
	trap 'finish' EXIT
	trap 'bad "interrupted"; finish' INT TERM
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		bad "$0 must run as root"
		finish
	fi
}

# need_cmd CMD PKG: installs Debian's PKG with apt-get when CMD is missing
# (apt-get update first, once per script). Fails the test when it cannot.
need_cmd() {
	command -v "$1" >/dev/null && return 0
	local t0=$SECONDS
	if [ -z "$apt_updated" ]; then
		run_quiet timeout 600 apt-get update -q || { bad "apt-get update"; finish; }
		apt_updated=1
	fi
	run_quiet timeout 900 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" || { bad "apt-get install $2"; finish; }
	say "    installed $2 in $((SECONDS - t0)) s"
	command -v "$1" >/dev/null || { bad "$2 installed but no $1"; finish; }
}

# need_bins: bin/runsc and bin/mqdump, built with make only if missing.
need_bins() {
	[ -x "$RUNSC" ] || run_quiet make runsc || { bad "make runsc"; finish; }
	[ -x "$MQDUMP" ] || run_quiet make bin/mqdump || { bad "make bin/mqdump"; finish; }
}

# build_static SRC OUT: a static C program for the images.
build_static() {
	run gcc -O2 -Wall -static -o "$2" "$1" -lrt || { bad "gcc $1"; finish; }
}

# build_rootfs DIR: DIR/rootfs.tar, the test image's root file system: the
# static test/e2e/mqe2e.c and test/metrics/c/metricsprobe.c and bin/mqdump in
# /bin, empty /dev /proc /sys /tmp /etc.
build_rootfs() {
	rm -rf "$1/rootfs" && mkdir -p "$1/rootfs"/{bin,dev,proc,sys,tmp,etc}
	build_static test/e2e/mqe2e.c "$1/rootfs/bin/mqe2e"
	build_static test/metrics/c/metricsprobe.c "$1/rootfs/bin/metricsprobe"
	build_static test/e2e/pause.c "$1/rootfs/bin/pause"
	cp "$MQDUMP" "$1/rootfs/bin/mqdump"
	tar -C "$1/rootfs" -cf "$1/rootfs.tar" .
}

# wait_for SECONDS CMD...: polls CMD (quietly, every 0.2 s) until it succeeds;
# returns 1 when it has not within SECONDS.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# stop_daemon PID: SIGTERM, up to 30 s to exit, then SIGKILL; reaps it.
stop_daemon() {
	kill "$1" 2>/dev/null
	wait_for 30 eval "! kill -0 $1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# remove_tree DIR: unmounts whatever is mounted below DIR, then removes it.
remove_tree() {
	grep -o " $1/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$1"
}

# check_pair WHAT: $out/$rc of `mqe2e pair 3` show 3 POSIX and 3 SysV messages
# crossing from the producer process to the consumer process.
check_pair() {
	if [ "$rc" = 0 ] && [ "$(count 'received posix')" = 3 ] && [ "$(count 'received sysv')" = 3 ] &&
		[ "$(count 'received posix prio 3: posix #3 from producer')" = 1 ]; then
		ok "$1: 3 POSIX and 3 SysV messages crossed from producer to consumer"
	else
		bad "$1 (exit $rc)"
	fi
}

# check_produced WHAT N: $out/$rc of `mqe2e produce N`.
check_produced() {
	if [ "$rc" = 0 ] && [ "$(count 'producer.* mq_send')" = "$2" ] && [ "$(count 'producer.* msgsnd')" = "$2" ]; then
		ok "$1 queued $2 POSIX and $2 SysV messages"
	else
		bad "$1 (exit $rc)"
	fi
}

# check_consumed WHAT N [PID [any-order]]: $out/$rc of `mqe2e consume N` hold
# exactly the messages of one `mqe2e produce N` (by PID when given), POSIX
# ones in priority then FIFO order (message i has priority 1 + (i-1) % 3),
# SysV ones by type 1..N; with any-order (a consumer that was already waiting
# takes each message as it comes) in any order.
check_consumed() {
	local want='' got p i
	for p in 3 2 1; do
		for ((i = 1; i <= $2; i++)); do
			[ $((1 + (i - 1) % 3)) = "$p" ] && want+="received posix prio $p: posix #$i from producer pid ${3:-[0-9]*},"
		done
	done
	for ((i = 1; i <= $2; i++)); do
		want+="received sysv type $i: sysv #$i from producer pid ${3:-[0-9]*},"
	done
	got=$(printf '%s\n' "$out" | grep -o 'received .*' | tr '\n' ,)
	local order="in priority / FIFO order"
	if [ "${4:-}" = any-order ]; then
		want=$(tr , '\n' <<<"${want%,}" | sort | tr '\n' ,)
		got=$(printf '%s\n' "$out" | grep -o 'received .*' | sort | tr '\n' ,)
		order="(in the order they came)"
	fi
	# shellcheck disable=SC2053 # $want is a pattern (the pid)
	if [ "$rc" = 0 ] && [[ $got == $want ]]; then
		ok "$1 received the $2+$2 messages${3:+ of producer pid $3} $order"
	else
		bad "$1 (exit $rc)"
	fi
}

# producer_pid: the pid of the producer in $out (`mqe2e produce` output).
producer_pid() { printf '%s\n' "$out" | sed -n 's/^producer\[\([0-9]*\)\].*/\1/p' | head -n 1; }

# check_ls WHAT: $out/$rc of `mqe2e ls /dev/mqueue` show the runtime's mqueue
# mount listing /mqe2e.
check_ls() {
	if [ "$rc" = 0 ] && has "is an mqueue filesystem (provided by the runtime)" &&
		[ "$(count '/dev/mqueue/mqe2e: QSIZE:')" = 1 ]; then
		ok "$1: /dev/mqueue, mounted by the runtime, lists /mqe2e"
	else
		bad "$1: /dev/mqueue is not the runtime's mqueue mount listing /mqe2e (exit $rc)"
	fi
}

# mqdump_counts: sets posix_n and sysv_n from `mqdump list` output in $out.
mqdump_counts() {
	posix_n=$(printf '%s\n' "$out" | awk '$7 == "\"/mqe2e\"" { print $3 }')
	sysv_n=$(printf '%s\n' "$out" | awk '$2 == "0x0e2e0001" { print $7 }')
}

# check_mqdump EXEC... N: `EXEC mqdump list`, `dump -`, `list` again (EXEC is
# the engine's exec command up to the program) find N POSIX and N SysV
# messages and leave them queued.
check_mqdump() {
	local n=${*: -1} before
	local -a exec=("${@:1:$#-1}")
	run "${exec[@]}" /bin/mqdump list
	mqdump_counts
	before="$posix_n/$sysv_n"
	if [ "$rc" = 0 ] && [ "$before" = "$n/$n" ]; then ok "mqdump list: /mqe2e holds $n, SysV 0x0e2e0001 holds $n"; else bad "mqdump list (exit $rc, counts $before)"; fi
	run "${exec[@]}" /bin/mqdump dump -
	if [ "$rc" = 0 ] && [ "$(count '"priority":')" = "$n" ] && [ "$(count '"type":')" = "$n" ]; then
		ok "mqdump dump: $n POSIX and $n SysV messages in the JSON"
	else
		bad "mqdump dump (exit $rc)"
	fi
	run "${exec[@]}" /bin/mqdump list
	mqdump_counts
	if [ "$rc" = 0 ] && [ "$posix_n/$sysv_n" = "$before" ]; then ok "mqdump consumed nothing: counts still $before"; else bad "counts changed: $before -> $posix_n/$sysv_n"; fi
}

# check_queued EXEC... N WHEN: `EXEC mqdump list` (EXEC: the engine's exec
# command up to the program) finds N POSIX and N SysV messages queued.
check_queued() {
	local n=${*: -2:1} when=${*: -1}
	run "${@:1:$#-2}" /bin/mqdump list
	mqdump_counts
	if [ "$rc" = 0 ] && [ "$posix_n/$sysv_n" = "$n/$n" ]; then
		ok "$when mqdump sees $n POSIX and $n SysV messages"
	else
		bad "$when mqdump sees $posix_n/$sysv_n messages, not $n/$n (exit $rc)"
	fi
}

# check_exec_round WHAT EXEC...: in a running container, through EXEC (the
# engine's exec command up to the program): a producer exec queues 4 POSIX
# and 4 SysV messages, /dev/mqueue lists the queue, mqdump list/dump consume
# nothing, a consumer exec receives the messages in order.
check_exec_round() {
	local what=$1 ppid
	shift
	run "$@" /bin/mqe2e produce 4
	check_produced "$what producer" 4
	ppid=$(producer_pid)
	run "$@" /bin/mqe2e ls /dev/mqueue
	check_ls "$what"
	check_mqdump "$@" 4
	run "$@" /bin/mqe2e consume 4
	check_consumed "$what consumer" 4 "$ppid"
}

# check_sysctls WHAT MSG_MAX MSGMNB: $out of `mqe2e sysctl` shows them.
check_sysctls() {
	if [ "$rc" = 0 ] && has "fs.mqueue.msg_max = $2" && has "kernel.msgmnb = $3"; then
		ok "$1: /proc/sys shows fs.mqueue.msg_max = $2, kernel.msgmnb = $3"
	else
		bad "$1: /proc/sys does not show fs.mqueue.msg_max = $2, kernel.msgmnb = $3 (exit $rc): $(printf '%s\n' "$out" | grep -E 'msg_max =|msgmnb =' | sed 's/^[^]]*] //' | tr '\n' ' ')"
	fi
}

# check_refused WHAT KEY: $out/$rc of an engine's run of `mqe2e sysctl` with a
# value Linux refuses for sysctl KEY: the container did not start, and the
# error names KEY.
check_refused() {
	if [ "$rc" != 0 ] && has "$2" && ! has "sysctl["; then
		ok "$1 refused the container (exit $rc), naming $2"
	else
		bad "$1 with a bad $2 was not refused naming the key (exit $rc)"
	fi
}

# check_qbytes MSGMNB: $out of `mqe2e qbytes` shows a new SysV queue with
# msg_qbytes MSGMNB.
check_qbytes() {
	if [ "$rc" = 0 ] && has "msg_qbytes $1"; then
		ok "a new SysV queue has msg_qbytes $1 (kernel.msgmnb)"
	else
		bad "a new SysV queue's msg_qbytes is not $1 (exit $rc)"
	fi
}

# check_mqopen MAXMSG ok|einval: $out of `mqe2e mqopen MAXMSG` run as uid
# 65534 (no CAP_SYS_RESOURCE, so fs.mqueue.msg_max applies) shows the queue
# created, or mq_open failing with EINVAL.
check_mqopen() {
	local who="uid 65534 without CAP_SYS_RESOURCE: mq_open with mq_maxmsg $1"
	if ! has "uid 65534, CAP_SYS_RESOURCE not effective"; then
		bad "$who: not run as uid 65534 without CAP_SYS_RESOURCE (exit $rc)"
	elif [ "$2" = ok ] && [ "$rc" = 0 ] && has "mq_maxmsg $1, mq_msgsize"; then
		ok "$who succeeds (within fs.mqueue.msg_max)"
	elif [ "$2" = einval ] && [ "$rc" = 1 ] && has "mq_maxmsg $1: Invalid argument"; then
		ok "$who fails with EINVAL (over fs.mqueue.msg_max)"
	else
		bad "$who: expected $2 (exit $rc)"
	fi
}

# check_woken_consumer WHAT NAME PPID ENGINE...: container NAME, a consumer
# of 3+3 messages (`mqe2e consume 3`) that blocked before producer PPID
# sent them, exits 0 having received them all (its log, through ENGINE).
check_woken_consumer() {
	local what=$1 name=$2 ppid=$3
	shift 3
	run "$@" wait "$name"
	if [ "$rc" = 0 ] && [ "$out" = 0 ]; then ok "$what exited 0"; else bad "$what: wait: $out (exit $rc)"; fi
	run "$@" logs "$name"
	check_consumed "$what, blocked before the producer sent," 3 "$ppid" any-order
}

# check_ipc_share WHAT NAME RUN... -- ENGINE...: containers joined by
# `--ipc container:` share their queues as under runc (issue 23). RUN is the
# engine's run command with the runtime under test, up to run's options;
# ENGINE the engine's command for exec, logs, wait, inspect, stop and rm;
# NAME prefixes the containers' names. Checks: a first container made
# shareable and a consumer joined to it see one /dev/mqueue; the consumer,
# blocked before the first container's producer sends, is woken; a container
# without the option sees nothing; a joined container outlives the first
# one (stopped, and removed where the engine allows it: Docker), and drains
# what was queued before.
check_ipc_share() {
	local what=$1 p=$2-prod q=$2-cons l=$2-late ppid
	shift 2
	local -a rn=() eng=()
	while [ "$1" != -- ]; do rn+=("$1") && shift; done
	shift
	eng=("$@")
	run "${rn[@]}" -d --name "$p" --network=none --ipc shareable "$IMAGE" /bin/mqe2e hold ||
		{ bad "$what: the shareable container did not start"; return; }
	run "${rn[@]}" -d --name "$q" --network=none --ipc "container:$p" "$IMAGE" /bin/mqe2e consume 3
	if [ "$rc" = 0 ]; then ok "$what: --ipc container:$p accepted"; else bad "$what: --ipc container:$p (exit $rc)"; fi
	sleep 1 # the consumer creates the queues and blocks on them
	run "${eng[@]}" exec "$p" /bin/mqe2e ls
	check_ls "$what, in the first container (the consumer made the queue)"
	run "${eng[@]}" exec "$q" /bin/mqe2e ls
	check_ls "$what, in the joined consumer"
	run "${rn[@]}" --rm --network=none "$IMAGE" /bin/mqe2e absent
	if [ "$rc" = 0 ]; then ok "$what: a container without --ipc container: sees neither queue"; else bad "$what: a third container sees the shared queues (exit $rc)"; fi
	run "${rn[@]}" --rm --network=none --user 65534 --ipc "container:$p" "$IMAGE" /bin/mqe2e mqopen 5
	if [ "$rc" = 0 ] && has "uid 65534, CAP_SYS_RESOURCE not effective"; then
		ok "$what: a joined container runs as its own spec's user (65534, without CAP_SYS_RESOURCE)"
	else
		bad "$what: a joined container with --user 65534 (exit $rc)"
	fi
	run "${eng[@]}" exec "$p" /bin/mqe2e produce 3
	check_produced "$what, producer exec in the first container" 3
	ppid=$(producer_pid)
	check_woken_consumer "$what, the consumer" "$q" "$ppid" "${eng[@]}"
	run "${rn[@]}" -d --name "$l" --network=none --ipc "container:$p" "$IMAGE" /bin/mqe2e hold
	local ids
	ids=$("${eng[@]}" inspect -f '{{.Id}}' "$p" "$q" "$l" 2>/dev/null)
	run "${eng[@]}" exec "$p" /bin/mqe2e produce 3
	ppid=$(producer_pid)
	run "${eng[@]}" stop -t 5 "$p"
	run "${eng[@]}" inspect -f '{{.State.Status}}' "$p" "$l"
	if [ "$out" = "exited
running" ]; then ok "$what: the first container stopped; the joined one runs on"; else bad "$what: after stopping the first container: $out"; fi
	# podman keeps a container others depend on (whatever the runtime).
	local gone=removed
	run "${eng[@]}" rm "$p"
	if [ "$rc" = 0 ]; then
		ok "$what: the first container removed"
	elif has "has dependent containers"; then
		say "(the engine keeps a container that others joined until they are removed)"
		gone=stopped
	else
		bad "$what: rm of the first container (exit $rc)"
	fi
	run "${eng[@]}" exec "$l" /bin/mqe2e consume 3
	check_consumed "$what, after the first container was $gone, a joined container's consumer" 3 "$ppid"
	run "${eng[@]}" exec "$l" /bin/mqe2e unlink
	run "${eng[@]}" rm -f "$q" "$l"
	if [ "$rc" = 0 ]; then ok "$what: the joined containers removed"; else bad "$what: rm of the joined containers (exit $rc)"; fi
	if [ "$gone" = stopped ]; then
		run "${eng[@]}" rm "$p"
		if [ "$rc" = 0 ]; then ok "$what: then the first container removed"; else bad "$what: rm of the first container after the joined ones (exit $rc)"; fi
	fi
	# Nothing of them runs on: no shim, conmon, waiter or sandbox.
	local left='' id
	for id in $ids; do
		wait_for 10 eval "! pgrep -f -- $id >/dev/null" || left+=" $(pgrep -a -f -- "$id" | cut -c1-80)"
	done
	if [ -n "$ids" ] && [ -z "$left" ]; then ok "$what: no process of the removed containers is left"; else bad "$what: left running:$left"; fi
}

# need_go_tools DIR [FLAG...] PKG@VERSION...: the packages' binaries, built
# with go install (CGO_ENABLED=0, FLAGs such as -tags given to it) into the
# cache directory DIR when one of them is missing there; fails the test when
# it cannot. DIR names the version (go_cache_dir), so a new pin builds anew.
need_go_tools() {
	local dir=$1 a missing='' t0=$SECONDS
	shift
	for a in "$@"; do
		case $a in -*) continue ;; esac
		a=${a%@*}
		[ -x "$dir/${a##*/}" ] || missing=1
	done
	[ -z "$missing" ] && return 0
	run_quiet env GOBIN="$dir" GOFLAGS=-buildvcs=false CGO_ENABLED=0 timeout 3600 go install "$@" || { bad "go install $*"; finish; }
	say "    built into $dir in $((SECONDS - t0)) s"
}

# go_cache_dir NAME-VERSION: where need_go_tools keeps a tool's binaries.
go_cache_dir() { printf '%s\n' "${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mqsentry/$1"; }

# --- containerd's CRI, as a Kubernetes node drives it (cri.sh: containerd
# 1.6 through containerd's runc shim; cri2.sh: containerd 2.x through
# containerd-shim-runsc-v1). A script sets CRI (its private directory: the
# containerd socket, pod logs), CTR (a ctr binary), WORK (build/out/...) and
# HANDLER, starts containerd with cri_start, then runs cri_images and
# cri_pod_checks; its cleanup calls cri_cleanup.
CRICTL_VERSION=v1.37.0
CRICTL_DIR=${CRICTL_DIR:-$(go_cache_dir "crictl-$CRICTL_VERSION")}
IMAGE=localhost/mqsentry-e2e:latest
PAUSE=localhost/mqsentry-pause:latest
ids= # of the pods and containers made, for cri_cleanup

crictl() { timeout "${CRICTL_TIMEOUT:-120}" "$CRICTL_DIR/crictl" --config "$CRI/crictl.yaml" "$@"; }
# shellcheck disable=SC2317 # called through run
ctr() { timeout 120 "$CTR" -a "$CRI/containerd.sock" -n k8s.io "$@"; }

need_crictl() {
	need_go_tools "$CRICTL_DIR" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
}

# cri_start CONTAINERD_CMD...: starts containerd (its log in
# $CRI/containerd.log), sets CTRD_PID and waits for its CRI to answer crictl.
cri_start() {
	say "+ $* >$CRI/containerd.log 2>&1 &"
	local t0=$SECONDS
	"$@" >"$CRI/containerd.log" 2>&1 &
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
}

# cri_cleanup: removes the pods and images, stops containerd, kills the shims
# still naming its socket and removes their sockets.
cri_cleanup() {
	local p id CRICTL_TIMEOUT=30
	for p in $(crictl pods -q 2>/dev/null); do
		crictl stopp "$p" >/dev/null 2>&1
		crictl rmp -f "$p" >/dev/null 2>&1
	done
	crictl rmi "$IMAGE" "$PAUSE" >/dev/null 2>&1
	stop_daemon "$CTRD_PID"
	say "removed pods and images, stopped containerd (pid $CTRD_PID)"
	while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = containerd-shim ] || continue
		say "killing leftover shim (pid $p)"
		id=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | sed -n '/^-id$/{n;p}')
		kill -KILL "$p" 2>/dev/null
		# and its socket: containerd (1.6 and 2.x) names it by a hash of
		# address, namespace and id
		[ -n "$id" ] && rm -f "/run/containerd/s/$(printf '%s' "$CRI/containerd.sock/k8s.io/$id" | sha256sum | cut -d' ' -f1)"
	done < <(grep -lF -- "$CRI/containerd.sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3)
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

# cri_images: the pause image (test/e2e/pause.c) and the test image, built
# as docker archives in $WORK and imported with ctr onto the native
# snapshotter; the CRI must list both.
cri_images() {
	step "images: the pause image and the test image, ctr -n k8s.io images import"
	build_rootfs "$WORK"
	mkdir -p "$WORK/pause-rootfs"
	build_static test/e2e/pause.c "$WORK/pause-rootfs/pause"
	tar -C "$WORK/pause-rootfs" -cf "$WORK/pause-rootfs.tar" .
	image_tar "$WORK/pause-rootfs.tar" "$PAUSE" '["/pause"]' "$WORK/pause.tar"
	image_tar "$WORK/rootfs.tar" "$IMAGE" '["/bin/mqe2e", "hold"]' "$WORK/image.tar"
	local t
	for t in pause image; do
		run ctr images import --snapshotter native "$WORK/$t.tar" || { bad "ctr images import $t.tar"; finish; }
	done
	run crictl images
	if has mqsentry-pause && has mqsentry-e2e; then ok "CRI lists $PAUSE and $IMAGE"; else bad "CRI does not list the imported images"; finish; fi
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

# cri_pod_checks: what a Kubernetes node's pods get from the runtime of
# handler $HANDLER (see test/e2e/cri.sh's header). Sets POD_A and PROD (pod
# A, with its producer container still running).
cri_pod_checks() {
	step "pod A (sysctls fs.mqueue.msg_max=100, kernel.msgmnb=65536): a producer and a consumer container"
	pod_json pod-a '{"fs.mqueue.msg_max": "100", "kernel.msgmnb": "65536"}'
	local t0=$SECONDS c consumer ppid
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
	local pod_b other
	pod_b=$(printf '%s\n' "$out" | tail -n 1)
	ids+=" $pod_b"
	if start_container "$pod_b" pod-b other; then
		other=$cid
		run crictl exec -s "$other" /bin/mqe2e absent
		if [ "$rc" = 0 ]; then ok "pod B: neither /mqe2e nor SysV key 0x0e2e0001 exists"; else bad "pod B sees pod A's queues (exit $rc)"; fi
		run crictl exec -s "$other" /bin/mqe2e ls /dev/mqueue
		if [ "$rc" = 0 ] && has "0 queue(s) in /dev/mqueue"; then ok "pod B: /dev/mqueue lists no queue"; else bad "pod B: /dev/mqueue (exit $rc)"; fi
		run crictl exec -s "$other" /bin/mqe2e sysctl
		check_sysctls "pod B" 10 16384
	fi
}

# shellcheck disable=SC2317 # called through wait_for
queue_made() { ! crictl exec -s "$PROD" /bin/mqe2e absent; }
