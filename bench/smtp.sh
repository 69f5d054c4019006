#!/bin/bash
# bench/smtp.sh - SMTP: Tresor's MX listener against Postfix from Debian, in the same run.
#
# Drives both servers with smtp-source (from the postfix package): SMTP_SESSIONS
# parallel sessions sending SMTP_MESSAGES messages of SMTP_SIZE body bytes to one
# local recipient, in two modes:
#   per-message  a new connection for every message (smtp-source's default:
#                connect, banner, HELO, MAIL, RCPT, DATA, QUIT, close);
#   persistent   smtp-source -d: each session keeps its connection and sends its next
#                MAIL FROM right after the 250 of the previous message.
# SMTP_REPEAT runs per server and mode, alternating which server goes first. The
# number is durable accepts per second: messages / wall time of the smtp-source run,
# and each server answers 250 only once the message is on disk (Tresor: stored and
# synced in the mailbox; Postfix: the queue file fsynced by cleanup(8), delivered to
# the Maildir afterwards by virtual(8)). After each run the script waits until every
# message is in the recipient's mailbox and fails if the count is not exactly what
# smtp-source sent.
#
# Sealing (issue 5): the same Tresor server also holds a sealed account,
# sealed@bench.test, with a key made by `tresor key generate` (Ed25519 with an X25519
# subkey; SMTP_SEAL_RSA=BITS for RSA). The pseudo-server tresor-sealed is the same
# load into that account: every message is encrypted to the key (PGP/MIME, RFC 3156)
# before the 250. It runs in every round right beside the unsealed one, and the
# script reports per mode the ratio of the medians sealed/unsealed (SMTPSEAL lines;
# target >= 0.75). After the warm-up it checks over IMAP that what the sealed account
# stores is PGP/MIME with none of the body in clear. Then bench/seal-bench.c, built
# here with -O2 from src/base, src/mime and src/crypto, times crypto_seal() alone on
# a 10 KB and a 1 MB message (SEAL lines: median and p90 microseconds).
#
# Postfix runs as a private instance (its own config_directory, queue_directory and
# data_directory in a temporary directory, listening on a free loopback port), never
# the packaged service. Everything is stopped and removed at exit (KEEP=1 keeps the
# directory, with both servers' logs).
#
# Usage: bench/smtp.sh [RESULTS]
#   RESULTS  file to append the raw result lines to (bench/run.sh passes its
#            results.txt and makes the summary). Without it the lines go to a fresh
#            build/bench/smtp-results.txt and the tables to build/bench/smtp-summary.md.
# Needs root (Postfix's master runs as root; mail is delivered as a dedicated user,
# created if missing), bash, build/tresor (make build/tresor).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMTP_MESSAGES=${SMTP_MESSAGES:-2000}     # messages per run (smtp-source -m)
SMTP_SESSIONS=${SMTP_SESSIONS:-20}       # parallel SMTP sessions (smtp-source -s)
SMTP_SIZE=${SMTP_SIZE:-10240}            # body bytes per message (smtp-source -l)
SMTP_WARMUP=${SMTP_WARMUP:-200}          # messages per server and mode before measuring
SMTP_REPEAT=${SMTP_REPEAT:-${REPEAT:-3}} # runs per server and mode; the median counts
SMTP_TIMEOUT=${SMTP_TIMEOUT:-300}        # seconds per run, and per wait for the deliveries
WORKERS=${WORKERS:-4}                    # Tresor [server] workers
POSTFIX_IN_FLOW_DELAY=${POSTFIX_IN_FLOW_DELAY:-1s} # Postfix's default (see README.md)
SMTP_SERVERS=${SMTP_SERVERS:-tresor tresor-sealed postfix} # which; "postfix" alone works
SMTP_SEAL_RSA=${SMTP_SEAL_RSA:-}         # RSA bits for the sealed account's key; empty: Ed25519
SEAL_BENCH=${SEAL_BENCH:-}               # 0: skip bench/seal-bench (default: 1 with tresor-sealed)
SEAL_N_SMALL=${SEAL_N_SMALL:-2000}       # seal-bench iterations on the 10 KB message
SEAL_N_LARGE=${SEAL_N_LARGE:-50}         # seal-bench iterations on the 1 MB message
KEEP=${KEEP:-0}                          # 1: keep the temporary directory
# TRESOR_BIN: another Tresor binary than build/tresor
read -ra SERVERS <<< "$SMTP_SERVERS"
has_server() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
if [ -z "$SEAL_BENCH" ]; then
	if has_server tresor-sealed; then SEAL_BENCH=1; else SEAL_BENCH=0; fi
