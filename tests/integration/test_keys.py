"""
Sealing keys on the command line: `tresor key generate|import|list|export|
export-secret|del`, `tresor user show` and `tresor user set ADDRESS
protect_subject on|off` (issue 5).

Keys made by the server are checked with gpg 2.2 (the exported public key
imports with the same fingerprint, an EdDSA sign/certify primary and an ECDH
encryption subkey; the exported secret key unlocks with the passphrase and
not with another). Keys made elsewhere come from sq 0.27 and gpg 2.2, armored
and binary. Every refusal named by the issue is provoked with a real key:
secret key, sign-only key, expired key (made with gpg --faked-system-time),
revoked key (gpg's own revocation certificate), revoked or expired
encryption subkey, garbage, an empty file, several keys, the same key twice.

Every gpg runs with --batch in its own GNUPGHOME under tmp_path (mode 700),
with a gpg-agent that caches no passphrase (so a wrong passphrase after a
right one still fails); the agents are stopped at teardown.
"""

import datetime
import os
import re
import subprocess
import time

import pytest

from conftest import DOMAIN, unique

PASSPHRASE = "correct horse battery staple"
LIST_LINE = re.compile(
    r"^(?P<fpr>[0-9A-F]{40}) (?P<algo>\S+) (?P<bits>\d+) created=(?P<created>\d{4}-\d\d-\d\d)"
    r" state=(?P<state>usable|expired|revoked|unusable) secret=(?P<secret>yes|no)"
    r" uid=(?P<uid>.*)$"
)
# gpg --with-colons public key algorithm numbers (RFC 4880 9.1, RFC 6637).
ALGO_RSA, ALGO_ECDH, ALGO_EDDSA = "1", "18", "22"
# Slack for the tresor binary (built with sanitizers) to import a key that expires soon.
SHORT_EXPIRY_S = 8


# --- gpg and sq ---


class Gpg:
    """gpg in its own home directory; every call is --batch, loopback pinentry."""

    def __init__(self, home):
        self.home = home
        home.mkdir(mode=0o700)
        os.chmod(home, 0o700)
        # No passphrase cache: each unlock asks again (RFC 4880 5.5.3 protection is checked).
        (home / "gpg-agent.conf").write_text("default-cache-ttl 0\nmax-cache-ttl 0\n")
        self.env = dict(os.environ, GNUPGHOME=str(home))

    def run(self, *args, input=None, passphrase="", check=True):
        p = subprocess.run(
            ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase",
             passphrase] + list(args),
            input=input,
            capture_output=True,
            timeout=60,
            env=self.env,
        )
        if check:
            assert p.returncode == 0, "gpg %s -> %d\n%s" % (
                " ".join(args), p.returncode, p.stderr.decode(errors="replace"))
        return p

    def stop(self):
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=self.env, capture_output=True,
                       timeout=30)

    def new_key(self, uid, usage="cert,sign", expire="never", subkey="cv25519",
                sub_expire=None, faked=None):
        """Makes a key without passphrase: ed25519 primary with `usage`, plus an
        encryption subkey unless subkey is None. Returns the primary fingerprint."""
        fake = ["--faked-system-time", faked] if faked else []
        self.run(*fake, "--quick-gen-key", uid, "ed25519", usage, expire)
        fpr = self.fingerprints()[-1]
        if subkey:
            self.run(*fake, "--quick-add-key", fpr, subkey, "encr", sub_expire or expire)
        return fpr

    def fingerprints(self, secret=False):
        return [k["fpr"] for k in self.keys(secret)]

    def keys(self, secret=False):
        """The keyring as [{fpr, validity, bits, algo, created, expires, caps, uids, subs}]."""
        out = self.run("--with-colons", "--fixed-list-mode",
                       "--list-secret-keys" if secret else "--list-keys", check=False)
        keys = []
        last = None
        for line in out.stdout.decode().splitlines():
            f = line.split(":")
            if f[0] in ("pub", "sec", "sub", "ssb"):
                last = dict(validity=f[1], bits=f[2], algo=f[3], created=f[5], expires=f[6],
                            caps=f[11], uids=[], subs=[], fpr=None)
                if f[0] in ("pub", "sec"):
                    keys.append(last)
                else:
                    keys[-1]["subs"].append(last)
            elif f[0] == "fpr" and last is not None and last["fpr"] is None:
                last["fpr"] = f[9]
            elif f[0] == "uid":
                keys[-1]["uids"].append(f[9])
        return keys

    def export(self, *fprs, armor=True):
        return self.run(*(["--armor"] if armor else []), "--export", *fprs).stdout

    def import_data(self, data, passphrase=""):
        return self.run("--import", input=data, passphrase=passphrase, check=False)

    def revoke(self, fpr):
        """Imports gpg's own revocation certificate for fpr (made at key generation)."""
        rev = (self.home / "openpgp-revocs.d" / (fpr + ".rev")).read_text()
        # gpg puts a colon before the armor line so that it is not imported by accident.
        self.run("--import", input=rev.replace(":-----BEGIN", "-----BEGIN").encode())

    def revoke_subkey(self, fpr):
        """Revokes the first subkey of fpr through --edit-key's scripted prompts."""
        self.run("--command-fd", "0", "--edit-key", fpr,
                 input=b"key 1\nrevkey\ny\n0\n\ny\nsave\n")


