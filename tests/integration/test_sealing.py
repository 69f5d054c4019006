"""
Zero-access sealing (issue 5, DESIGN.md "Zero-access sealing"): every message
that reaches an account with an OpenPGP key is stored only as RFC 3156
PGP/MIME, and two OpenPGP implementations (gpg 2.2 and sq 0.27) decrypt the
stored form back to the exact bytes received.

What is proved here, against the real binary over real sockets:
- the round trip over SMTP MX, submission and IMAP APPEND (INBOX and Sent),
  fetched over IMAP (BODY.PEEK[] and RFC822) and POP3 RETR, decrypted with
  gpg (a key made by `tresor key generate`, secret exported) and with sq (a
  key made by sq, its certificate imported); the outer header fields are
  only the listed ones (RFC 3156 4 form, nothing else readable);
- a message that arrives already PGP/MIME-encrypted is wrapped all the same;
- protect_subject: outer Subject "...", protected-headers="v1" added to the
  payload's top-level Content-Type as the one change;
- rotation (two keys, each decrypts), mixed and several sealed recipients in
  one SMTP transaction;
- a key that has expired by delivery time: 451 4.7.1 for DATA and BDAT LAST
  and submission, NO for APPEND, nothing stored, a log line naming the account;
- SEARCH, ENVELOPE and BODYSTRUCTURE work from the outer headers only;
- the canary: tokens in the body, a base64 attachment (content and file
  name), a quoted-printable part and a non-listed header, sent over every
  path including ~5 MB messages, are found nowhere on disk (data directory,
  log, new entries of the temporary directories, files the server holds
  open mid-transfer), raw or base64/QP-decoded, while the server runs and
  after it stopped; the same messages to an unsealed account on the same
  server are found, every token of them (so the search can fail).

RFCs: RFC 3156 4 (multipart/encrypted, application/pgp-encrypted
"Version: 1", application/octet-stream), RFC 4880 6.2 (armor), RFC 5321
4.2.5 / RFC 3463 (451 4.7.1), RFC 9051 6.3.12 (APPEND NO), RFC 1939 (RETR,
byte-stuffing undone by poplib).

Every GnuPG home is private to the test (tmp_path, mode 700); the user's own
keyring is never touched. Limits: the expiring-key test sleeps ~5 s (a key
cannot be imported once expired, so it must expire after import).
"""

import base64
import binascii
import email
import email.policy
import os
import re
import secrets
import smtplib
import sqlite3
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (
    ALICE,
    BOB,
    RawImap,
    RawSmtp,
    inbox_messages,
    login,
    message,
    new_server,
    pop3_plain,
    smtp_mx,
    smtp_submission,
    strip_trace,
    unique,
)
from imap_response import ByteImap, envelope_dict

PASS_ALICE = "correct horse battery staple"
PASS_BOB = "bob's own passphrase"
# RFC 3156 4 wrapper fields plus what listing and threading need (issue 5).
OUTER_ALLOWED = {
    "from",
    "to",
    "cc",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "subject",
    "mime-version",
    "content-type",
}
PROTECTED = b';\r\n protected-headers="v1"'
CMD_TIMEOUT = 60
# Seconds between making a key and its expiry in the no-usable-key test.
EXPIRY_SECONDS = 4


# --- OpenPGP tools: gpg and sq, each in a private home ---


class Gpg:
    """gpg 2.2 with its own GNUPGHOME (mode 700) under the test's tmp_path."""

    homes = []  # stopped after each test

    def __init__(self, home, per_test=True):
        self.home = Path(home)
        self.home.mkdir(parents=True)
        self.home.chmod(0o700)
        # The agent re-protects an imported key with its own S2K count: keep
        # that cheap (the key as exported keeps the server's protection).
        (self.home / "gpg-agent.conf").write_text("s2k-count 65536\n")
        self.passphrase = None
        if per_test:
            Gpg.homes.append(self)

    def run(self, *args, input=b"", passphrase=None, expect=0):
        cmd = ["gpg", "--homedir", str(self.home), "--batch", "--no-tty", "--quiet"]
        cmd += ["--pinentry-mode", "loopback"]
        if passphrase is not None:
            cmd += ["--passphrase", passphrase]
        p = subprocess.run(
            cmd + list(args), input=input, capture_output=True, timeout=CMD_TIMEOUT
        )
        if expect is not None:
            assert p.returncode == expect, "gpg %s -> %d\n%s" % (
                " ".join(args),
                p.returncode,
                p.stderr.decode(errors="replace"),
            )
        return p

    def import_secret(self, armored, passphrase=None):
        self.run("--import", input=armored, passphrase=passphrase)

    def decrypt(self, armored, passphrase=None):
        return self.run("--decrypt", input=armored, passphrase=passphrase).stdout

    def expiries(self):
        """The expiry times (seconds since the epoch) of every key and subkey."""
        out = self.run("--with-colons", "--list-keys").stdout.decode()
        rows = [line.split(":") for line in out.splitlines()]
        return [int(f[6]) for f in rows if f[0] in ("pub", "sub")]

    def fingerprints(self):
        out = self.run("--with-colons", "--list-keys").stdout.decode()
        return re.findall(r"^fpr:+([0-9A-F]{40}):", out, re.M)

    def kill_agent(self):
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=CMD_TIMEOUT,
        )


@pytest.fixture(autouse=True)
def stop_gpg_agents():
    yield
    while Gpg.homes:
        Gpg.homes.pop().kill_agent()


def sq(*args, input=b""):
    p = subprocess.run(["sq"] + list(args), input=input, capture_output=True, timeout=CMD_TIMEOUT)
    assert p.returncode == 0, "sq %s -> %d\n%s" % (
        " ".join(args),
        p.returncode,
        p.stderr.decode(errors="replace"),
    )
    return p.stdout


def sq_key(directory, address):
    """An unprotected sq key for address: (key file, certificate file)."""
    key = Path(directory) / ("%s.pgp" % address.split("@")[0])
    cert = key.with_suffix(".cert")
    sq("key", "generate", "--userid", "<%s>" % address, "--export", str(key))
    sq("key", "extract-cert", "--output", str(cert), str(key))
    return key, cert


# --- keys on the server ---


