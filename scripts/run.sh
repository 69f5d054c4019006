#!/bin/sh
# `make run`: serve from this checkout with the data in ./var.
# On the first run it creates the domain "localhost" and the account
# demo@localhost with a generated password (kept in var/demo-password so
# that later runs can show it again), then prints how to connect.
set -eu
cd "$(dirname "$0")/.."
BIN=./build/tresor
CONF=""
[ -f tresor.conf ] && CONF="-c tresor.conf"

# Started as root, the server runs as the system user "tresor".
if [ "$(id -u)" -eq 0 ] && ! id tresor >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tresor
fi

mkdir -p var
if [ ! -f var/demo-password ]; then
	$BIN $CONF domain add localhost 2>/dev/null || true
	pw=$($BIN $CONF user add demo@localhost | sed -n 's/^password: //p')
	if [ -z "$pw" ]; then
		echo "run: could not create demo@localhost" >&2
		exit 1
	fi
	umask 077
	printf '%s\n' "$pw" > var/demo-password
fi
pw=$(cat var/demo-password)

cat <<INFO

Tresor is starting. Connect a mail client to:

  IMAP     127.0.0.1 port 10143 (STARTTLS)   or 10993 (TLS)
  SMTP     127.0.0.1 port 10587 (STARTTLS)   or 10465 (TLS), for sending
  MX       127.0.0.1 port 10025, where other servers deliver
  POP3     127.0.0.1 port 10110 (STLS)       or 10995 (TLS)
  user     demo@localhost
  password $pw

The certificate is self-signed (var/tls/cert.pem). Try:

  curl -k --user 'demo@localhost:$pw' imaps://127.0.0.1:10993/INBOX
  swaks --server 127.0.0.1:10025 --to demo@localhost

To seal the account (mail stored encrypted to its OpenPGP key; docs/sealing.md),
in another terminal:

  echo 'a passphrase' | $BIN $CONF key generate demo@localhost
  $BIN $CONF key export-secret demo@localhost > demo-secret.asc

Stop with Ctrl-C.

INFO
exec $BIN $CONF serve
