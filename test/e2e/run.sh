#!/usr/bin/env bash
# End-to-end test: mqsentry's runsc where users run containers.
#
# Builds a tiny image locally (podman import of a rootfs holding the static
# test/e2e/mqe2e.c and bin/mqdump), runs it with podman through bin/runsc
# (named on the command line, and as the runtime of deploy/podman/containers.conf)
# and checks, inside the container:
#   - a producer and a consumer process exchange POSIX and SysV messages;
#   - /dev/mqueue lists the queue (runsc ignores the OCI "mqueue" mount, see
#     below: the test then mounts it from a privileged exec);
#   - `podman exec ... mqdump list/dump` inspects the queues without consuming
#     anything (counts before = after = what the consumer then receives);
#   - `podman container checkpoint/restore` keeps queued messages (through
#     deploy/podman/runsc-podman; plain runsc is refused by podman: reported
#     as KNOWN);
#   - containerd (Debian's ctr) runs the image through containerd-shim-runsc-v1
#     with deploy/containerd/config.toml and runsc.toml.
# Prints every command it runs and ends with "N passed, M failed".
#
# Uses bin/runsc, bin/mqdump and bin/containerd-shim-runsc-v1, building them
# (make runsc, make bin/mqdump, go install of the pinned gVisor shim) only if
# missing. Environment: RUNSC, MQDUMP, SHIM override the binaries; E2E_CONTAINERD=0
# skips containerd. Installs podman, criu and containerd with apt-get when
# missing. Must run as root. Removes its containers, images and state at exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
RUNSC=${RUNSC:-$ROOT/bin/runsc}
MQDUMP=${MQDUMP:-$ROOT/bin/mqdump}
SHIM=${SHIM:-$ROOT/bin/containerd-shim-runsc-v1}
WORK=$ROOT/build/out/e2e
IMAGE=localhost/mqsentry-e2e:latest
C1=mqsentry-e2e-$$
C2=mqsentry-e2e-cr-$$
pass=0
fail=0
known=0

say() { printf '%s\n' "$*"; }
step() { say; say "== $*"; }
ok() { say "PASS: $*"; pass=$((pass + 1)); }
bad() { say "FAIL: $*"; fail=$((fail + 1)); }
known() { say "KNOWN: $*"; known=$((known + 1)); }
# run CMD...: prints the command, runs it, keeps its output in $out (also printed).
run() {
	say "+ $*"
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
	return $rc
}
count() { printf '%s\n' "$out" | grep -c -- "$1"; }
finish() {
	trap - EXIT
	[ -n "${cleanup_armed:-}" ] && cleanup
	say
	say "$known known limitation(s), reported as KNOWN above"
	say "$pass passed, $fail failed"
	exit $((fail > 0))
}

cleanup() {
	step "cleanup"
	podman rm -f -t 0 "$C1" "$C2" >/dev/null 2>&1
	podman rmi -f "$IMAGE" >/dev/null 2>&1
	if [ -n "${CTRD_PID:-}" ]; then
		ctr -a "$CTRD/containerd.sock" -n mqe2e tasks kill -s KILL mqe2e-ctr >/dev/null 2>&1
		ctr -a "$CTRD/containerd.sock" -n mqe2e containers rm mqe2e-ctr >/dev/null 2>&1
		ctr -a "$CTRD/containerd.sock" -n mqe2e images rm "$IMAGE" >/dev/null 2>&1
		kill "$CTRD_PID" 2>/dev/null
		wait "$CTRD_PID" 2>/dev/null
		umount -R "$CTRD" 2>/dev/null
		rm -rf "$CTRD"
	fi
	say "removed containers $C1 $C2 and image $IMAGE"
}

if [ "$(id -u)" != 0 ]; then
	say "test/e2e/run.sh must run as root"
	bad "not root"
	finish
fi

step "prerequisites"
for pkg in podman criu; do
	if ! command -v "$pkg" >/dev/null; then
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null || { bad "apt-get install $pkg"; finish; }
	fi
done
say "podman: $(podman --version)"
[ -x "$RUNSC" ] || run make runsc || { bad "make runsc"; finish; }
[ -x "$MQDUMP" ] || run make bin/mqdump || { bad "make bin/mqdump"; finish; }
mkdir -p "$WORK"
cleanup_armed=1
trap cleanup EXIT