fi

OUT=$ROOT/build/bench
TRESOR=${TRESOR_BIN:-$ROOT/build/tresor}
SMTP_SOURCE=/usr/sbin/smtp-source
MAIL_USER=tresorbench
DOMAIN=bench.test
RCPT=bench@$DOMAIN
SEALED_RCPT=sealed@$DOMAIN
PASSWORD=pass-smtp-bench
SEAL_TARGET=0.75 # issue 5: sealed at least 0.75x the unsealed rate
SEAL_BENCH_BIN=$OUT/seal-bench
SENDER=sender@sender.test
HELO=client.test

log() { printf '== %s\n' "$*" >&2; }
fail() { printf 'bench/smtp: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (Postfix's master process runs as root)"
[ -x "$TRESOR" ] || fail "$TRESOR missing: run make build/tresor"
mkdir -p "$OUT"
if [ $# -ge 1 ]; then
	RESULTS=$1
	STANDALONE=0
else
	RESULTS=$OUT/smtp-results.txt
	STANDALONE=1
	: > "$RESULTS"
fi

# bench/seal-bench: crypto_seal() alone, built as build/tresor's objects are (Makefile's
# REL_CFLAGS), from the sources of the layers it needs
build_seal_bench() {
	log "building bench/seal-bench"
	# shellcheck disable=SC2046 # pkg-config's words are separate flags
	cc -std=c11 -D_GNU_SOURCE -Isrc -O2 -g -DNDEBUG_TRESOR -Wall -Wextra -Werror -Wshadow \
		-Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
		$(pkg-config --cflags librnp libsodium) bench/seal-bench.c src/base/*.c \
		src/mime/*.c src/crypto/*.c $(pkg-config --libs librnp libsodium) -lm \
		-o "$SEAL_BENCH_BIN" || fail "bench/seal-bench did not build"
}
if [ "$SEAL_BENCH" != 0 ]; then build_seal_bench; fi

# --- Postfix from Debian, without letting the packaged service take port 25 ---
install_postfix() {
	local made_policy=0
	log "installing postfix"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends postfix >/dev/null
	if [ "$made_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now postfix.service >/dev/null 2>&1 || true
	elif [ -x /etc/init.d/postfix ]; then
		/etc/init.d/postfix stop >/dev/null 2>&1 || true
		update-rc.d postfix disable >/dev/null 2>&1 || true
	fi
}
if [ ! -x "$SMTP_SOURCE" ] || ! command -v postfix >/dev/null 2>&1; then
	install_postfix
fi
if ! id "$MAIL_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		"$MAIL_USER"
fi

# --- the temporary world, and its cleanup ---
TMP=$(mktemp -d /tmp/tresor-smtp-bench.XXXXXX)
chmod 755 "$TMP" # Postfix's daemons run as user postfix and must reach the queue
PF=$TMP/postfix
TPID=""
PF_STARTED=0
stop_postfix() {
	local pid i
	pid=$(tr -d ' ' < "$PF/queue/pid/master.pid" 2>/dev/null || true)
	postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	# "postfix stop" returns before the master has exited
	for ((i = 0; i < 100; i++)); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	postfix -c "$PF/etc" abort >/dev/null 2>&1 || true
}
cleanup() {
	set +e
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	[ "$PF_STARTED" = 1 ] && stop_postfix
	if [ "$KEEP" = 1 ]; then
		echo "bench/smtp: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# three free loopback ports, held together so they differ
read -r T_PORT P_PORT T_IMAP_PORT < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

wait_port() { # port seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# --- Tresor: the MX listener, one account, and the sealed account ---
# IMAP listens only for the check of what the sealed account stores (check_sealed).
start_tresor() {
	log "Tresor: account $RCPT, MX listener on 127.0.0.1:$T_PORT"
	mkdir -p "$TMP/tresor"
	cat > "$TMP/tresor.conf" <<-EOF
	[server]
	hostname = mx.$DOMAIN
	data_dir = $TMP/tresor
	user =
	log_level = info
	workers = $WORKERS

	[imap]
	listen = 127.0.0.1:$T_IMAP_PORT
	listen_tls =

	[pop3]
	listen =
	listen_tls =

	[smtp]
	listen_mx = 127.0.0.1:$T_PORT
	listen_submission =
	listen_submissions =
	EOF
	"$TRESOR" -c "$TMP/tresor.conf" domain add "$DOMAIN" >/dev/null
	printf '%s' "$PASSWORD" | "$TRESOR" -c "$TMP/tresor.conf" user add "$RCPT" \
		--password-stdin >/dev/null
	if has_server tresor-sealed; then make_sealed_account; fi
	"$TRESOR" -c "$TMP/tresor.conf" serve 2>>"$TMP/tresor.log" &
	TPID=$!
	wait_port "$T_PORT" 20 || fail "Tresor's MX listener did not open (see $TMP/tresor.log;" \
		"is the SMTP server in build/tresor yet?)"
}

# The sealed account: a key made as an administrator makes it (passphrase on stdin).
SEAL_KEY=""
make_sealed_account() {
	local rsa=() out
	if [ -n "$SMTP_SEAL_RSA" ]; then rsa=(--rsa "$SMTP_SEAL_RSA"); fi
	log "Tresor: sealed account $SEALED_RCPT, tresor key generate${SMTP_SEAL_RSA:+ --rsa $SMTP_SEAL_RSA}"
	printf '%s' "$PASSWORD" | "$TRESOR" -c "$TMP/tresor.conf" user add "$SEALED_RCPT" \
		--password-stdin >/dev/null
	out=$(printf 'seal-bench passphrase\n' |
		"$TRESOR" -c "$TMP/tresor.conf" key generate "$SEALED_RCPT" "${rsa[@]}" 2>&1) ||
		fail "tresor key generate failed: $out"
	"$TRESOR" -c "$TMP/tresor.conf" user show "$SEALED_RCPT" | grep -q '^sealed: yes' ||
		fail "$SEALED_RCPT is not sealed after key generate"
	"$TRESOR" -c "$TMP/tresor.conf" key list "$SEALED_RCPT" | grep -q ' state=usable ' ||
		fail "the key of $SEALED_RCPT is not usable"
	SEAL_KEY=${SMTP_SEAL_RSA:+rsa$SMTP_SEAL_RSA}
	SEAL_KEY=${SEAL_KEY:-ed25519}
}

# INBOX's message count of an account, or -1 if the store did not answer (polled again)
count_account() { # address
	"$TRESOR" -c "$TMP/tresor.conf" mailbox list "$1" 2>>"$TMP/count.err" |
		awk -F'\t' '$1 == "INBOX" { split($2, f, "[= ]"); n = f[2] }
			END { print (n == "" ? -1 : n) }'
}
count_tresor() { count_account "$RCPT"; }
count_tresor_sealed() { count_account "$SEALED_RCPT"; }

# --- Postfix: a private instance delivering $RCPT to a Maildir ---
MAILDIR=$PF/mail/$DOMAIN/bench
start_postfix() {
	log "Postfix: private instance on 127.0.0.1:$P_PORT, Maildir delivery"
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$PF/mail"
	chown postfix: "$PF/data"
	chown "$MAIL_USER:" "$PF/mail"
	printf '%s %s/bench/\n' "$RCPT" "$DOMAIN" > "$PF/etc/vmailbox"
	cat > "$PF/etc/main.cf" <<-EOF
	# Generated by bench/smtp.sh: Postfix $(postconf -dh mail_version) with Debian's
	# defaults, except where a private instance on loopback needs otherwise.
	compatibility_level = 3.6
	queue_directory = $PF/queue
	data_directory = $PF/data
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	myhostname = postfix.$DOMAIN
	mydestination = localhost
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	alias_maps =
	alias_database =
	biff = no
	in_flow_delay = $POSTFIX_IN_FLOW_DELAY
	# the benchmark domain: one virtual mailbox, a Maildir (the trailing slash)
	virtual_mailbox_domains = $DOMAIN
	virtual_mailbox_base = $PF/mail
	virtual_mailbox_maps = texthash:$PF/etc/vmailbox
	virtual_uid_maps = static:$(id -u "$MAIL_USER")
	virtual_gid_maps = static:$(id -g "$MAIL_USER")
	virtual_minimum_uid = 1
	EOF
	# Debian's master.cf without chroot (which would need a copy of /etc in the queue
	# directory), and only the services this mail path uses.
	cat > "$PF/etc/master.cf" <<-EOF
	127.0.0.1:$P_PORT inet n - n - - smtpd
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	proxymap  unix  -       -       n       -       -       proxymap
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	PF_STARTED=1
	# "postfix start" runs "postfix check" first, which makes the queue directories
	postfix -c "$PF/etc" start >"$PF/start.log" 2>&1 ||
		fail "Postfix did not start: $(cat "$PF/start.log")"
	wait_port "$P_PORT" 20 || fail "Postfix's smtpd did not open (see $PF/maillog)"
	PF_PID=$(tr -d ' ' < "$PF/queue/pid/master.pid")
}

count_postfix() {
	local d n=0
	for d in "$MAILDIR/new" "$MAILDIR/cur"; do
		[ -d "$d" ] && n=$((n + $(find "$d" -type f | wc -l)))
	done
	echo "$n"
}

for s in "${SERVERS[@]}"; do
	case $s in
	tresor | tresor-sealed) ;;
	postfix) start_postfix ;;
	*) fail "SMTP_SERVERS: unknown server $s (tresor, tresor-sealed, postfix)" ;;
	esac
done
# one Tresor server for both of its accounts
if has_server tresor || has_server tresor-sealed; then start_tresor; fi

record() { tee -a "$RESULTS"; }

{
	echo "INFO date=\"$(date)\""
	echo "INFO nproc=$(nproc) mem=\"$(free -h | awk '/^Mem:/ {print $2}')\"" \
		"cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"" \
		"kernel=$(uname -r)"
	echo "INFO tresor=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"tresor_dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)"
	echo "INFO smtp_postfix=\"$(postconf -dh mail_version)\" smtp_workers=$WORKERS" \
		"smtp_servers=\"$SMTP_SERVERS\"" \
		"smtp_messages=$SMTP_MESSAGES smtp_sessions=$SMTP_SESSIONS smtp_size=$SMTP_SIZE" \
		"smtp_warmup=$SMTP_WARMUP smtp_repeat=$SMTP_REPEAT" \
		"smtp_in_flow_delay=$POSTFIX_IN_FLOW_DELAY"
	if has_server tresor-sealed; then
		echo "INFO smtp_seal_key=$SEAL_KEY smtp_seal_target=$SEAL_TARGET"
	fi
} | record >/dev/null

now() { date +%s.%N; }

# CPU seconds of a process and its descendants, with reaped children (cutime and
# cstime), as bench/procstat.sh cpu-tree computes it, but in one process: Postfix
# runs some 60 processes, and a sed and an awk for each took seconds.
cpu_tree() { # pid
	/usr/bin/python3 - "$1" <<-'EOF'
	import os, sys
	root, parent, ticks = int(sys.argv[1]), {}, {}
	for d in os.listdir("/proc"):
	    if not d.isdigit():
	        continue
	    try:
	        with open(f"/proc/{d}/stat") as f:
	            fields = f.read().rsplit(")", 1)[1].split()
	    except OSError:
	        continue
	    # after the ")" of comm: [1] ppid, [11..14] utime stime cutime cstime
	    parent[int(d)] = int(fields[1])
	    ticks[int(d)] = sum(int(x) for x in fields[11:15])
	def under(p):
	    while p > 1 and p != root:
	        p = parent.get(p, 0)
	    return p == root
	total = sum(t for p, t in ticks.items() if under(p))
	print(f"{total / os.sysconf('SC_CLK_TCK'):.2f}")
	EOF
}

# Waits until the server's count of delivered messages reaches want; fails loudly
# when it does not within SMTP_TIMEOUT seconds, or goes past want.
wait_delivered() { # server want
	local n i
	for ((i = 0; i < SMTP_TIMEOUT * 10; i++)); do
		n=$("count_${1//-/_}")
		[ "$n" -ge "$2" ] && break
		sleep 0.1
	done
	[ "$n" -eq "$2" ] ||
		fail "$1: $n messages in the mailbox, $2 expected (see $TMP; KEEP=1 keeps it)"
}

# One smtp-source run: prints "seconds delivered_seconds server_cpu_seconds".
send() { # server mode messages
	local server=$1 mode=$2 port=$T_PORT pid=$TPID rcpt=$RCPT before t0 t1 t2 cpu0 cpu1 flags=()
	if [ "$server" = postfix ]; then port=$P_PORT; pid=$PF_PID; fi
	if [ "$server" = tresor-sealed ]; then rcpt=$SEALED_RCPT; fi
	if [ "$mode" = persistent ]; then flags=(-d); fi
	before=$("count_${server//-/_}")
	[ "$before" -ge 0 ] || fail "cannot count the messages in $server's mailbox"
	cpu0=$(cpu_tree "$pid")
	t0=$(now)
	timeout "$SMTP_TIMEOUT" "$SMTP_SOURCE" "${flags[@]}" -s "$SMTP_SESSIONS" \
		-l "$SMTP_SIZE" -m "$3" -M "$HELO" -f "$SENDER" -t "$rcpt" \
		"127.0.0.1:$port" 2>"$TMP/smtp-source.err" ||
		fail "smtp-source against $server ($mode) failed: $(tail -3 "$TMP/smtp-source.err")"
	t1=$(now)
	wait_delivered "$server" $((before + $3))
	t2=$(now)
	cpu1=$(cpu_tree "$pid")
	echo "$t0 $t1 $t2 $cpu0 $cpu1" |
		awk '{ printf "%.3f %.3f %.2f\n", $2 - $1, $3 - $1, $5 - $4 }'
}

declare -A RATES # "server mode" -> the msgs_per_s of its runs, space-separated
measure() { # server mode repeat
	local out secs dsecs cpu rate
	log "run $3/$SMTP_REPEAT: $2, $1"
	out=$(send "$1" "$2" "$SMTP_MESSAGES") || exit 1 # send said why
	read -r secs dsecs cpu <<< "$out"
	rate=$(awk -v m="$SMTP_MESSAGES" -v s="$secs" 'BEGIN { printf "%.1f", m / s }')
	RATES["$1 $2"]+=" $rate"
	echo "SMTP server=$1 mode=$2 repeat=$3 messages=$SMTP_MESSAGES sessions=$SMTP_SESSIONS" \
		"size=$SMTP_SIZE seconds=$secs delivered_seconds=$dsecs server_cpu_s=$cpu" \
		"delivered=$SMTP_MESSAGES msgs_per_s=$rate" |
		record >&2
}

# Over IMAP, as a client sees it: the last SEAL_CHECK_MAX messages of the sealed
# account are PGP/MIME (RFC 3156 4), without trace fields outside and without a line
# of a plain message's body (smtp-source sends the same body every time) in clear.
SEAL_CHECK_MAX=500
check_sealed() {
	local out
	log "checking what $SEALED_RCPT stores (IMAP)"
	out=$(/usr/bin/python3 - "$T_IMAP_PORT" "$PASSWORD" "$SEALED_RCPT" "$RCPT" \
		"$SEAL_CHECK_MAX" <<-'EOF'
	import email, imaplib, sys
	port, password, sealed, plain, most = sys.argv[1:6]
	port, most = int(port), int(most)

	def inbox(user, what):
	    """The INBOX's size and, when it has messages, what of them FETCH gives."""
	    c = imaplib.IMAP4("127.0.0.1", port)
	    c.login(user, password)
	    n = int(c.select("INBOX", readonly=True)[1][0])
	    data = c.fetch(what(n), "(BODY.PEEK[])")[1] if n else []
	    c.logout()
	    return n, [d[1] for d in data if isinstance(d, tuple)]

	n, msgs = inbox(sealed, lambda n: f"{max(1, n - most + 1)}:{n}")
	if n == 0 or len(msgs) != min(n, most):
	    sys.exit(f"bench/smtp: {sealed}: {n} messages, {len(msgs)} fetched")
	for i, raw in enumerate(msgs, n - len(msgs) + 1):
	    m = email.message_from_bytes(raw)
	    if (m.get_content_type() != "multipart/encrypted"
	            or m.get_param("protocol") != "application/pgp-encrypted"
	            or b"-----BEGIN PGP MESSAGE-----" not in raw
	            or "Received" in m or "Return-Path" in m):
	        sys.exit(f"bench/smtp: {sealed}: message {i} of {n} is not sealed "
	                 f"({m.get_content_type()})")
	# a line of a plain message's body (smtp-source's, the same in every message)
	plain_msgs = inbox(plain, str)[1]
	body = plain_msgs[0].split(b"\r\n\r\n", 1)[-1] if plain_msgs else b""
	line = max(body.split(b"\r\n"), key=len, default=b"")
	if len(line) >= 16 and any(line in raw for raw in msgs):
	    sys.exit(f"bench/smtp: {sealed}: a line of the plain body is readable")
	print(f"SEALCHECK account={sealed} messages={n} checked={len(msgs)} "
	      f"last_stored_bytes={len(msgs[-1])} body_line_checked={'yes' if len(line) >= 16 else 'no'}")
	EOF
	) || fail "the check of what $SEALED_RCPT stores failed (see above)"
	echo "$out" | record >&2
}

# Per mode, sealed against unsealed on the same server: per run and ratio of medians.
seal_ratios() {
	local mode
	for mode in per-message persistent; do
		/usr/bin/python3 - "$mode" "${RATES[tresor-sealed $mode]}" "${RATES[tresor $mode]}" \
			"$SEAL_TARGET" <<-'EOF'
		import statistics, sys
		mode, target = sys.argv[1], float(sys.argv[4])
		sealed, plain = ([float(v) for v in a.split()] for a in sys.argv[2:4])
		ms, mp = statistics.median(sealed), statistics.median(plain)
		ratio = ms / mp
		print(f"SMTPSEAL mode={mode} sealed_runs={','.join(f'{v:.1f}' for v in sealed)} "
		      f"sealed_msgs_per_s={ms:.1f} unsealed_runs={','.join(f'{v:.1f}' for v in plain)} "
		      f"unsealed_msgs_per_s={mp:.1f} "
		      f"ratios={','.join(f'{a / b:.2f}' for a, b in zip(sealed, plain))} "
		      f"ratio={ratio:.2f} target={target} verdict={'met' if ratio >= target else 'MISSED'}")
		EOF
	done | record >&2
}

if [ "$SMTP_WARMUP" -gt 0 ]; then
	for s in "${SERVERS[@]}"; do
		for mode in per-message persistent; do
			log "warm-up: $SMTP_WARMUP messages, $mode, $s"
			send "$s" "$mode" "$SMTP_WARMUP" >/dev/null
		done
	done
	if has_server tresor-sealed; then check_sealed; fi
fi

for ((r = 1; r <= SMTP_REPEAT; r++)); do
	# odd runs in the order of SMTP_SERVERS, even runs reversed
	order=()
	for s in "${SERVERS[@]}"; do
		if ((r % 2)); then order=("${order[@]}" "$s"); else order=("$s" "${order[@]}"); fi
	done
	for mode in per-message persistent; do
		for s in "${order[@]}"; do
			measure "$s" "$mode" "$r"
		done
	done
done

if has_server tresor-sealed; then
	[ "$SMTP_WARMUP" -gt 0 ] || check_sealed
	if has_server tresor; then seal_ratios; fi
fi

if [ "$SEAL_BENCH" != 0 ]; then
	# alone on the machine: the servers would only idle, but stop them
	if [ -n "$TPID" ]; then
		kill "$TPID"
		wait "$TPID" 2>/dev/null || true
		TPID=""
	fi
	if [ "$PF_STARTED" = 1 ]; then
		stop_postfix
		PF_STARTED=0
	fi
	log "seal-bench: crypto_seal() x $SEAL_N_SMALL on 10 KB, x $SEAL_N_LARGE on 1 MB"
	"$SEAL_BENCH_BIN" -s "$SEAL_N_SMALL" -l "$SEAL_N_LARGE" ${SMTP_SEAL_RSA:+-r "$SMTP_SEAL_RSA"} \
		> "$TMP/seal-bench.out" || fail "bench/seal-bench failed"
	record < "$TMP/seal-bench.out" >&2
fi

if [ "$STANDALONE" = 1 ]; then
	/usr/bin/python3 bench/summary.py "$RESULTS" | tee "$OUT/smtp-summary.md"
fi