def generate_key(srv, address, passphrase):
    """`tresor key generate`; returns (fingerprint, armored protected secret key)."""
    out = srv.cli("key", "generate", address, input=passphrase + "\n").stdout
    found = re.search(r"^fingerprint: ([0-9A-F]{40})$", out, re.M)
    assert found, out
    secret = srv.cli("key", "export-secret", address, found.group(1)).stdout
    assert secret.startswith("-----BEGIN PGP PRIVATE KEY BLOCK-----"), secret[:200]
    return found.group(1), secret.encode()


def import_key(srv, address, path):
    out = srv.cli("key", "import", address, str(path)).stdout
    found = re.search(r"^imported: ([0-9A-F]{40})$", out, re.M)
    assert found, out
    return found.group(1)


def sealed_account(srv, tmp_path, user=ALICE, passphrase=PASS_ALICE, per_test=True):
    """Generates the account's key on the server; returns a Gpg home holding its secret."""
    fpr, secret = generate_key(srv, user[0], passphrase)
    gpg = Gpg(tmp_path / ("gpg-%s" % user[0].split("@")[0]), per_test)
    gpg.import_secret(secret, passphrase)
    assert fpr in gpg.fingerprints()
    gpg.passphrase = passphrase
    return gpg


def key_list(srv, address):
    """`tresor key list`: {fingerprint: {field: value}} from the key=value words."""
    keys = {}
    for line in srv.cli("key", "list", address).stdout.splitlines():
        words = line.split(" ")
        assert re.fullmatch(r"[0-9A-F]{40}", words[0]), line
        keys[words[0]] = dict(w.split("=", 1) for w in words[3:] if "=" in w)
    return keys


# --- the stored form ---


def header_fields(data):
    """The header block as [(lower-case name, the field's raw bytes with folding)]."""
    head = data.split(b"\r\n\r\n", 1)[0]
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\r\n" + line
        else:
            fields.append([line.split(b":", 1)[0].strip().lower().decode("latin-1"), line])
    return [(name, raw) for name, raw in fields]


def listed_fields(original):
    """The fields of original the outer header must repeat (sorted; not the MIME ones)."""
    keep = OUTER_ALLOWED - {"mime-version", "content-type"}
    return sorted((n, raw) for n, raw in header_fields(original) if n in keep)


def armored_part(stored, original=None, protect_subject=False):
    """Checks that stored is the RFC 3156 4 form with only the listed outer
    fields (those of original, as received, when given); returns part 2, the
    ASCII-armored OpenPGP message."""
    fields = header_fields(stored)
    names = [n for n, _ in fields]
    assert set(names) <= OUTER_ALLOWED, names
    assert names.count("content-type") == 1 and names.count("mime-version") == 1, names
    assert b"\r\nReceived:" not in stored.split(b"\r\n\r\n", 1)[0]
    if original is not None:
        want = listed_fields(original)
        if protect_subject:
            want = sorted(
                (n, b"Subject: ..." if n == "subject" else raw) for n, raw in want
            )
        got = sorted((n, raw) for n, raw in fields if n not in ("mime-version", "content-type"))
        assert got == want
    msg = email.message_from_bytes(stored, policy=email.policy.compat32)
    assert msg.get_content_type() == "multipart/encrypted", msg["Content-Type"]
    assert msg.get_param("protocol") == "application/pgp-encrypted", msg["Content-Type"]
    assert msg["MIME-Version"].strip() == "1.0"
    parts = msg.get_payload()
    assert isinstance(parts, list) and len(parts) == 2, parts
    assert parts[0].get_content_type() == "application/pgp-encrypted"
    assert re.search(rb"^Version: 1\r?$", parts[0].get_payload(decode=True), re.M)
    assert parts[1].get_content_type() == "application/octet-stream"
    armored = parts[1].get_payload(decode=True)
    assert armored.lstrip().startswith(b"-----BEGIN PGP MESSAGE-----"), armored[:100]
    assert armored.rstrip().endswith(b"-----END PGP MESSAGE-----"), armored[-100:]
    return armored


def is_sealed(stored):
    """Whether the top-level type is multipart/encrypted (the header alone is parsed)."""
    head = stored.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    msg = email.message_from_bytes(head, policy=email.policy.compat32)
    return msg.get_content_type() == "multipart/encrypted"


def fetch_rfc822(srv, user=ALICE, mailbox="INBOX"):
    """Every message of a mailbox by FETCH RFC822 (the IMAP4rev1 form)."""
    m = login(srv, user)
    typ, _ = m.select(mailbox)
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(RFC822)")
    assert typ == "OK", data
    m.logout()
    return [part[1] for part in data if isinstance(part, tuple)]


def pop3_messages(srv, user=ALICE):
    """Every message of the maildrop by POP3 RETR (poplib undoes byte-stuffing)."""
    p = pop3_plain(srv)
    p.user(user[0])
    p.pass_(user[1])
    count, _ = p.stat()
    out = [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, count + 1)]
    p.quit()
    return out


def stored_everywhere(srv, user=ALICE, mailbox="INBOX"):
    """The messages as IMAP BODY.PEEK[] serves them, after checking that
    FETCH RFC822 and (for INBOX) POP3 RETR serve the same bytes."""
    peek = inbox_messages(srv, user, mailbox)
    assert fetch_rfc822(srv, user, mailbox) == peek
    if mailbox == "INBOX":
        assert pop3_messages(srv, user) == peek
    return peek


def message_id(data):
    ids = [raw for name, raw in header_fields(data) if name == "message-id"]
    assert len(ids) == 1, data[:400]
    return ids[0]


def stored_for(srv, raws, user=ALICE, mailbox="INBOX"):
    """The stored form of each of raws, found by Message-ID (on a server
    other tests share), after checking that IMAP and POP3 serve the same."""
    by_id = {}
    for stored in stored_everywhere(srv, user, mailbox):
        by_id.setdefault(message_id(stored), []).append(stored)
    out = []
    for raw in raws:
        found = by_id.get(message_id(raw), [])
        assert len(found) == 1, (message_id(raw), len(found))
        out.append(found[0])
    return out