@pytest.fixture
def gpg(tmp_path):
    """gpg(name) -> a Gpg with its own GNUPGHOME under tmp_path."""
    made = []

    def make(name="gnupg"):
        g = Gpg(tmp_path / ("%s%d" % (name, len(made))))
        made.append(g)
        return g

    yield make
    for g in made:
        g.stop()


def sq(*args):
    p = subprocess.run(["sq"] + list(args), capture_output=True, timeout=60)
    assert p.returncode == 0, "sq %s: %s" % (" ".join(args), p.stderr.decode(errors="replace"))
    return p.stdout


def sq_key(tmp_path, uid):
    """An sq-made secret key file (unprotected) and its fingerprint."""
    path = tmp_path / ("sq-%s.pgp" % unique("k"))
    sq("key", "generate", "--userid", uid, "--export", str(path))
    found = re.search(rb"Fingerprint: ([0-9A-F]{40})", sq("inspect", str(path)))
    assert found
    return path, found.group(1).decode()


# --- tresor ---


def new_account(srv):
    address = "%s@%s" % (unique("keys"), DOMAIN)
    srv.add_user(address, "pw-" + address)
    return address


def key_list(srv, address):
    """`tresor key list` parsed, one dict per line (every line must match the format)."""
    p = srv.cli("key", "list", address)
    lines = p.stdout.splitlines()
    parsed = [LIST_LINE.match(line) for line in lines]
    assert all(parsed), p.stdout
    return [m.groupdict() for m in parsed]


def user_show(srv, address):
    """`tresor user show` as {field: value}."""
    p = srv.cli("user", "show", address)
    fields = {}
    for line in p.stdout.splitlines():
        name, sep, value = line.partition(": ")
        assert sep, p.stdout
        fields[name] = value
    return fields


def generate(srv, address, *opts, passphrase=PASSPHRASE):
    p = srv.cli("key", "generate", address, *opts, input=passphrase + "\n")
    found = re.fullmatch(r"fingerprint: ([0-9A-F]{40})\n", p.stdout)
    assert found, p.stdout
    assert p.stderr == "", p.stderr
    return found.group(1)


def write(tmp_path, data):
    path = tmp_path / unique("keyfile")
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def import_file(srv, address, path, expect=0):
    return srv.cli("key", "import", address, str(path), expect=expect)


def imported_fpr(p):
    found = re.fullmatch(r"imported: ([0-9A-F]{40})\n", p.stdout)
    assert found, p.stdout
    assert p.stderr == "", p.stderr
    return found.group(1)


