#!/bin/bash
# bench/run.sh - `make bench`: Tresor against Dovecot on loopback, in the same run.
#
# Builds the load generator (bench/imap-load.c), installs Dovecot from Debian when it
# is missing, starts one Tresor and one Dovecot instance in a temporary directory on
# free loopback ports with the same users, passwords and messages, and measures:
#   1. commands/s of a command mix, persistent sessions and login-per-session,
#      REPEAT times, alternating which server goes first; median and ratio;
#   2. the delay from an APPEND to the EXISTS seen by another session in IDLE;
#   3. server memory per idle TLS connection in IDLE (IDLE_CONNS against Tresor,
#      DOVECOT_IDLE_CONNS against Dovecot), each from a freshly started server;
#   4. (DIAG=1) one run each of the mix without SEARCH, and of Tresor with 2 workers;
#   5. (SMTP=1) bench/smtp.sh: Tresor's MX listener against Postfix, with smtp-source;
#   6. (POP3=1) bench/pop3.sh: Tresor's POP3 against Dovecot's pop3 (UIDL time, RETR MB/s).
# IMAP=0 skips the IMAP parts (1-4), SMTP=0 the SMTP part, POP3=0 the POP3 part:
# IMAP=0 SMTP=0 runs only POP3.
# Raw result lines go to build/bench/results.txt, the tables to build/bench/summary.md.
# Everything runs under time limits and is stopped and removed at exit.
#
# Tunables (environment): see the defaults below. Needs root (Dovecot runs its mail
# processes as a dedicated user, created if missing) and bash.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

USERS=${USERS:-8}                   # accounts, same on both servers
MESSAGES=${MESSAGES:-2000}          # messages APPENDed to each INBOX before measuring
CLIENTS=${CLIENTS:-16}              # concurrent clients in the mix
WARMUP=${WARMUP:-3}                 # seconds before counting, per mix run
DURATION=${DURATION:-15}            # seconds counted, per mix run
REPEAT=${REPEAT:-3}                 # mix runs per server and mode
TRIALS=${TRIALS:-100}               # IDLE latency trials per server
IDLE_CONNS=${IDLE_CONNS:-10000}     # idle TLS connections against Tresor
DOVECOT_IDLE_CONNS=${DOVECOT_IDLE_CONNS:-2000}
WORKERS=${WORKERS:-4}               # Tresor [server] workers
DOVECOT_FORMAT=${DOVECOT_FORMAT:-sdbox}  # sdbox or maildir
DIAG=${DIAG:-1}                     # 1: diagnostic runs after the measurements
KEEP=${KEEP:-0}                     # 1: keep the temporary directory
IMAP=${IMAP:-1}                     # 0: skip the IMAP parts (1-4)
SMTP=${SMTP:-1}                     # 0: skip the SMTP part (bench/smtp.sh, its own knobs)
POP3=${POP3:-1}                     # 0: skip the POP3 part (bench/pop3.sh, its own knobs)

OUT=$ROOT/build/bench
LOAD=$OUT/imap-load
TRESOR=$ROOT/build/tresor
PROCSTAT=$ROOT/bench/procstat.sh
RESULTS=$OUT/results.txt
MAIL_USER=tresorbench

log() { printf '== %s\n' "$*" >&2; }
fail() { printf 'bench: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (Dovecot's mail processes need a user to switch to)"
[ -x "$TRESOR" ] || fail "build/tresor missing: run make build/tresor"
mkdir -p "$OUT"

# bench/smtp.sh and bench/pop3.sh, each after the other, with their exit codes
smtp_rc=0
pop3_rc=0
run_smtp_pop3() {
	if [ "$SMTP" != 0 ]; then bench/smtp.sh "$RESULTS" || smtp_rc=$?; fi
	if [ "$POP3" != 0 ]; then bench/pop3.sh "$RESULTS" || pop3_rc=$?; fi
}
summary_and_status() {
	/usr/bin/python3 bench/summary.py "$RESULTS" | tee "$OUT/summary.md"
	[ "$smtp_rc" -eq 0 ] ||
		fail "bench/smtp.sh failed (exit $smtp_rc): its tables are missing or partial"
	[ "$pop3_rc" -eq 0 ] ||
		fail "bench/pop3.sh failed (exit $pop3_rc): its tables are missing or partial"
}

if [ "$IMAP" = 0 ]; then
	[ "$SMTP" != 0 ] || [ "$POP3" != 0 ] || fail "IMAP=0, SMTP=0 and POP3=0: nothing to measure"
	: > "$RESULTS"
	run_smtp_pop3
	summary_and_status
	exit 0
fi

log "building the load generator"
cc -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	bench/imap-load.c -lssl -lcrypto -lm -o "$LOAD"