def append_exact(srv, mailbox, data, user=ALICE):
    """APPENDs data byte for byte (imaplib would rewrite bare LFs)."""
    with ByteImap(srv.port) as c:
        c.login(*user)
        return c.append(mailbox, data)


def mailbox_count(srv, user=ALICE, mailbox="INBOX"):
    with RawImap(srv) as c:
        c.login(user)
        untagged = c.ok('STATUS "%s" (MESSAGES)' % mailbox)
    found = re.search(r"MESSAGES (\d+)", " ".join(untagged))
    assert found, untagged
    return int(found.group(1))


def mx_send(srv, sender, rcpts, raw):
    s = smtp_mx(srv)
    assert s.sendmail(sender, rcpts, raw) == {}
    s.quit()


def submit(srv, user, rcpts, raw):
    s = smtp_submission(srv, user)
    assert s.sendmail(user[0], rcpts, raw) == {}
    s.quit()


def user_show(srv, address):
    return srv.cli("user", "show", address).stdout


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """A server shared by the tests that need ALICE sealed (her key made by
    `tresor key generate`) and BOB not: (server, Gpg home with her secret).
    Its tests find their messages by Message-ID."""
    root = tmp_path_factory.mktemp("sealed")
    srv = new_server(root / "srv")
    gpg = sealed_account(srv, root, per_test=False)
    yield srv, gpg
    gpg.kill_agent()
    srv.stop_or_fail()


# --- 1. round trip over every path, two implementations ---


def test_round_trip_every_path_decrypted_by_gpg(sealed):
    srv, gpg = sealed
    assert re.search(r"^sealed: yes \(1 keys?\)$", user_show(srv, ALICE[0]), re.M)
    assert re.search(r"^sealed: no$", user_show(srv, BOB[0]), re.M)

    by_mx = message(
        subject="via mx",
        body="MX body line\r\n.leading dot\r\n",
        extra="Cc: dave@example.org\r\nIn-Reply-To: <p1@example.org>\r\n"
        "References: <p0@example.org>\r\n <p1@example.org>\r\nX-Custom: mx\r\n",
    )
    mx_send(srv, "carol@example.org", [ALICE[0]], by_mx)
    by_sub = message(
        subject="via submission", sender=BOB[0], to=ALICE[0], extra="X-Custom: sub\r\n"
    )
    submit(srv, BOB, [ALICE[0]], by_sub)
    # A literal with its own trace fields, bare LF and no final CRLF: kept exactly.
    to_inbox = (
        b"Return-Path: <x@example.org>\r\nReceived: from a by b; Mon, 7 Feb 2022 21:50:00 +0000\r\n"
        + message(subject="appended", extra="X-Custom: app\r\n", body="bare\nLF, no end")
    )
    append_exact(srv, "INBOX", to_inbox)
    to_sent = message(subject="a sent copy", sender=ALICE[0], to=BOB[0], extra="X-Custom: s\r\n")
    append_exact(srv, "Sent", to_sent)

    originals = (by_mx, by_sub, to_inbox)
    inbox = stored_for(srv, originals)
    plains = [gpg.decrypt(armored_part(s, o), gpg.passphrase) for s, o in zip(inbox, originals)]
    assert plains[0].startswith(b"Return-Path: <carol@example.org>\r\nReceived: ")
    assert strip_trace(plains[0]) == by_mx
    assert plains[1].startswith(b"Return-Path: <bob@example.test>\r\nReceived: ")
    assert strip_trace(plains[1]) == by_sub
    assert plains[2] == to_inbox
    for stored in inbox:
        assert b"X-Custom" not in stored and b"Return-Path" not in stored

    (sent,) = stored_for(srv, [to_sent], ALICE, "Sent")
    assert gpg.decrypt(armored_part(sent, to_sent), gpg.passphrase) == to_sent
    # BOB is not sealed: what reaches him stays plain.
    plain_for_bob = message(subject="to bob", to=BOB[0])
    mx_send(srv, "carol@example.org", [BOB[0]], plain_for_bob)
    (bobs,) = stored_for(srv, [plain_for_bob], BOB)
    assert strip_trace(bobs) == plain_for_bob


def test_openpgp_packets_are_what_gpg_22_and_sq_read(sealed):
    """RFC 4880 5.1 PKESK v3 and 5.13 SEIPD with MDC, AES-256 (algo 9), with
    neither a compressed packet nor an AEAD packet (RFC 4880bis), which
    gpg 2.2 and sq 0.27 cannot read."""
    srv, gpg = sealed
    raw = message(subject="packets", body="packet body\r\n")
    mx_send(srv, "carol@example.org", [ALICE[0]], raw)
    (stored,) = stored_for(srv, [raw])
    armored = armored_part(stored, raw)
    p = gpg.run("--verbose", "--list-packets", input=armored, passphrase=gpg.passphrase)
    listing = p.stdout.decode() + p.stderr.decode()
    assert re.search(r":pubkey enc packet: version 3, algo 18,", listing), listing
    assert ":encrypted data packet:" in listing and "mdc_method: 2" in listing, listing
    assert re.search(r"AES256(\.CFB)? encrypted data|cipher algo 9", listing), listing
    assert ":literal data packet:" in listing, listing
    assert "compressed packet" not in listing and "aead" not in listing.lower(), listing


def test_round_trip_with_an_sq_key_decrypted_by_sq_and_gpg(make_server, tmp_path):
    srv = make_server()
    key, cert = sq_key(tmp_path, ALICE[0])
    fpr = import_key(srv, ALICE[0], cert)
    assert key_list(srv, ALICE[0])[fpr]["secret"] == "no"
    p = srv.cli("key", "export-secret", ALICE[0], expect=1)
    assert "no secret key" in p.stderr
    gpg = Gpg(tmp_path / "gpg-sq-key")
    gpg.import_secret(key.read_bytes())

    by_mx = message(subject="sq via mx", body="for sq\r\n")
    mx_send(srv, "carol@example.org", [ALICE[0]], by_mx)
    by_sub = message(subject="sq via submission", sender=BOB[0], to=ALICE[0])
    submit(srv, BOB, [ALICE[0]], by_sub)
    appended = message(subject="sq append", body="exact\r\nbytes\r\n")
    append_exact(srv, "INBOX", appended)

    inbox = stored_everywhere(srv, ALICE)
    assert len(inbox) == 3
    for stored, original, smtp in zip(inbox, (by_mx, by_sub, appended), (True, True, False)):
        armored = armored_part(stored, original)
        by_sq = sq("decrypt", "--recipient-key", str(key), input=armored)
        by_gpg = gpg.decrypt(armored)
        assert by_sq == by_gpg
        assert (strip_trace(by_sq) if smtp else by_sq) == original