step "build the image: static test/e2e/mqe2e.c and bin/mqdump, podman import"
rm -rf "$WORK/rootfs" && mkdir -p "$WORK/rootfs"/{bin,dev,proc,sys,tmp,etc}
run gcc -O2 -Wall -static -o "$WORK/rootfs/bin/mqe2e" test/e2e/mqe2e.c -lrt || { bad "gcc mqe2e"; finish; }
cp "$MQDUMP" "$WORK/rootfs/bin/mqdump"
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
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
check_pair() {
	local what=$1
	if [ "$rc" = 0 ] && [ "$(count 'received posix')" = 3 ] && [ "$(count 'received sysv')" = 3 ] &&
		[ "$(count 'received posix prio 3: posix #3 from producer')" = 1 ]; then
		ok "$what: 3 POSIX and 3 SysV messages crossed from producer to consumer"
	else
		bad "$what (exit $rc)"
	fi
}
run podman --runtime "$RUNSC" run --rm --network=none "$IMAGE" /bin/mqe2e pair 3
check_pair "podman --runtime $RUNSC run"
run podman --runtime runsc-mq run --rm --network=none "$IMAGE" /bin/mqe2e pair 3
check_pair "podman --runtime runsc-mq (containers.conf) run"

step "a running container: producer exec, /dev/mqueue, mqdump, consumer exec"
run podman --runtime runsc-mq run -d --name "$C1" --network=none "$IMAGE" /bin/mqe2e hold || { bad "podman run -d"; finish; }
run podman exec "$C1" /bin/mqe2e produce 4
if [ "$rc" = 0 ] && [ "$(count 'producer.* mq_send')" = 4 ] && [ "$(count 'producer.* msgsnd')" = 4 ]; then
	ok "podman exec producer queued 4 POSIX and 4 SysV messages"
else
	bad "podman exec producer (exit $rc)"
fi

run podman exec "$C1" /bin/mqe2e ls /dev/mqueue
if [ "$rc" = 0 ] && [ "$(count '/dev/mqueue/mqe2e: QSIZE:')" = 1 ]; then
	ok "/dev/mqueue (mounted by the runtime) lists /mqe2e"
else
	known "runsc does not mount the OCI spec's /dev/mqueue (type mqueue): runsc/boot/vfs.go getMountNameAndOptions has no case for mqueue and logs 'ignoring unknown filesystem type'; the container (no CAP_SYS_ADMIN) cannot mount it itself"
	run podman exec --privileged "$C1" /bin/mqe2e ls /dev/mqueue
	if [ "$rc" = 0 ] && [ "$(count '/dev/mqueue/mqe2e: QSIZE:')" = 1 ]; then
		ok "/dev/mqueue mounted from a privileged exec lists /mqe2e"
	else
		bad "/dev/mqueue listing (exit $rc)"
	fi
fi

# mqdump_counts: sets posix_n and sysv_n from `mqdump list` output in $out.
mqdump_counts() {
	posix_n=$(printf '%s\n' "$out" | awk '$7 == "\"/mqe2e\"" { print $3 }')
	sysv_n=$(printf '%s\n' "$out" | awk '$2 == "0x0e2e0001" { print $7 }')
}
run podman exec "$C1" /bin/mqdump list
mqdump_counts
before="$posix_n/$sysv_n"
if [ "$rc" = 0 ] && [ "$before" = 4/4 ]; then ok "mqdump list: /mqe2e holds 4, SysV 0x0e2e0001 holds 4"; else bad "mqdump list before (exit $rc, counts $before)"; fi
run podman exec "$C1" /bin/mqdump dump -
if [ "$rc" = 0 ] && [ "$(count '"priority":')" = 4 ] && [ "$(count '"type":')" = 4 ]; then
	ok "mqdump dump: 4 POSIX and 4 SysV messages in the JSON"
else
	bad "mqdump dump (exit $rc)"
fi
run podman exec "$C1" /bin/mqdump list
mqdump_counts
if [ "$rc" = 0 ] && [ "$posix_n/$sysv_n" = "$before" ]; then ok "mqdump consumed nothing: counts still $before"; else bad "counts changed: $before -> $posix_n/$sysv_n"; fi

step "podman container checkpoint / restore"
run podman container checkpoint "$C1"
if [ "$rc" = 0 ]; then
	ok "podman container checkpoint with plain runsc"
	run podman container restore "$C1"
else
	known "podman refuses plain runsc: it requires 'runsc checkpoint --help' to exit 0 (runsc exits 128) and CRIU's inventory.img in the image directory; deploy/podman/runsc-podman supplies both"
fi
run podman exec "$C1" /bin/mqe2e consume 4
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -o 'received [a-z]* [a-z]* [0-9]*: [a-z]* #[0-9]*' | tr '\n' ,)" = "received posix prio 3: posix #3,received posix prio 2: posix #2,received posix prio 1: posix #1,received posix prio 1: posix #4,received sysv type 1: sysv #1,received sysv type 2: sysv #2,received sysv type 3: sysv #3,received sysv type 4: sysv #4," ]; then
	ok "podman exec consumer received the 4+4 messages of the producer exec, in priority / FIFO order"
else
	bad "podman exec consumer (exit $rc)"
