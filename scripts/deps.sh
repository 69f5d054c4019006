#!/bin/sh
# Installs the Debian 12 packages that building, testing and running Tresor need.
# Does nothing (and needs no network) when every package is already present.
# Usage: scripts/deps.sh            (as root, or with sudo available)
set -eu

PACKAGES="
build-essential pkg-config clang libclang-rt-14-dev
libevent-dev libssl-dev libsqlite3-dev libsodium-dev
libcmocka-dev
python3 python3-pytest libpython3.11-testsuite
curl isync swaks fetchmail getmail6 openssl ca-certificates
librnp-dev gnupg sq
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