# --- 2. mail that arrives encrypted is wrapped again ---


def pgp_mime(gpg, recipient_fpr, inner_text, subject):
    """A PGP/MIME message (RFC 3156 4) as a mail client would send it."""
    armored = gpg.run(
        "--encrypt", "--armor", "--trust-model", "always", "-r", recipient_fpr, input=inner_text
    ).stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return (
        b"From: carol@example.org\r\nTo: alice@example.test\r\nSubject: %s\r\n"
        b"Date: Mon, 7 Feb 2022 21:52:25 +0000\r\nMessage-ID: <%s@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n'
        b' boundary="inner-b0undary"\r\n\r\n'
        b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
        b"--inner-b0undary\r\nContent-Type: application/pgp-encrypted\r\n"
        b"Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
        b'--inner-b0undary\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n'
        b'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
        b"%s\r\n--inner-b0undary--\r\n"
        % (subject.encode(), unique("enc").encode(), armored.rstrip(b"\r\n"))
    )


def shape(stored):
    """What two sealed messages must share: outer field names, type, protocol, parts."""
    msg = email.message_from_bytes(stored, policy=email.policy.compat32)
    return (
        sorted(n for n, _ in header_fields(stored)),
        msg.get_content_type(),
        msg.get_param("protocol"),
        [p.get_content_type() for p in msg.get_payload()],
    )


def test_already_encrypted_mail_is_wrapped_again(sealed):
    srv, gpg = sealed
    (fpr,) = key_list(srv, ALICE[0])
    by_mx = pgp_mime(gpg, fpr, b"inner secret one\r\n", "already encrypted")
    mx_send(srv, "carol@example.org", [ALICE[0]], by_mx)
    appended = pgp_mime(gpg, fpr, b"inner secret two\r\n", "appended encrypted")
    append_exact(srv, "INBOX", appended)
    plain_msg = message(subject="plain one")
    mx_send(srv, "carol@example.org", [ALICE[0]], plain_msg)

    stored = stored_for(srv, [by_mx, appended, plain_msg])
    for got, original, smtp in zip(stored, (by_mx, appended), (True, False)):
        armored = armored_part(got, original)
        # The sender's PGP/MIME form is inside, not beside, the wrapper.
        assert b"inner-b0undary" not in got
        inner_armor_line = original.split(b"-----BEGIN PGP MESSAGE-----\r\n")[1].split(b"\r\n")[2]
        assert inner_armor_line not in got
        plain = gpg.decrypt(armored, gpg.passphrase)
        assert (strip_trace(plain) if smtp else plain) == original
    # The same outer shape as any other sealed message.
    assert shape(stored[0]) == shape(stored[1]) == shape(stored[2])


# --- 3. protect_subject ---