def assert_refused(p, text):
    """Exit 1 and exactly one stderr line, `tresor: ...`, that contains text."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("tresor: "), p.stderr
    assert text in lines[0].lower(), p.stderr


def assert_unsealed(srv, address):
    assert key_list(srv, address) == []
    assert user_show(srv, address)["sealed"] == "no"


def today_utc_or_local():
    now = time.time()
    return {
        datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d"),
        datetime.datetime.fromtimestamp(now).strftime("%Y-%m-%d"),
    }


def block(text, kind):
    """The single armored block of kind ("PUBLIC KEY", "PRIVATE KEY") text consists of."""
    begin, end = "-----BEGIN PGP %s BLOCK-----" % kind, "-----END PGP %s BLOCK-----" % kind
    assert text.startswith(begin), text[:200]
    assert text.rstrip("\n").endswith(end), text[-200:]
    return text


# --- generate ---


def test_generate_default_key_is_ed25519_with_x25519_subkey(server, gpg):
    address = new_account(server)
    fpr = generate(server, address)

    [k] = key_list(server, address)
    assert k["fpr"] == fpr
    assert k["algo"].upper() in ("EDDSA", "ED25519"), k
    assert k["bits"] in ("255", "256"), k
    assert k["created"] in today_utc_or_local(), k
    assert k["state"] == "usable" and k["secret"] == "yes", k
    assert address in k["uid"], k

    exported = block(server.cli("key", "export", address).stdout, "PUBLIC KEY")
    g = gpg()
    assert g.import_data(exported.encode()).returncode == 0
    [pub] = g.keys()
    assert pub["fpr"] == fpr
    assert pub["algo"] == ALGO_EDDSA, pub
    assert "s" in pub["caps"] and "c" in pub["caps"] and "e" not in pub["caps"], pub
    assert pub["validity"] not in ("e", "r", "i"), pub
    assert any(address in uid for uid in pub["uids"]), pub
    [sub] = pub["subs"]
    assert sub["algo"] == ALGO_ECDH and sub["caps"] == "e", sub
    assert sub["validity"] not in ("e", "r", "i"), sub
    # Public only: nothing secret went along.
    assert g.keys(secret=True) == []


def test_generate_rsa_2048(server, gpg):
    address = new_account(server)
    fpr = generate(server, address, "--rsa", "2048")

    [k] = key_list(server, address)
    assert k["fpr"] == fpr
    assert k["algo"].upper() == "RSA" and k["bits"] == "2048", k
    assert k["state"] == "usable" and k["secret"] == "yes", k

    g = gpg()
    assert g.import_data(server.cli("key", "export", address).stdout.encode()).returncode == 0
    [pub] = g.keys()
    assert pub["fpr"] == fpr
    assert (pub["algo"], pub["bits"]) == (ALGO_RSA, "2048"), pub
    assert "s" in pub["caps"] and "c" in pub["caps"] and "e" not in pub["caps"], pub
    [sub] = pub["subs"]
    assert (sub["algo"], sub["bits"], sub["caps"]) == (ALGO_RSA, "2048", "e"), sub


@pytest.mark.parametrize("bits", ["1024", "2047", "4097", "8192", "abc", "-2048"])
def test_generate_refuses_rsa_size_out_of_range(server, bits):
    address = new_account(server)
    p = server.cli("key", "generate", address, "--rsa", bits, input=PASSPHRASE + "\n",
                   expect=None)
    assert p.returncode in (1, 2), (p.returncode, p.stderr)
    assert p.stderr.startswith("tresor: ") or p.stderr.startswith("usage: "), p.stderr
    assert_unsealed(server, address)


def test_exported_secret_key_unlocks_with_the_passphrase_only(server, gpg, tmp_path):
    address = new_account(server)
    fpr = generate(server, address)
    secret = block(server.cli("key", "export-secret", address).stdout, "PRIVATE KEY")

    # Every secret (sub)key packet is protected: iterated and salted S2K, AES-256.
    g = gpg()
    listing = g.run("--list-packets", input=secret.encode()).stdout.decode()
    assert listing.count(":secret key packet:") == 1, listing
    assert listing.count(":secret sub key packet:") == 1, listing
    s2k = re.findall(r"iter\+salt S2K, algo: (\d+)", listing)
    assert s2k == ["9", "9"], listing
    assert "[v4 protected]" in listing and "skey[" in listing, listing

    p = g.import_data(secret.encode(), passphrase=PASSPHRASE)
    assert p.returncode == 0, p.stderr
    assert g.fingerprints(secret=True) == [fpr]

    data = tmp_path / "to-sign.txt"
    data.write_text("signed by the key tresor made\n")
    bad = g.run("--local-user", fpr, "--detach-sign", "--output", str(tmp_path / "bad.sig"),
                str(data), passphrase="not the passphrase", check=False)
    assert bad.returncode != 0, bad.stderr
    assert b"Bad passphrase" in bad.stderr, bad.stderr

    sig = tmp_path / "good.sig"
    g.run("--local-user", fpr, "--detach-sign", "--output", str(sig), str(data),
          passphrase=PASSPHRASE)
    verified = g.run("--status-fd", "1", "--verify", str(sig), str(data))
    assert re.search(rb"^\[GNUPG:\] VALIDSIG \S+ .* " + fpr.encode() + rb"$", verified.stdout,
                     re.M), verified.stdout

    # The encryption subkey matches: what is encrypted to the public key decrypts.
    enc = g.run("--trust-model", "always", "--armor", "--encrypt", "--recipient", fpr,
                input=b"sealed payload\r\n").stdout
    assert g.run("--decrypt", input=enc, passphrase="wrong", check=False).returncode != 0
    assert g.run("--decrypt", input=enc, passphrase=PASSPHRASE).stdout == b"sealed payload\r\n"


def test_generated_rsa_secret_key_unlocks_with_the_passphrase(server, gpg):
    address = new_account(server)
    fpr = generate(server, address, "--rsa", "2048", passphrase="rsa pass")
    secret = block(server.cli("key", "export-secret", address, fpr).stdout, "PRIVATE KEY")
    g = gpg()
    assert g.import_data(secret.encode(), passphrase="rsa pass").returncode == 0
    enc = g.run("--trust-model", "always", "--encrypt", "--recipient", fpr,
                input=b"x").stdout
    assert g.run("--decrypt", input=enc, passphrase="rsa passX", check=False).returncode != 0
    assert g.run("--decrypt", input=enc, passphrase="rsa pass").stdout == b"x"


def test_passphrase_is_not_stored(server):
    address = new_account(server)
    passphrase = "canary-" + unique("pp") + "-phrase"
    generate(server, address, passphrase=passphrase)
    hits = []
    for root, _, files in os.walk(server.data_dir):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if passphrase.encode() in f.read():
                        hits.append(path)
            except OSError:
                pass
    assert hits == []


@pytest.mark.parametrize("stdin", ["", "\n"], ids=["eof", "empty-line"])
def test_generate_refuses_an_empty_passphrase(server, stdin):
    address = new_account(server)
    p = server.cli("key", "generate", address, input=stdin, expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr
    assert p.stdout == ""
    assert_unsealed(server, address)


def test_generate_passphrase_length_limit(server):
    address = new_account(server)
    p = server.cli("key", "generate", address, input="p" * 1025 + "\n", expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr
    assert_unsealed(server, address)
    generate(server, address, passphrase="p" * 1024)
    assert len(key_list(server, address)) == 1


def test_generate_twice_keeps_both_keys(server):
    address = new_account(server)
    a = generate(server, address)
    b = generate(server, address)
    assert a != b
    assert sorted(k["fpr"] for k in key_list(server, address)) == sorted([a, b])
    assert user_show(server, address)["sealed"].startswith("yes (2 key")


# --- import ---


@pytest.mark.parametrize("armor", [True, False], ids=["armored", "binary"])
def test_import_sq_key(server, gpg, tmp_path, armor):
    address = new_account(server)
    secret_path, fpr = sq_key(tmp_path, "<x@example.test>")
    cert = sq("key", "extract-cert", *([] if armor else ["--binary"]), str(secret_path))
    assert cert.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") == armor

    p = import_file(server, address, write(tmp_path, cert))
    assert imported_fpr(p) == fpr
    [k] = key_list(server, address)
    assert k["fpr"] == fpr and k["state"] == "usable" and k["secret"] == "no", k
    assert k["uid"] == "<x@example.test>", k
    assert k["algo"].upper() in ("EDDSA", "ED25519"), k

    # What comes back out is the same certificate, with its encryption subkey.
    g = gpg()
    assert g.import_data(server.cli("key", "export", address, fpr).stdout.encode()).returncode == 0
    [pub] = g.keys()
    assert pub["fpr"] == fpr
    assert any(s["caps"] == "e" and s["algo"] == ALGO_ECDH for s in pub["subs"]), pub

    assert_refused(server.cli("key", "export-secret", address, expect=None), "no secret key")
    assert_refused(server.cli("key", "export-secret", address, fpr, expect=None), "no secret key")


@pytest.mark.parametrize("armor", [True, False], ids=["armored", "binary"])
def test_import_gpg_key(server, gpg, tmp_path, armor):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("Gpg User <%s>" % address)
    data = g.export(fpr, armor=armor)

    p = import_file(server, address, write(tmp_path, data))
    assert imported_fpr(p) == fpr
    [k] = key_list(server, address)
    assert k["fpr"] == fpr and k["state"] == "usable" and k["secret"] == "no", k
    assert k["uid"] == "Gpg User <%s>" % address, k
    assert user_show(server, address)["sealed"].startswith("yes (1 key")


def test_import_gpg_future_default_key(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    g.run("--quick-gen-key", "<%s>" % address, "future-default", "default", "never")
    [fpr] = g.fingerprints()
    assert imported_fpr(import_file(server, address, write(tmp_path, g.export(fpr)))) == fpr


def test_import_from_stdin(server, gpg):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    p = server.cli("key", "import", address, "-", input=g.export(fpr).decode())
    assert imported_fpr(p) == fpr
    assert [k["fpr"] for k in key_list(server, address)] == [fpr]


def test_import_key_with_expired_and_valid_encryption_subkeys(server, gpg, tmp_path):
    """One usable encryption subkey is enough, even beside an expired one."""
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address, faked="20200101T000000", subkey="cv25519",
                    sub_expire="2020-06-01")
    g.run("--quick-add-key", fpr, "cv25519", "encr", "never")
    p = import_file(server, address, write(tmp_path, g.export(fpr)))
    assert imported_fpr(p) == fpr
    [k] = key_list(server, address)
    assert k["state"] == "usable", k
    assert k["created"] == "2020-01-01", k


def test_imported_key_that_expires_later_is_listed_as_expired(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    expire = "seconds=%d" % SHORT_EXPIRY_S
    fpr = g.new_key("<%s>" % address, expire=expire)
    [pub] = g.keys()
    expires = max(int(pub["expires"]), int(pub["subs"][0]["expires"]))
    import_file(server, address, write(tmp_path, g.export(fpr)))
    assert time.time() < expires, "tresor key import took too long to test expiry"
    [k] = key_list(server, address)
    assert k["state"] == "usable", k

    time.sleep(max(0.0, expires - time.time()) + 1.5)
    [k] = key_list(server, address)
    assert k["fpr"] == fpr and k["state"] == "expired", k
    # An account stays sealed while it has a key, usable or not; show says none is usable.
    shown = user_show(server, address)
    assert shown["sealed"].startswith("yes (1 key")
    assert shown["usable keys"].startswith("0 "), shown


# --- import refusals ---


def test_import_refuses_sq_secret_key(server, tmp_path):
    address = new_account(server)
    path, _ = sq_key(tmp_path, "<x@example.test>")
    assert path.read_bytes().startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----")
    assert_refused(import_file(server, address, path, expect=None), "secret key")
    assert_unsealed(server, address)


@pytest.mark.parametrize("armor", [True, False], ids=["armored", "binary"])
def test_import_refuses_gpg_secret_key(server, gpg, tmp_path, armor):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    data = g.run(*(["--armor"] if armor else []), "--export-secret-keys", fpr).stdout
    assert_refused(import_file(server, address, write(tmp_path, data), expect=None),
                   "secret key")
    assert_unsealed(server, address)


def test_import_refuses_sign_only_key(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address, subkey=None)
    [pub] = g.keys()
    assert pub["subs"] == [] and "e" not in pub["caps"], pub
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr)), expect=None),
                   "no usable encryption key")
    assert_unsealed(server, address)


def test_import_refuses_expired_key(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address, expire="2020-06-01", faked="20200101T000000")
    [pub] = g.keys()
    assert pub["validity"] == "e" and pub["subs"][0]["validity"] == "e", pub
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr)), expect=None),
                   "no usable encryption key")
    assert_unsealed(server, address)


def test_import_refuses_key_whose_only_encryption_subkey_expired(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address, faked="20200101T000000", sub_expire="2020-06-01")
    [pub] = g.keys()
    assert pub["validity"] != "e" and pub["subs"][0]["validity"] == "e", pub
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr)), expect=None),
                   "no usable encryption key")
    assert_unsealed(server, address)


def test_import_refuses_revoked_key(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    g.revoke(fpr)
    [pub] = g.keys()
    assert pub["validity"] == "r", pub
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr)), expect=None),
                   "no usable encryption key")
    assert_unsealed(server, address)


def test_import_refuses_key_whose_encryption_subkey_is_revoked(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    g.revoke_subkey(fpr)
    [pub] = g.keys()
    assert pub["validity"] != "r" and pub["subs"][0]["validity"] == "r", pub
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr)), expect=None),
                   "no usable encryption key")
    assert_unsealed(server, address)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a key\n",
        bytes(range(256)) * 4,
        b"\x99\x00",
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 !!!\n"
        b"-----END PGP PUBLIC KEY BLOCK-----\n",
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n",
    ],
    ids=["empty", "text", "bytes", "truncated-packet", "bad-armor", "empty-armor"],
)
def test_import_refuses_what_is_not_a_key(server, tmp_path, data):
    address = new_account(server)
    assert_refused(import_file(server, address, write(tmp_path, data), expect=None),
                   "not an openpgp key")
    assert_unsealed(server, address)


def test_import_refuses_truncated_key(server, gpg, tmp_path):
    """A key cut in the middle of a packet is not key data to trust."""
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    data = g.export(fpr, armor=False)
    p = import_file(server, address, write(tmp_path, data[: len(data) // 2]), expect=None)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.startswith("tresor: "), p.stderr
    assert_unsealed(server, address)


def test_import_refuses_a_signature_only(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    data = tmp_path / "d.txt"
    data.write_text("x\n")
    fpr = g.new_key("<%s>" % address)
    sig = g.run("--local-user", fpr, "--detach-sign", "--output", "-", str(data)).stdout
    assert_refused(import_file(server, address, write(tmp_path, sig), expect=None),
                   "not an openpgp key")
    assert_unsealed(server, address)


@pytest.mark.parametrize("form", ["two-armored-blocks", "one-armored-block", "binary"])
def test_import_refuses_several_keys(server, gpg, tmp_path, form):
    address = new_account(server)
    g = gpg()
    a = g.new_key("<a-%s>" % address)
    b = g.new_key("<b-%s>" % address)
    if form == "two-armored-blocks":
        data = g.export(a) + g.export(b)
    elif form == "one-armored-block":
        data = g.export(a, b)
    else:
        data = g.export(a, b, armor=False)
    assert_refused(import_file(server, address, write(tmp_path, data), expect=None),
                   "several keys")
    assert_unsealed(server, address)


def test_import_refuses_the_same_key_twice(server, gpg, tmp_path):
    address = new_account(server)
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    path = write(tmp_path, g.export(fpr))
    assert imported_fpr(import_file(server, address, path)) == fpr
    assert_refused(import_file(server, address, path, expect=None), "already exists")
    # Binary form of the same key: same fingerprint, same refusal.
    assert_refused(import_file(server, address, write(tmp_path, g.export(fpr, armor=False)),
                               expect=None), "already exists")
    assert [k["fpr"] for k in key_list(server, address)] == [fpr]


def test_import_refuses_the_public_half_of_a_generated_key(server, tmp_path):
    address = new_account(server)
    fpr = generate(server, address)
    exported = server.cli("key", "export", address).stdout
    assert_refused(import_file(server, address, write(tmp_path, exported), expect=None),
                   "already exists")
    [k] = key_list(server, address)
    # The refused import did not replace the stored key pair by its public half.
    assert k["fpr"] == fpr and k["secret"] == "yes", k
    block(server.cli("key", "export-secret", address).stdout, "PRIVATE KEY")


def test_import_missing_file(server, tmp_path):
    address = new_account(server)
    p = server.cli("key", "import", address, str(tmp_path / "absent.asc"), expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr
    assert_unsealed(server, address)


# --- list, export, del with several keys ---


@pytest.fixture
def two_keys(server, gpg):
    """An account with one imported (gpg) and one generated key: (address, imported, generated)."""
    address = new_account(server)
    g = gpg()
    imported = g.new_key("<%s>" % address)
    p = server.cli("key", "import", address, "-", input=g.export(imported).decode())
    assert imported_fpr(p) == imported
    generated = generate(server, address)
    return address, imported, generated


def test_list_shows_every_key(server, two_keys):
    address, imported, generated = two_keys
    keys = {k["fpr"]: k for k in key_list(server, address)}
    assert set(keys) == {imported, generated}
    assert keys[imported]["secret"] == "no" and keys[generated]["secret"] == "yes"
    assert all(k["state"] == "usable" for k in keys.values())
    assert user_show(server, address)["sealed"].startswith("yes (2 key")


def test_list_of_account_without_keys_is_empty(server):
    address = new_account(server)
    p = server.cli("key", "list", address)
    assert p.stdout == "" and p.stderr == ""


def test_export_all_and_one(server, gpg, two_keys):
    address, imported, generated = two_keys
    g = gpg()
    assert g.import_data(server.cli("key", "export", address).stdout.encode()).returncode == 0
    assert sorted(g.fingerprints()) == sorted([imported, generated])

    for fpr in (imported, generated):
        one = block(server.cli("key", "export", address, fpr).stdout, "PUBLIC KEY")
        h = gpg()
        assert h.import_data(one.encode()).returncode == 0
        assert h.fingerprints() == [fpr]
        assert h.keys(secret=True) == []


def test_export_secret_without_fpr_gives_the_generated_key(server, gpg, two_keys):
    address, imported, generated = two_keys
    secret = block(server.cli("key", "export-secret", address).stdout, "PRIVATE KEY")
    g = gpg()
    assert g.import_data(secret.encode(), passphrase=PASSPHRASE).returncode == 0
    assert g.fingerprints(secret=True) == [generated]
    assert_refused(server.cli("key", "export-secret", address, imported, expect=None),
                   "no secret key")


def test_export_unknown_fpr_fails(server, two_keys):
    address, _, _ = two_keys
    unknown = "0123456789ABCDEF0123456789ABCDEF01234567"
    for cmd in ("export", "export-secret"):
        p = server.cli("key", cmd, address, unknown, expect=1)
        assert p.stderr.startswith("tresor: ") and p.stdout == "", (cmd, p.stderr)


def test_del_one_then_all(server, two_keys):
    address, imported, generated = two_keys
    server.cli("key", "del", address, imported)
    assert [k["fpr"] for k in key_list(server, address)] == [generated]
    assert user_show(server, address)["sealed"].startswith("yes (1 key")
    p = server.cli("key", "export", address, imported, expect=1)
    assert p.stdout == ""

    server.cli("key", "del", address)
    assert_unsealed(server, address)
    p = server.cli("key", "export-secret", address, expect=1)
    assert p.stdout == ""


def test_del_all_removes_every_key(server, two_keys):
    address, _, _ = two_keys
    server.cli("key", "del", address)
    assert_unsealed(server, address)


def test_del_unknown_fpr_fails_and_keeps_the_keys(server, two_keys):
    address, imported, generated = two_keys
    p = server.cli("key", "del", address, "0123456789ABCDEF0123456789ABCDEF01234567", expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr
    # A key of another account is unknown here too.
    other = new_account(server)
    other_fpr = generate(server, other)
    p = server.cli("key", "del", address, other_fpr, expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr
    assert sorted(k["fpr"] for k in key_list(server, address)) == sorted([imported, generated])
    assert [k["fpr"] for k in key_list(server, other)] == [other_fpr]


def test_keys_are_per_account(server, gpg, tmp_path):
    a, b = new_account(server), new_account(server)
    fpr = generate(server, a)
    assert_unsealed(server, b)
    p = server.cli("key", "export", b, fpr, expect=1)
    assert p.stdout == ""
    # The same public key may seal another account too.
    g = gpg()
    shared = g.new_key("<shared@example.test>")
    path = write(tmp_path, g.export(shared))
    assert imported_fpr(import_file(server, a, path)) == shared
    assert imported_fpr(import_file(server, b, path)) == shared
    server.cli("key", "del", a, shared)
    assert [k["fpr"] for k in key_list(server, b)] == [shared]


def test_deleting_the_account_removes_its_keys(server):
    address = new_account(server)
    generate(server, address)
    server.cli("user", "del", address)
    server.add_user(address, "pw-again")
    assert_unsealed(server, address)


# --- user show / user set ---


def test_user_show_follows_the_keys(server, gpg):
    address = new_account(server)
    shown = user_show(server, address)
    assert shown["address"] == address
    assert shown["sealed"] == "no"
    assert shown["protect_subject"] == "off"
    assert shown["mailboxes"] == "6"

    fpr = generate(server, address)
    assert re.fullmatch(r"yes \(1 keys?\)", user_show(server, address)["sealed"])
    assert user_show(server, address)["usable keys"] == "1"
    g = gpg()
    other = g.new_key("<%s>" % address)
    server.cli("key", "import", address, "-", input=g.export(other).decode())
    assert re.fullmatch(r"yes \(2 keys?\)", user_show(server, address)["sealed"])
    server.cli("key", "del", address, fpr)
    assert re.fullmatch(r"yes \(1 keys?\)", user_show(server, address)["sealed"])
    p = server.cli("key", "del", address, other)
    assert "no keys left" in p.stdout and "unsealed" in p.stdout, p.stdout
    assert user_show(server, address)["sealed"] == "no"
    assert "usable keys" not in user_show(server, address)


def test_user_show_field_order(server):
    address = new_account(server)
    p = server.cli("user", "show", address)
    names = [line.split(":", 1)[0] for line in p.stdout.splitlines()]
    assert names == ["address", "sealed", "protect_subject", "mailboxes"], p.stdout
    generate(server, address)
    p = server.cli("user", "show", address)
    names = [line.split(":", 1)[0] for line in p.stdout.splitlines()]
    assert names == ["address", "sealed", "usable keys", "protect_subject", "mailboxes"], p.stdout


def test_user_set_protect_subject(server):
    address = new_account(server)
    other = new_account(server)
    server.cli("user", "set", address, "protect_subject", "on")
    assert user_show(server, address)["protect_subject"] == "on"
    assert user_show(server, other)["protect_subject"] == "off"
    server.cli("user", "set", address, "protect_subject", "on")
    assert user_show(server, address)["protect_subject"] == "on"
    server.cli("user", "set", address, "protect_subject", "off")
    assert user_show(server, address)["protect_subject"] == "off"


@pytest.mark.parametrize(
    "args",
    [
        ["protect_subject", "maybe"],
        ["protect_subject", ""],
        ["protect_subject", "ON "],
        ["protect_subject"],
        ["no_such_setting", "on"],
    ],
)
def test_user_set_refuses_bad_input(server, args):
    address = new_account(server)
    server.cli("user", "set", address, "protect_subject", "on")
    p = server.cli("user", "set", address, *args, expect=None)
    assert p.returncode in (1, 2), (p.returncode, p.stderr)
    assert p.stderr.startswith("tresor: ") or p.stderr.startswith("usage: "), p.stderr
    assert user_show(server, address)["protect_subject"] == "on"


@pytest.mark.parametrize("address", ["nobody@example.test", "x@unknown.test"])
def test_user_show_and_set_on_unknown_account_fail(server, address):
    p = server.cli("user", "show", address, expect=1)
    assert p.stderr.startswith("tresor: ") and p.stdout == "", p.stderr
    p = server.cli("user", "set", address, "protect_subject", "on", expect=1)
    assert p.stderr.startswith("tresor: "), p.stderr


# --- unknown accounts ---


@pytest.mark.parametrize("address", ["nobody@example.test", "x@unknown.test"])
def test_key_commands_on_unknown_account_fail(server, gpg, tmp_path, address):
    g = gpg()
    fpr = g.new_key("<%s>" % address)
    path = write(tmp_path, g.export(fpr))
    commands = [
        (["key", "generate", address], PASSPHRASE + "\n"),
        (["key", "import", address, str(path)], None),
        (["key", "list", address], None),
        (["key", "export", address], None),
        (["key", "export", address, fpr], None),
        (["key", "export-secret", address], None),
        (["key", "del", address], None),
        (["key", "del", address, fpr], None),
    ]
    for args, stdin in commands:
        p = server.cli(*args, input=stdin, expect=1)
        assert p.stderr.startswith("tresor: "), (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)
    # Nothing was kept for the address: an account made now has no key.
    if address.endswith("@" + DOMAIN):
        server.add_user(address, "pw")
        try:
            assert_unsealed(server, address)
        finally:
            server.cli("user", "del", address)


def test_key_usage_errors(server):
    address = new_account(server)
    for args in (["key"], ["key", "list"], ["key", "frobnicate", address],
                 ["key", "import", address], ["user", "show"]):
        p = server.cli(*args, expect=None)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