# --- Dovecot from Debian, without letting the packaged service take ports 143/993 ---
if ! command -v dovecot >/dev/null 2>&1; then
	log "installing dovecot-imapd"
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
	if [ "$made_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
	elif [ -x /etc/init.d/dovecot ]; then
		/etc/init.d/dovecot stop >/dev/null 2>&1 || true
		update-rc.d dovecot disable >/dev/null 2>&1 || true
	fi
fi
if ! id "$MAIL_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		"$MAIL_USER"
fi

# --- the temporary world, and its cleanup ---
TMP=$(mktemp -d /tmp/tresor-bench.XXXXXX)
chmod 755 "$TMP"
TPID=""
DPID=""
cleanup() {
	set +e
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		echo "bench: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The client needs IDLE_CONNS descriptors, each server as many.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_fd=$(ulimit -n)
if [ "$IDLE_CONNS" -gt $((max_fd - 100)) ]; then
	log "ulimit -n is $max_fd: IDLE_CONNS lowered from $IDLE_CONNS to $((max_fd - 100))"
	IDLE_CONNS=$((max_fd - 100))
fi
if [ "$DOVECOT_IDLE_CONNS" -gt $((max_fd - 100)) ]; then
	DOVECOT_IDLE_CONNS=$((max_fd - 100))
fi

read -r T_PORT T_PORT_TLS D_PORT D_PORT_TLS < <("$LOAD" ports 4)

wait_port() { # port seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

pw_of() { printf 'pass-%d-bench' "$1"; }

# --- Tresor ---
start_tresor() { # workers
	cat > "$TMP/tresor.conf" <<-EOF
	[server]
	hostname = bench.test
	data_dir = $TMP/tresor
	user =
	log_level = info
	workers = $1

	[imap]
	listen = 127.0.0.1:$T_PORT
	listen_tls = 127.0.0.1:$T_PORT_TLS

	[pop3]
	listen =
	listen_tls =

	[smtp]
	listen_mx =
	listen_submission =
	listen_submissions =

	[auth]
	failure_delay_ms = 10
	EOF
	"$TRESOR" -c "$TMP/tresor.conf" serve 2>>"$TMP/tresor.log" &
	TPID=$!
	wait_port "$T_PORT" 20 || fail "Tresor did not start (see $TMP/tresor.log)"
}

log "Tresor: accounts"
mkdir -p "$TMP/tresor"
cat > "$TMP/tresor.conf.init" <<EOF
[server]
data_dir = $TMP/tresor
user =
log_level = warn
EOF
"$TRESOR" -c "$TMP/tresor.conf.init" domain add bench.test >/dev/null
# user USERS+1 keeps an empty INBOX (the idle test's base cost per connection)
for ((u = 1; u <= USERS + 1; u++)); do
	pw_of "$u" | "$TRESOR" -c "$TMP/tresor.conf.init" user add "user$u@bench.test" \
		--password-stdin >/dev/null
done
start_tresor "$WORKERS"

# --- Dovecot: same users and passwords, same certificate ---
DV=$TMP/dovecot
mkdir -p "$DV/run" "$DV/state" "$DV/home"
chown "$MAIL_USER:" "$DV/home"
: > "$DV/passwd"
for ((u = 1; u <= USERS + 1; u++)); do
	printf 'user%d@bench.test:{PLAIN}%s::::::\n' "$u" "$(pw_of "$u")" >> "$DV/passwd"
done
chmod 644 "$DV/passwd"
cat > "$DV/dovecot.conf" <<EOF
# Generated by bench/run.sh. Dovecot $(dovecot --version | cut -d' ' -f1), high-performance
# login mode, $DOVECOT_FORMAT mailboxes, passwords from a passwd-file with an auth cache.
protocols = imap
listen = 127.0.0.1
base_dir = $DV/run
state_dir = $DV/state
instance_name = tresor-bench
log_path = $DV/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot

ssl = yes
ssl_cert = <$TMP/tresor/tls/cert.pem
ssl_key = <$TMP/tresor/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_failure_delay = 0

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DV/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER gid=$MAIL_USER home=$DV/home/%d/%n
}
mail_location = $DOVECOT_FORMAT:~/mail
first_valid_uid = 100

protocol imap {
  mail_max_userip_connections = 20000
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $D_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $D_PORT_TLS
    ssl = yes
  }
  # "high-performance mode": login processes serve many clients
  service_count = 0
  process_min_avail = $(nproc)
  client_limit = 20000
  vsz_limit = 2G
}
service imap {
  process_limit = 20000
  # Dovecot's performance tuning advice: reuse a mail process for up to 100 sessions
  service_count = 100
}
service anvil {
  client_limit = 25000
}
default_client_limit = 25000
EOF
start_dovecot() {
	dovecot -c "$DV/dovecot.conf" -F 2>>"$DV/dovecot.log" &
	DPID=$!
	wait_port "$D_PORT" 20 || fail "Dovecot did not start (see $DV/dovecot.log)"
	wait_port "$D_PORT_TLS" 5 || fail "Dovecot TLS port not open"
}
log "Dovecot: starting ($DOVECOT_FORMAT)"
start_dovecot

: > "$RESULTS"
record() { tee -a "$RESULTS"; }

{
	echo "INFO date=\"$(date)\""
	echo "INFO nproc=$(nproc) mem=\"$(free -h | awk '/^Mem:/ {print $2}')\"" \
		"cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"" \
		"kernel=$(uname -r)"
	echo "INFO tresor=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"tresor_dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)" \
		"dovecot=\"$(dovecot --version)\" format=$DOVECOT_FORMAT workers=$WORKERS"
	echo "INFO users=$USERS messages=$MESSAGES clients=$CLIENTS warmup=$WARMUP" \
		"duration=$DURATION repeat=$REPEAT"
} | record