def split_message(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data[:200]
    return head, body


def test_protect_subject_hides_the_subject_and_marks_the_payload(make_server, tmp_path):
    srv = make_server()
    gpg = sealed_account(srv, tmp_path)
    assert re.search(r"^protect_subject: off$", user_show(srv, ALICE[0]), re.M)
    srv.cli("user", "set", ALICE[0], "protect_subject", "on")
    assert re.search(r"^protect_subject: on$", user_show(srv, ALICE[0]), re.M)

    secret_subjects = ["Merger %s" % secrets.token_hex(6) for _ in range(3)]
    ct_plain = b"Content-Type: text/plain; charset=utf-8"
    by_mx = message(
        subject=secret_subjects[0], extra="MIME-Version: 1.0\r\n%s\r\n" % ct_plain.decode()
    )
    mx_send(srv, "carol@example.org", [ALICE[0]], by_mx)
    no_ct = message(subject=secret_subjects[1], body="no content-type here\r\n")
    append_exact(srv, "INBOX", no_ct)
    ct_folded = b'Content-Type: multipart/mixed;\r\n boundary="b1"'
    multipart = message(
        subject=secret_subjects[2],
        extra="MIME-Version: 1.0\r\n%s\r\n" % ct_folded.decode(),
        body="--b1\r\nContent-Type: text/plain\r\n\r\npart\r\n--b1--\r\n",
    )
    append_exact(srv, "INBOX", multipart)

    stored = stored_everywhere(srv)
    assert len(stored) == 3
    plains = []
    for got, original, subject in zip(stored, (by_mx, no_ct, multipart), secret_subjects):
        assert subject.encode() not in got
        armored = armored_part(got, original, protect_subject=True)
        plain = gpg.decrypt(armored, gpg.passphrase)
        inner = email.message_from_bytes(plain, policy=email.policy.compat32)
        assert inner["Subject"] == subject
        assert inner.get_param("protected-headers") == "v1", inner["Content-Type"]
        plains.append(plain)

    # The parameter appended to an existing (folded) Content-Type is the one change.
    mx_payload = strip_trace(plains[0])
    assert mx_payload == by_mx.replace(ct_plain + b"\r\n", ct_plain + PROTECTED + b"\r\n", 1)
    assert plains[2] == multipart.replace(ct_folded + b"\r\n", ct_folded + PROTECTED + b"\r\n", 1)
    # Without one, a text/plain Content-Type field with the parameter comes after the others.
    assert split_message(plains[1])[1] == split_message(no_ct)[1]
    fields = header_fields(plains[1])
    assert fields[:-1] == header_fields(no_ct)
    name, added = fields[-1]
    assert name == "content-type" and added.endswith(PROTECTED), added
    added_ct = added[: -len(PROTECTED)]
    assert re.fullmatch(rb"Content-Type: text/plain; charset=\"?us-ascii\"?", added_ct, re.I)

    # ENVELOPE comes from the outer header: it has the placeholder.
    with ByteImap(srv.port) as c:
        c.login(*ALICE)
        c.ok("EXAMINE INBOX")
        envs = c.fetch("1:*", "(ENVELOPE)")
    assert [envelope_dict(envs[i]["ENVELOPE"])["subject"] for i in (1, 2, 3)] == [b"..."] * 3

    # Turned off again: the real subject outside, the payload untouched.
    srv.cli("user", "set", ALICE[0], "protect_subject", "off")
    again = message(
        subject="visible again", extra="MIME-Version: 1.0\r\n%s\r\n" % ct_plain.decode()
    )
    mx_send(srv, "carol@example.org", [ALICE[0]], again)
    last = inbox_messages(srv)[-1]
    assert strip_trace(gpg.decrypt(armored_part(last, again), gpg.passphrase)) == again


# --- 4. rotation: two keys ---


def gpg_key(gpg, address, expire="never", subkey_expire=None):
    """A key made by gpg in its own home (Ed25519 + Cv25519, no passphrase);
    returns (fingerprint, path of the armored public key)."""
    if subkey_expire is None:
        uid = "<%s>" % address
        gpg.run("--quick-gen-key", uid, "future-default", "default", expire, passphrase="")
        fpr = gpg.fingerprints()[0]
    else:
        gpg.run("--quick-gen-key", "<%s>" % address, "ed25519", "cert", expire, passphrase="")
        fpr = gpg.fingerprints()[0]
        gpg.run("--quick-add-key", fpr, "cv25519", "encr", subkey_expire, passphrase="")
    path = gpg.home.parent / ("%s-%s.asc" % (gpg.home.name, fpr[:8]))
    path.write_bytes(gpg.run("--armor", "--export", fpr).stdout)
    return fpr, path


def test_two_keys_each_decrypts_and_a_deleted_key_is_no_longer_used(make_server, tmp_path):
    srv = make_server()
    first = sealed_account(srv, tmp_path)
    second = Gpg(tmp_path / "gpg-second")
    fpr2, pub2 = gpg_key(second, ALICE[0])
    assert import_key(srv, ALICE[0], pub2) == fpr2
    assert re.search(r"^sealed: yes \(2 keys\)$", user_show(srv, ALICE[0]), re.M)
    keys = key_list(srv, ALICE[0])
    assert len(keys) == 2 and all(k["state"] == "usable" for k in keys.values()), keys
    (fpr1,) = set(keys) - {fpr2}
    assert keys[fpr1]["secret"] == "yes" and keys[fpr2]["secret"] == "no"

    raw = message(subject="to both keys")
    mx_send(srv, "carol@example.org", [ALICE[0]], raw)
    appended = message(subject="appended to both keys")
    append_exact(srv, "INBOX", appended)
    stored = stored_everywhere(srv)
    assert len(stored) == 2
    for got, original, smtp in zip(stored, (raw, appended), (True, False)):
        armored = armored_part(got, original)
        for gpg in (first, second):
            plain = gpg.decrypt(armored, gpg.passphrase)
            assert (strip_trace(plain) if smtp else plain) == original

    # Without the first key, new mail is sealed to the second only.
    srv.cli("key", "del", ALICE[0], fpr1)
    assert list(key_list(srv, ALICE[0])) == [fpr2]
    later = message(subject="after rotation")
    mx_send(srv, "carol@example.org", [ALICE[0]], later)
    armored = armored_part(inbox_messages(srv)[-1], later)
    assert strip_trace(second.decrypt(armored)) == later
    refused = first.run("--decrypt", input=armored, passphrase=first.passphrase, expect=None)
    assert refused.returncode != 0


# --- 5. and 9. several recipients in one transaction ---


def test_mixed_transaction_seals_for_the_sealed_recipient_only(sealed):
    srv, gpg = sealed
    word = "plainword%s" % secrets.token_hex(6)
    raw = message(subject="mixed", to="%s, %s" % (ALICE[0], BOB[0]), body="The %s.\r\n" % word)
    with RawSmtp(srv) as c:
        c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("RCPT TO:<%s>" % BOB[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        code, lines = c.reply()
        assert code == 250, lines
    (bobs,) = stored_for(srv, [raw], BOB)
    assert not is_sealed(bobs)
    assert word.encode() in bobs and strip_trace(bobs) == raw
    (alices,) = stored_for(srv, [raw], ALICE)
    assert word.encode() not in alices
    assert strip_trace(gpg.decrypt(armored_part(alices, raw), gpg.passphrase)) == raw


def test_two_sealed_recipients_each_decrypt_with_their_own_key(make_server, tmp_path):
    srv = make_server()
    alice = sealed_account(srv, tmp_path, ALICE, PASS_ALICE)
    bob = sealed_account(srv, tmp_path, BOB, PASS_BOB)
    raw = message(subject="to two sealed", to="%s, %s" % (ALICE[0], BOB[0]))
    mx_send(srv, "carol@example.org", [ALICE[0], BOB[0]], raw)
    for user, gpg in ((ALICE, alice), (BOB, bob)):
        (stored,) = stored_everywhere(srv, user)
        plain = gpg.decrypt(armored_part(stored, raw), gpg.passphrase)
        assert strip_trace(plain) == raw


# --- 6. no usable key at delivery ---


def smtp_refused_at_rcpt(srv, raw):
    """DATA and BDAT LAST on the MX: RCPT of the account without a usable key
    gets 451 4.7.1 for itself alone; another recipient of the same
    transaction gets the message."""
    with RawSmtp(srv) as c:
        lines = c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        code, reply = c.cmd("RCPT TO:<%s>" % ALICE[0])
        assert code == 451 and reply[0].startswith("4.7.1"), (code, reply)
        c.expect("RCPT TO:<%s>" % BOB[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        code, reply = c.reply()
        assert code == 250, (code, reply)
        # RFC 3030 2: BDAT the same.
        assert "CHUNKING" in lines, lines
        c.expect("MAIL FROM:<carol@example.org>", 250)
        code, reply = c.cmd("RCPT TO:<%s>" % ALICE[0])
        assert code == 451 and reply[0].startswith("4.7.1"), (code, reply)
        c.expect("RCPT TO:<%s>" % BOB[0], 250)
        c.send(b"BDAT %d LAST\r\n" % len(raw) + raw)
        code, reply = c.reply()
        assert code == 250, (code, reply)
        c.expect("QUIT", 221)


def smtp_rcpt_before_expiry(srv):
    """An MX session that has ALICE as recipient while her key is still valid."""
    c = RawSmtp(srv)
    c.expect("EHLO client.example.org", 250)
    c.expect("MAIL FROM:<carol@example.org>", 250)
    c.expect("RCPT TO:<%s>" % ALICE[0], 250)
    return c


def test_expired_key_refuses_delivery_for_now(make_server, tmp_path):
    srv = make_server()
    # Stored before the account was sealed: it stays, and counts.
    append_exact(srv, "INBOX", message(subject="before the key"))
    gpg = Gpg(tmp_path / "gpg-expiring")
    seconds = "seconds=%d" % EXPIRY_SECONDS
    fpr, pub = gpg_key(gpg, ALICE[0], expire=seconds, subkey_expire=seconds)
    expiries = gpg.expiries()
    assert len(expiries) == 2 and all(expiries), expiries
    import_key(srv, ALICE[0], pub)
    assert time.time() < min(expiries), "too slow for the test's key expiry"
    # Accepted at RCPT while the key is valid; the key expires before the data ends.
    early = smtp_rcpt_before_expiry(srv)
    assert time.time() < min(expiries), "too slow for the test's key expiry"
    time.sleep(max(0.0, max(expiries) + 1.2 - time.time()))
    assert key_list(srv, ALICE[0])[fpr]["state"] == "expired"
    assert re.search(r"^sealed: yes", user_show(srv, ALICE[0]), re.M)

    word = "refusedword%s" % secrets.token_hex(6)
    raw = message(subject="after expiry", body="The %s.\r\n" % word)
    with early:
        early.expect("DATA", 354)
        early.send(raw + b".\r\n")
        code, reply = early.reply()
        assert code == 451 and reply[0].startswith("4.7.1"), (code, reply)
    bob_before = mailbox_count(srv, BOB, "INBOX")
    shared = "sharedword%s" % secrets.token_hex(6)
    smtp_refused_at_rcpt(srv, message(subject="to both", body="The %s.\r\n" % shared))
    assert mailbox_count(srv, BOB, "INBOX") == bob_before + 2
    s = smtp_submission(srv, BOB)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        s.sendmail(BOB[0], [ALICE[0]], message(sender=BOB[0], body="%s\r\n" % word))
    code, text = e.value.recipients[ALICE[0]]
    assert code == 451 and text.startswith(b"4.7.1"), (code, text)
    s.quit()
    for mailbox in ("INBOX", "Sent"):
        with ByteImap(srv.port) as c:
            c.login(*ALICE)
            c.send("a1 APPEND %s {%d}\r\n" % (mailbox, len(raw)))
            assert c.read_line().startswith(b"+")
            c.send(raw + b"\r\n")
            _, tagged = c.read_response("a1")
            assert tagged.startswith(b"a1 NO"), tagged

    assert mailbox_count(srv, ALICE, "INBOX") == 1
    assert mailbox_count(srv, ALICE, "Sent") == 0
    # One line per refusal (the end of DATA, two RCPTs on the MX, submission,
    # two APPENDs), naming the account and why: its key.
    log = [l for l in srv.stderr_text().splitlines() if ALICE[0] in l and "key" in l.lower()]
    assert len(log) >= 6, srv.stderr_text()[-3000:]
    assert srv.stop() == []
    for path in files_under(srv.root):
        assert word.encode() not in path.read_bytes(), path
    # What BOB got is there in plain: the search can find a word.
    assert any(shared.encode() in p.read_bytes() for p in files_under(srv.root))


# --- 7. SEARCH, ENVELOPE, BODYSTRUCTURE from the outer header ---


def lower(value):
    """An IMAP string or atom as lower-case str."""
    return (value.decode() if isinstance(value, bytes) else str(value)).lower()


def uid_search(c, criteria):
    untagged = c.ok("UID SEARCH %s" % criteria)
    found = [line for line in untagged if line.startswith(b"* SEARCH")]
    assert len(found) == 1, untagged
    return [int(w) for w in found[0].split()[2:]]


def test_search_and_envelope_use_the_outer_header(sealed):
    srv, _ = sealed
    subject_word, body_word, header_word, name = map(unique, ("zebra", "xylo", "marimba", "Carol"))
    raw = message(
        subject="Quarterly %s report" % subject_word,
        sender="%s Sender <carol@example.org>" % name,
        body="The %s figures are attached.\r\n" % body_word,
        extra="X-Custom: %s\r\n" % header_word,
    )
    mx_send(srv, "carol@example.org", [ALICE[0], BOB[0]], raw)
    msgid = message_id(raw).split(b": ", 1)[1].decode()

    results = {}
    for user in (ALICE, BOB):
        with ByteImap(srv.port) as c:
            c.login(*user)
            c.ok("SELECT INBOX")
            (uid,) = uid_search(c, "HEADER Message-ID %s" % msgid)
            results[user[0]] = [
                uid_search(c, q) == [uid]
                for q in (
                    "SUBJECT %s" % subject_word,
                    "FROM %s" % name,
                    "BODY %s" % body_word,
                    "TEXT %s" % body_word,
                    "HEADER X-Custom %s" % header_word,
                )
            ]
            (fetched,) = c.fetch(str(uid), "(ENVELOPE BODYSTRUCTURE)", uid=True).values()
        if user is ALICE:
            env = envelope_dict(fetched["ENVELOPE"])
            structure = fetched["BODYSTRUCTURE"]
    # Unsealed, every search finds it (they can match); sealed, only those on outer fields.
    assert results[BOB[0]] == [True] * 5
    assert results[ALICE[0]] == [True, True, False, False, False]
    assert env["subject"] == ("Quarterly %s report" % subject_word).encode()
    assert env["from"] == [[("%s Sender" % name).encode(), None, b"carol", b"example.org"]]
    assert env["message-id"] == msgid.encode()
    # RFC 3501 7.4.2: multipart/encrypted with its protocol parameter, two parts.
    assert isinstance(structure[0], list) and isinstance(structure[1], list)
    assert lower(structure[2]) == "encrypted", structure
    params = [lower(p) for p in structure[3]]
    assert params[params.index("protocol") + 1] == "application/pgp-encrypted", structure
    assert [lower(structure[i][0]) + "/" + lower(structure[i][1]) for i in (0, 1)] == [
        "application/pgp-encrypted",
        "application/octet-stream",
    ], structure


# --- 8. the canary: no plaintext byte on disk ---


TOKEN_PREFIX = b"Cnry"
TOKEN_RE = re.compile(re.escape(TOKEN_PREFIX) + rb"[0-9a-f]{20}")
B64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}=*(?:\r?\n[A-Za-z0-9+/]{4,}=*)*")
SCAN_FILE_MAX = 256 << 20
# Files in the temporary directories beyond this are someone else's (a spool would be ~5 MB).
TEMP_FILE_MAX = 64 << 20
BIG_ATTACHMENT = 3_700_000  # ~5 MB once base64-encoded
# The control's large messages: many SQLite overflow pages, less to scan.
CONTROL_ATTACHMENT = 700_000


def decodings(data, decode=True):
    """data itself, quoted-printable decoded, and every base64-looking run
    decoded at each of the four alignments (a run may start mid-word or be
    cut by a SQLite page header)."""
    yield data
    if not decode:
        return
    yield binascii.a2b_qp(data)
    decoded = [[], [], [], []]
    for run in B64_RUN.finditer(data):
        chunk = run.group().translate(None, b"\r\n")
        for piece in chunk.split(b"="):
            for off in range(4):
                part = piece[off:]
                part = part[: len(part) // 4 * 4]
                if part:
                    decoded[off].append(binascii.a2b_base64(part))
    for pieces in decoded:
        yield b"\0".join(pieces)


def token_hits(data, tokens, where, decode=True):
    """{(where, kind)} for each token found in data, raw or (with decode) decoded."""
    kinds = {tok: kind for kind, tok in tokens.items()}
    found = set()
    for blob in decodings(data, decode):
        found.update(TOKEN_RE.findall(blob))
    return {(where, kinds[tok]) for tok in found if tok in kinds}


def files_under(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                if stat.S_ISREG(path.lstat().st_mode):
                    out.append(path)
            except OSError:
                pass
    return out


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read(SCAN_FILE_MAX)
    except OSError:
        return b""


def sqlite_values(path):
    """Every text and blob value of every table of a SQLite database (the
    logical view: values cut across overflow pages come out whole)."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        db.text_factory = bytes
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            for row in db.execute('SELECT * FROM "%s"' % table.decode().replace('"', '""')):
                out.extend(v for v in row if isinstance(v, bytes))
        db.close()
        return out
    except sqlite3.Error as e:
        pytest.fail("cannot read %s: %s" % (path, e))


def scan_files(paths, tokens, label, full=True):
    """Token hits in the files, raw and decoded, and in the values of SQLite
    databases among them; without full, raw only (enough to see a plaintext
    spool: the header and body tokens are raw in any copy of a message)."""
    hits = set()
    for path in paths:
        data = read_file(path)
        hits |= token_hits(data, tokens, "%s:%s" % (label, path), full)
        if full and data.startswith(b"SQLite format 3\0"):
            for value in sqlite_values(path):
                hits |= token_hits(value, tokens, "%s:%s (row)" % (label, path))
    return hits


TEMP_DIRS = sorted({tempfile.gettempdir(), "/var/tmp", "/dev/shm"})


def temp_snapshot():
    """The entries of the temporary directories now: {dir: set of names}."""
    snap = {}
    for d in TEMP_DIRS:
        try:
            snap[d] = set(os.listdir(d))
        except OSError:
            snap[d] = set()
    return snap


def new_temp_files(before, since):
    """Regular files in entries new since the snapshot, and files modified since `since`."""
    out = []
    for d, names in before.items():
        try:
            now = os.listdir(d)
        except OSError:
            continue
        for name in now:
            path = Path(d) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if name not in names:
                out.extend(files_under(path) if stat.S_ISDIR(st.st_mode) else [path])
            elif stat.S_ISREG(st.st_mode) and st.st_mtime >= since:
                out.append(path)
    return [p for p in out if file_size(p) <= TEMP_FILE_MAX]


def file_size(path):
    try:
        return path.stat().st_size
    except OSError:
        return TEMP_FILE_MAX + 1  # gone: nothing to read


def open_files(srv):
    """The regular files the server process holds open (deleted ones included),
    as /proc/PID/fd paths that read them."""
    fd_dir = Path("/proc/%d/fd" % srv.proc.pid)
    out = []
    for fd in os.listdir(fd_dir):
        path = fd_dir / fd
        try:
            if stat.S_ISREG(path.stat().st_mode):
                out.append(path)
        except OSError:
            pass
    return out


def new_tokens(label):
    """{label/kind: token}: TOKEN_PREFIX and 20 random hex digits each."""
    return {
        "%s/%s" % (label, kind): TOKEN_PREFIX + secrets.token_hex(10).encode()
        for kind in ("header", "body", "qp", "b64", "filename")
    }


def qp_escaped(text):
    """text with every byte as =XX (RFC 2045 6.7), soft line breaks every 24 bytes."""
    escaped = ["=%02X" % c for c in text]
    return "=\r\n".join("".join(escaped[i : i + 24]) for i in range(0, len(escaped), 24))


def canary_message(tokens, label, sender, to, attachment_size=0):
    """multipart/mixed with a token in X-Canary, in the text, in a
    quoted-printable part (escaped, so raw search cannot see it) and in a
    base64 attachment's content and file name."""
    t = {k.split("/")[1]: v.decode() for k, v in tokens.items()}
    if attachment_size:
        blob = bytearray(os.urandom(attachment_size))
        for at in (0, attachment_size // 2, attachment_size - 100):
            blob[at : at + len(t["b64"])] = t["b64"].encode()
        content = bytes(blob)
    else:
        content = ("attachment data %s end\n" % t["b64"]).encode() * 4
    b64 = base64.encodebytes(content).replace(b"\n", b"\r\n").decode()
    body = (
        "--cnry\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "The body says %s and again %s.\r\n\r\n"
        "--cnry\r\nContent-Type: text/plain; charset=us-ascii\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n\r\n"
        "--cnry\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="report-%s.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--cnry--\r\n"
        % (
            t["body"],
            t["body"],
            qp_escaped(("Secret %s here" % t["qp"]).encode()),
            t["filename"],
            b64,
        )
    )
    extra = (
        'X-Canary: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="cnry"\r\n'
        % t["header"]
    )
    return message(subject="canary %s" % label, sender=sender, to=to, extra=extra, body=body)


def send_big_mx(srv, user, raw, scan=None):
    """One DATA transaction; with scan, its final bytes wait until scan()
    looked at the files the server holds open (a spool would be one)."""
    data = raw.replace(b"\r\n.", b"\r\n..")
    with RawSmtp(srv) as c:
        c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % user[0], 250)
        c.expect("DATA", 354)
        c.send(data[:-200])
        if scan:
            time.sleep(0.3)
            scan()
        c.send(data[-200:] + b".\r\n")
        code, lines = c.reply()
        assert code == 250, lines


def append_big(srv, user, mailbox, raw, scan=None):
    """APPEND as a synchronizing literal, scan() run before its final bytes."""
    with ByteImap(srv.port) as c:
        c.login(*user)
        c.send("a1 APPEND %s {%d}\r\n" % (mailbox, len(raw)))
        assert c.read_line().startswith(b"+")
        c.send(raw[:-200])
        if scan:
            time.sleep(0.3)
            scan()
        c.send(raw[-200:] + b"\r\n")
        _, tagged = c.read_response("a1")
        assert tagged.startswith(b"a1 OK"), tagged


def deliver_canaries(srv, user, other, tokens, scan=None, big=BIG_ATTACHMENT):
    """Canary messages to user over every path: MX, submission from other,
    APPEND to INBOX, Sent and Drafts, and a large message (attachment of big
    bytes) over MX and over APPEND. Adds their tokens to tokens; returns the
    messages by mailbox."""
    name = user[0].split("@")[0]

    def made(path, sender=user[0], to=user[0], attachment_size=0):
        toks = new_tokens("%s-%s" % (name, path))
        tokens.update(toks)
        return canary_message(toks, path, sender, to, attachment_size)

    sent = {"INBOX": [], "Sent": [], "Drafts": []}
    raw = made("mx", sender="carol@example.org")
    mx_send(srv, "carol@example.org", [user[0]], raw)
    sent["INBOX"].append(raw)
    raw = made("submission", sender=other[0])
    submit(srv, other, [user[0]], raw)
    sent["INBOX"].append(raw)
    for box in ("INBOX", "Sent", "Drafts"):
        raw = made("append-%s" % box.lower(), to=other[0])
        append_exact(srv, box, raw, user)
        sent[box].append(raw)
    raw = made("big-mx", sender="carol@example.org", attachment_size=big)
    assert len(raw) > big * 4 // 3 and len(raw) < 52428800  # default max_message_size
    send_big_mx(srv, user, raw, scan)
    sent["INBOX"].append(raw)
    raw = made("big-append", attachment_size=big)
    append_big(srv, user, "INBOX", raw, scan)
    sent["INBOX"].append(raw)
    return sent


def test_canary_no_plaintext_of_a_sealed_account_reaches_disk(make_server, tmp_path):
    """ALICE is sealed, BOB is the control: the same messages over the same
    paths into the same files, where the scan must find every one of BOB's
    tokens (so it can see plaintext) and none of ALICE's."""
    start = time.time() - 1
    temp_before = temp_snapshot()
    srv = make_server()
    gpg = sealed_account(srv, tmp_path)
    bob_tokens, alice_tokens = {}, {}
    hits = set()

    def scan_open_files():
        # Raw only, while bytes are in flight: the full scans come at the end.
        tokens = dict(bob_tokens, **alice_tokens)
        hits.update(scan_files(open_files(srv), tokens, "open", full=False))
        hits.update(scan_files(new_temp_files(temp_before, start), tokens, "tmp"))

    # The control first, so that its writes cannot cover up what ALICE's left.
    bob_sent = deliver_canaries(srv, BOB, ALICE, bob_tokens, big=CONTROL_ATTACHMENT)
    alice_sent = deliver_canaries(srv, ALICE, BOB, alice_tokens, scan_open_files)
    assert len(alice_sent["INBOX"][-1]) > 4_900_000
    tokens = dict(bob_tokens, **alice_tokens)

    for user, sent, sealed in ((ALICE, alice_sent, True), (BOB, bob_sent, False)):
        stored = {box: inbox_messages(srv, user, box) for box in sent}
        assert [len(stored[box]) for box in sent] == [len(sent[box]) for box in sent]
        every = [m for box in stored.values() for m in box]
        assert [is_sealed(m) for m in every] == [sealed] * len(every)
        if sealed:
            assert pop3_messages(srv, user) == stored["INBOX"]
            alice_inbox = stored["INBOX"]

    # While the server runs (the WAL not yet checkpointed), then after it stopped.
    scan_open_files()
    hits |= scan_files(files_under(srv.root), tokens, "running")
    assert srv.stop() == []
    hits |= scan_files(files_under(srv.root), tokens, "stopped")
    hits |= scan_files(new_temp_files(temp_before, start), tokens, "tmp")

    assert sorted((w, k) for w, k in hits if k in alice_tokens) == []
    # The scans see plaintext where there is some: the zero above means something.
    assert any(w.startswith("open:") and k in bob_tokens for w, k in hits), "no open file read"
    for phase in ("running:", "stopped:"):
        found = {kind for where, kind in hits if where.startswith(phase)}
        assert found >= set(bob_tokens), (phase, sorted(set(bob_tokens) - found))
    # ALICE's tokens are there, inside: sealing kept what it hides.
    for i in (0, -1):
        stored, raw = alice_inbox[i], alice_sent["INBOX"][i]
        plain = gpg.decrypt(armored_part(stored, raw), gpg.passphrase)
        assert (strip_trace(plain) if i == 0 else plain) == raw  # MX, then APPEND
        assert len(token_hits(plain, alice_tokens, "decrypted")) == 5
