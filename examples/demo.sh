#!/usr/bin/env bash
# Loom in a minute: write a volfile (a storage/posix brick under debug/trace)
# into a temporary directory, mount it with bin/loom as a daemon, write a
# file through the mount, show it landing in the brick, draw the graph and
# unmount. Everything is removed afterwards, also when a step fails.
#
#   make demo                      (builds bin/loom first)
#   LOOM=/path/to/loom examples/demo.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOOM=${LOOM:-$PWD/bin/loom}
if [[ ! -x $LOOM ]]; then
	echo "demo: $LOOM is missing; run \"make build\" first" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/loom-demo.XXXXXX")
brick=$work/brick
mnt=$work/mnt
vol=$work/demo.vol
log=$work/loom.log
pidfile=$work/loom.pid
mkdir -p "$brick" "$mnt"

is_mounted() {
	awk -v m="$mnt" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

unmount() {
	if [[ $(id -u) == 0 ]]; then umount "$mnt"; else fusermount3 -u "$mnt"; fi
}

# wait_exit waits up to 10 s for the daemon to exit after the unmount.
wait_exit() {
	local pid i
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "demo: loom (pid $pid) still running after the unmount; stopping it" >&2
	kill "$pid" 2>/dev/null || true
}

cleanup() {
	local status=$?
	if is_mounted; then
		unmount 2>/dev/null || umount -l "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" 2>/dev/null || true
	fi
	wait_exit
	if is_mounted; then
		echo "demo: $mnt is still mounted; leaving $work in place" >&2
	else
		rm -rf "$work"
	fi
	if ((status != 0)) && [[ -f $log ]]; then
		echo "demo: failed; the last lines of the log were:" >&2
		tail -n 20 "$log" >&2 || true
	fi
	exit "$status"
}
trap cleanup EXIT

if [[ -t 1 ]]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi

step "the volfile ($vol)"
cat >"$vol" <<VOL
# A brick (a local directory) with a tracer on top that logs every fop.
volume brick
  type storage/posix
  option directory $brick
end-volume

volume trace
  type debug/trace
  subvolumes brick
end-volume
VOL
cat "$vol"

step "loom volfile check"
"$LOOM" volfile check "$vol"

step "loom volfile graph"
"$LOOM" volfile graph "$vol"

step "loom mount (daemon; returns once the mount is ready)"
echo "\$ loom mount -f $vol -l $log --pid-file $pidfile $mnt"
"$LOOM" mount -f "$vol" -l "$log" --pid-file "$pidfile" "$mnt"
grep " $mnt " /proc/mounts

step "write a file through the mount"
echo "hello from loom" >"$mnt/hello.txt"
mkdir "$mnt/docs"
echo "\$ ls -l $mnt"
ls -l "$mnt"

step "the same file in the brick"
echo "\$ ls -l $brick"
ls -l "$brick"
echo "\$ cat $brick/hello.txt"
cat "$brick/hello.txt"

step "what debug/trace logged for them ($log)"
grep -E 'msg=(create|write|mkdir) ' "$log" || tail -n 5 "$log"

step "unmount"
echo "\$ umount $mnt"
unmount
wait_exit
if is_mounted; then
	echo "demo: still mounted after the unmount" >&2
	exit 1
fi
echo "unmounted; loom exited"