COMMON=(--users "$USERS" --timeout 900)

log "filling Tresor: $USERS x $MESSAGES messages"
"$LOAD" fill --server tresor --port "$T_PORT" "${COMMON[@]}" --messages "$MESSAGES" | record
log "filling Dovecot: $USERS x $MESSAGES messages"
"$LOAD" fill --server dovecot --port "$D_PORT" "${COMMON[@]}" --messages "$MESSAGES" | record

mix() { # server mode label [imap-load options...]
	local server=$1 mode=$2 label=$3 port=$T_PORT pid=$TPID cpu0 cpu1 cpu
	shift 3
	if [ "$server" = dovecot ]; then port=$D_PORT; pid=$DPID; fi
	cpu0=$("$PROCSTAT" cpu-tree "$pid")
	"$LOAD" mix --server "$server" --mode "$mode" --port "$port" "${COMMON[@]}" \
		--clients "$CLIENTS" --warmup "$WARMUP" --duration "$DURATION" "$@" > "$TMP/mix.out"
	cpu1=$("$PROCSTAT" cpu-tree "$pid")
	# server CPU over warmup + duration, in % of one core
	cpu=$(echo "$cpu0 $cpu1" |
		awk -v t="$WARMUP" -v d="$DURATION" '{ printf "%.0f", 100 * ($2 - $1) / (t + d) }')
	sed -e "s/^RESULT .*/& server_cpu_pct=$cpu/" -e "s/^\(RESULT\|OP\) /& label=$label /" \
		"$TMP/mix.out" | record | grep '^RESULT' >&2
}

for ((r = 1; r <= REPEAT; r++)); do
	if ((r % 2)); then order="tresor dovecot"; else order="dovecot tresor"; fi
	for mode in persistent login; do
		for s in $order; do
			log "run $r/$REPEAT: $mode, $s"
			echo "RUN repeat=$r" | record >/dev/null
			mix "$s" "$mode" main
		done
	done
done

log "IDLE latency: $TRIALS trials each"
"$LOAD" idle-latency --server tresor --port "$T_PORT" "${COMMON[@]}" --trials "$TRIALS" | record
"$LOAD" idle-latency --server dovecot --port "$D_PORT" "${COMMON[@]}" --trials "$TRIALS" | record

restart_tresor() { # workers
	kill "$TPID"
	wait "$TPID" 2>/dev/null || true
	start_tresor "$1"
}

# Each idle measurement starts from a fresh Tresor process: memory freed by earlier
# connections would otherwise be reused and hide the growth.
log "idle TLS connections: $IDLE_CONNS against Tresor, INBOX of $MESSAGES messages selected"
restart_tresor "$WORKERS"
"$LOAD" idle-hold --server tresor --tls --port "$T_PORT_TLS" "${COMMON[@]}" \
	--conns "$IDLE_CONNS" --mem-cmd "$PROCSTAT rss $TPID" | record || true
log "idle TLS connections: $IDLE_CONNS against Tresor, empty INBOX selected"
restart_tresor "$WORKERS"
"$LOAD" idle-hold --server tresor --tls --port "$T_PORT_TLS" --users 1 \
	--first-user $((USERS + 1)) --timeout 900 --conns "$IDLE_CONNS" \
	--mem-cmd "$PROCSTAT rss $TPID" | record || true
log "idle TLS connections: $DOVECOT_IDLE_CONNS against Dovecot, INBOX of $MESSAGES messages"
kill "$DPID"
wait "$DPID" 2>/dev/null || true
start_dovecot
"$LOAD" idle-hold --server dovecot --tls --port "$D_PORT_TLS" "${COMMON[@]}" \
	--conns "$DOVECOT_IDLE_CONNS" --mem-cmd "$PROCSTAT pss-tree $DPID" | record || true
# a fresh instance again, rather than one still reaping its idle processes
kill "$DPID"
wait "$DPID" 2>/dev/null || true
start_dovecot

if [ "$DIAG" = 1 ]; then
	# Not the headline: one run each, to locate where Tresor spends its time.
	log "diagnostics: the mix without SEARCH"
	mix tresor persistent no-search --exclude SEARCH
	mix dovecot persistent no-search --exclude SEARCH
	log "diagnostics: Tresor with workers = 2"
	restart_tresor 2
	mix tresor persistent workers-2
	mix tresor login workers-2
fi

if [ "$SMTP" != 0 ] || [ "$POP3" != 0 ]; then
	# the IMAP servers would share the CPUs with the SMTP and POP3 ones
	kill "$TPID" "$DPID"
	wait "$TPID" "$DPID" 2>/dev/null || true
	TPID=""
	DPID=""
	run_smtp_pop3
fi
summary_and_status