fi
run podman exec "$C1" /bin/mqdump list
mqdump_counts
if [ "$posix_n/$sysv_n" = 0/0 ]; then ok "queues empty after the consumer"; else bad "queues after consumer: $posix_n/$sysv_n"; fi

run podman --runtime runsc-mq-cr run -d --name "$C2" --network=none "$IMAGE" /bin/mqe2e hold || { bad "podman run -d (runsc-mq-cr)"; finish; }
run podman exec "$C2" /bin/mqe2e produce 3
run podman exec "$C2" /bin/mqe2e ls /dev/mqueue || run podman exec --privileged "$C2" /bin/mqe2e ls /dev/mqueue
run podman exec "$C2" /bin/mqdump list
mqdump_counts
if [ "$posix_n/$sysv_n" = 3/3 ]; then ok "before checkpoint mqdump sees 3 POSIX and 3 SysV messages"; else bad "before checkpoint: $posix_n/$sysv_n"; fi
run podman container checkpoint "$C2"
ck=$rc
run podman ps -a --filter "name=$C2" --format '{{.Names}} {{.Status}}'
if [ "$ck" = 0 ] && [ "$(count Exited)" = 1 ]; then ok "podman container checkpoint (runtime runsc-mq-cr): container stopped"; else bad "checkpoint through runsc-podman (exit $ck)"; fi
run podman container restore "$C2"
if [ "$rc" = 0 ]; then ok "podman container restore"; else bad "podman container restore (exit $rc)"; fi
run podman exec "$C2" /bin/mqdump list
mqdump_counts
if [ "$posix_n/$sysv_n" = 3/3 ]; then ok "after restore mqdump sees 3 POSIX and 3 SysV messages"; else bad "after restore: $posix_n/$sysv_n"; fi
run podman exec "$C2" /bin/mqe2e consume 3
if [ "$rc" = 0 ] && [ "$(count 'received posix')" = 3 ] && [ "$(count 'received sysv')" = 3 ]; then
	ok "messages queued before the checkpoint received after the restore"
else
	bad "consume after restore (exit $rc)"
fi

if [ "${E2E_CONTAINERD:-1}" = 0 ]; then
	finish
fi
step "containerd (ctr) through containerd-shim-runsc-v1"
if ! command -v containerd >/dev/null; then
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y containerd >/dev/null || { bad "apt-get install containerd"; finish; }
fi
if [ ! -x "$SHIM" ]; then
	gv=$(awk '$1 == "gvisor.dev/gvisor" { print $2 }' go.mod)
	run env GOFLAGS=-buildvcs=false GOBIN="$WORK/gobin" CGO_ENABLED=0 go install "gvisor.dev/gvisor/shim@$gv" || { bad "go install shim"; finish; }
	mkdir -p "$(dirname "$SHIM")" && mv "$WORK/gobin/shim" "$SHIM"
fi
CTRD=$(mktemp -d /tmp/mqe2e-containerd.XXXXXX)
mkdir -p "$CTRD/bin"
ln -s "$SHIM" "$CTRD/bin/containerd-shim-runsc-v1"
sed "s#/usr/local/bin/runsc#$RUNSC#" deploy/containerd/runsc.toml >"$CTRD/runsc.toml"
say "containerd --config deploy/containerd/config.toml, runsc.toml:"
sed 's/^/    /' "$CTRD/runsc.toml"
PATH=$CTRD/bin:$PATH containerd --config deploy/containerd/config.toml --root "$CTRD/root" \
	--state "$CTRD/state" --address "$CTRD/containerd.sock" >"$CTRD/containerd.log" 2>&1 &
CTRD_PID=$!
for _ in $(seq 50); do [ -S "$CTRD/containerd.sock" ] && break; sleep 0.1; done
CTR=(ctr -a "$CTRD/containerd.sock" -n mqe2e)
podman save -q --format docker-archive -o "$WORK/image.tar" "$IMAGE"
run "${CTR[@]}" images import "$WORK/image.tar" || bad "ctr images import"
run timeout 120 "${CTR[@]}" run --rm --runtime io.containerd.runsc.v1 --runtime-config-path "$CTRD/runsc.toml" "$IMAGE" mqe2e-ctr /bin/mqe2e pair 3
if [ "$rc" = 0 ]; then
	check_pair "ctr run --runtime io.containerd.runsc.v1"
elif printf '%s\n' "$out" | grep -q 'failed to set OOM Score on shim'; then
	known "containerd-shim-runsc-v1 sets its oom_score_adj to -999, which needs CAP_SYS_RESOURCE: this machine's bounding set lacks it ($(grep CapBnd /proc/self/status | tr -s '\t' ' ')), so the shim cannot start here"
else
	bad "ctr run (exit $rc)"
fi
finish
