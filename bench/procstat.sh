#!/bin/bash
# bench/procstat.sh - memory and CPU of a server process (and its children),
# read from /proc, for bench/run.sh and imap-load's --mem-cmd.
#
#   procstat.sh rss PID        VmRSS of PID in KiB
#   procstat.sh pss-tree PID   sum of Pss (KiB) over PID and all its descendants
#                              (Pss shares each shared page among the processes
#                              that map it, so the sum does not count a page twice)
#   procstat.sh cpu-tree PID   CPU seconds used by PID and its descendants, including
#                              children already exited and reaped (cutime/cstime)
set -eu

tree() {
	local root=$1
	ps -e -o pid=,ppid= | awk -v root="$root" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			for (i in pids) {
				p = pids[i]; q = p
				while (q != "" && q != 0 && q != 1 && q != root) q = parent[q]
				if (q == root) print p
			}
		}'
}

case "${1:-}" in
rss)
	awk '/^VmRSS:/ { print $2 }' "/proc/$2/status"
	;;
pss-tree)
	for p in $(tree "$2"); do
		awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true
	done | awk '{ s += $1 } END { print s + 0 }'
	;;
cpu-tree)
	hz=$(getconf CLK_TCK)
	for p in $(tree "$2"); do
		# fields after the ")" of comm: 14 utime 15 stime 16 cutime 17 cstime
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }' || true
	done | awk -v hz="$hz" '{ s += $1 } END { printf "%.2f\n", s / hz }'
	;;
*)
	echo "usage: procstat.sh rss|pss-tree|cpu-tree PID" >&2
	exit 2
	;;
esac
