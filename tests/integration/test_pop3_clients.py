"""
Real POP3 clients against the real server (RFC 1939, RFC 2449, RFC 2595 STLS,
RFC 8314 implicit TLS): fetchmail, getmail6 and curl, each over TLS, with the
bytes they deliver compared with the bytes the server stored.

- fetchmail (STLS and implicit TLS; it reads with TOP n 99999999, not RETR):
  a keep-mode run fetches every message,
  a second one fetches nothing (its UIDL id file), then a flush run fetches
  what is new, deletes everything on the server and leaves INBOX empty.
- getmail6 (SimplePOP3SSLRetriever): keep mode into a Maildir, a second run
  retrieves nothing (UIDL again), then a delete run empties INBOX.
- curl: LIST and RETR over pop3s:// and over pop3:// with --ssl-reqd (STLS).

The mailbox holds messages put in by SMTP and by IMAP APPEND, with lines that
are ".", "..", ".x" and so on (byte-stuffing, RFC 1939 section 3) and one of
about 200 KB. The certificate is the server's self-signed one, so no client
verifies it. Each client runs with a 60 s timeout.
"""

import getpass
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ALICE, BOB, append, inbox_messages, login, message, smtp_mx

CLIENT_TIMEOUT = 60
TRANSPORTS = ["stls", "pop3s"]
GETMAIL_USER_UNDER_ROOT = "nobody"

# Bodies whose lines start with dots: each must come back unstuffed.
DOT_BODY = ".\r\n..\r\n...\r\n.leading dot\r\n..two dots\r\n \r\n.\r\nlast line\r\n"
BIG_LINE = "%05d " + "x" * 64 + "\r\n"
BIG_LINES = 2900  # 71 octets a line: about 200 KB


def big_body():
    """About 200 KB; every 50th line is "." or starts with ".." to be stuffed."""
    lines = []
    for i in range(BIG_LINES):
        if i % 100 == 0:
            lines.append(".\r\n")
        elif i % 50 == 0:
            lines.append(".." + BIG_LINE % i)
        else:
            lines.append(BIG_LINE % i)
    return "".join(lines)


def fill_mailbox(srv, user=ALICE):
    """Puts five messages in the user's INBOX (two by SMTP, three by APPEND);
    returns the INBOX as stored (with the trace lines SMTP delivery added)."""
    s = smtp_mx(srv)
    for subject, body in (("smtp dots", DOT_BODY), ("smtp plain", "Just text.\r\n")):
        refused = s.sendmail(
            "carol@example.org", [user[0]], message(subject=subject, body=body, to=user[0])
        )
        assert refused == {}
    s.quit()
    m = login(srv, user)
    append(m, "INBOX", message(subject="appended dots", body=DOT_BODY, to=user[0]))
    append(m, "INBOX", message(subject="big", body=big_body(), to=user[0]))
    append(m, "INBOX", message(subject="one line", body="x\r\n", to=user[0]))
    m.logout()
    stored = inbox_messages(srv, user)
    assert len(stored) == 5
    assert any(len(raw) > 200 * 1000 for raw in stored)
    return stored


def lf(raw):
    """A message with LF line ends, as the clients write it to local files."""
    return raw.replace(b"\r\n", b"\n")


# --- fetchmail ---

# What fetchmail puts into each message it delivers (transact.c): one
# Received field of three lines, after a leading Return-Path field if the
# message has one, else first. Line ends are LF ("stripcr" is on with an MDA).
FETCHMAIL_RECEIVED = re.compile(
    rb"Received: from 127\.0\.0\.1 \[127\.0\.0\.1\]\n"
    rb"\tby \S+ with POP3 \(fetchmail-[^)\n]+\)\n"
    rb"\tfor <[^>\n]+> \(single-drop\); [^\n]+\n"
)

# An MDA that writes each message to its own numbered file, in delivery order.
MDA_SCRIPT = """#!/bin/sh
n=$(ls '{out}' | wc -l)
exec cat > '{out}'/$(printf %04d "$n")
"""


def strip_fetchmail_received(data):
    """The delivered message without the Received field fetchmail added."""
    found = list(FETCHMAIL_RECEIVED.finditer(data))
    assert len(found) == 1, data[:600]
    start = found[0].start()
    before = data[:start]
    assert before == b"" or re.fullmatch(rb"Return-Path: <[^>\n]*>\n", before), data[:600]
    return before + data[found[0].end():]


class Fetchmail:
    """fetchmail with its own rc file, id file, home and MDA in a temp dir."""

    def __init__(self, srv, tmp_path, transport, user=ALICE):
        self.srv = srv
        self.dir = tmp_path / "fetchmail"
        self.out = tmp_path / "delivered"
        self.dir.mkdir()
        self.out.mkdir()
        self.mda = self.dir / "mda.sh"
        self.mda.write_text(MDA_SCRIPT.format(out=self.out))
        self.mda.chmod(0o755)
        self.transport = transport
        self.user = user
        self.delivered = 0

    def rc(self, keep):
        if self.transport == "pop3s":
            port, tls = self.srv.pop3s_port, "ssl sslproto tls1.2+"
        else:
            # sslproto without ssl: STLS is required, not just tried.
            port, tls = self.srv.pop3_port, "sslproto tls1.2+"
        mode = "keep" if keep else "no keep flush"
        text = (
            "set no syslog\n"
            "poll 127.0.0.1 protocol pop3 port {port} uidl\n"
            '  user "{user}" there with password "{pw}" is "{local}" here\n'
            "  {tls} no sslcertck {mode}\n"
            '  mda "{mda}"\n'
        ).format(
            port=port,
            user=self.user[0],
            pw=self.user[1],
            local=getpass.getuser(),
            tls=tls,
            mode=mode,
            mda=self.mda,
        )
        path = self.dir / "fetchmailrc"
        path.write_text(text)
        path.chmod(0o600)
        return path

    def run(self, keep, expect):
        """Runs one poll; expect is fetchmail's exit status (0: mail was
        fetched, 1: no mail). Returns (new files' bytes, verbose log)."""
        env = dict(os.environ, HOME=str(self.dir), FETCHMAILHOME=str(self.dir))
        args = [
            "fetchmail",
            "--fetchmailrc",
            str(self.rc(keep)),
            "--idfile",
            str(self.dir / "fetchids"),
            "--nodetach",
            "--nosyslog",
            "-v",
        ]
        p = subprocess.run(
            args, capture_output=True, timeout=CLIENT_TIMEOUT, env=env, cwd=str(self.dir)
        )
        log = (p.stdout + p.stderr).decode("utf-8", "replace")
        assert p.returncode == expect, (p.returncode, log[-4000:])
        files = sorted(self.out.iterdir())
        new = [f.read_bytes() for f in files[self.delivered:]]
        self.delivered = len(files)
        self.check_tls(log)
        return new, log

    def check_tls(self, log):
        """The session went over TLS the way the transport says."""
        assert "SSL/TLS: using protocol TLSv1." in log, log[-4000:]
        greeting = log.index("POP3< +OK")
        if self.transport == "stls":
            assert "POP3> STLS" in log and "upgrade to TLS succeeded" in log, log[-4000:]
            assert log.index("SSL/TLS: using protocol") > greeting
        else:
            assert "POP3> STLS" not in log
            assert log.index("SSL/TLS: using protocol") < greeting


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_fetchmail_keep_then_flush(make_server, tmp_path, transport):
    srv = make_server()
    stored = fill_mailbox(srv)
    fm = Fetchmail(srv, tmp_path, transport)

    # Keep mode: every message, byte for byte (less fetchmail's Received).
    fetched, log = fm.run(keep=True, expect=0)
    assert len(fetched) == len(stored), log[-4000:]
    assert [strip_fetchmail_received(f) for f in fetched] == [lf(raw) for raw in stored]
    assert "POP3> UIDL" in log
    assert "DELE" not in log
    assert inbox_messages(srv) == stored

    # Again: the UIDs are in the id file, so nothing is fetched.
    fetched, log = fm.run(keep=True, expect=1)
    assert fetched == []
    assert "(5 seen)" in log, log[-4000:]
    assert inbox_messages(srv) == stored

    # A new message, then flush mode: the new one is fetched, everything
    # (old and new) is deleted, and the deletions take effect at QUIT.
    s = smtp_mx(srv)
    s.sendmail("dave@example.org", [ALICE[0]], message(subject="new", body="..new\r\n.\r\n"))
    s.quit()
    newest = inbox_messages(srv)[-1]
    fetched, log = fm.run(keep=False, expect=0)
    assert [strip_fetchmail_received(f) for f in fetched] == [lf(newest)]
    for n in range(1, 7):
        assert "POP3> DELE %d\n" % n in log, log[-4000:]
    assert inbox_messages(srv) == []

    # The other account was never touched.
    assert inbox_messages(srv, BOB) == []


# --- getmail6 ---


@pytest.fixture
def getmail_maildir():
    """An empty Maildir getmail can deliver to. getmail refuses to deliver as
    root (its Maildir child exits at once, and getmail 6.18 then loses the
    SIGCHLD and waits for its timeout), so under root the delivery runs as
    nobody, in a directory outside pytest's root-only temp tree."""
    top = Path(tempfile.mkdtemp(prefix="tresor-getmail-"))
    top.chmod(0o755)
    box = top / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    owner = None
    if os.geteuid() == 0:
        owner = pwd.getpwnam(GETMAIL_USER_UNDER_ROOT)
        for d in (box, box / "new", box / "cur", box / "tmp"):
            os.chown(d, owner.pw_uid, owner.pw_gid)
    yield box, owner and owner.pw_name
    shutil.rmtree(top)


def getmail_rc(srv, gdir, maildir, user, local_user):
    path = gdir / "getmailrc"
    path.write_text(
        "[retriever]\n"
        "type = SimplePOP3SSLRetriever\n"
        "server = 127.0.0.1\n"
        "port = %d\n"
        "username = %s\n"
        "password = %s\n"
        "timeout = 30\n"
        # No ca_certs: getmail does not verify the (self-signed) certificate.
        "\n"
        "[destination]\n"
        "type = Maildir\n"
        "path = %s/\n"
        "%s"
        "\n"
        "[options]\n"
        "verbose = 2\n"
        "delete = false\n"
        "read_all = false\n"
        "delivered_to = false\n"
        "received = false\n"
        % (
            srv.pop3s_port,
            user[0],
            user[1],
            maildir,
            "user = %s\n" % local_user if local_user else "",
        )
    )
    path.chmod(0o600)
    return path


def getmail(gdir, rc, *extra):
    args = ["getmail", "--getmaildir", str(gdir), "--rcfile", str(rc)] + list(extra)
    p = subprocess.run(args, capture_output=True, timeout=CLIENT_TIMEOUT)
    log = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, (p.returncode, log[-4000:])
    return log


def getmail_expected(raw):
    """What getmail writes for a stored message with delivered_to and received
    off: the message re-serialised with LF line ends, its Return-Path field
    taken out and one made from it put first (the same line: Tresor's is the
    first field), or "<unknown>" when it has none and no Sender field
    (getmailcore/message.py, Message.flatten)."""
    data = lf(raw)
    if re.match(rb"Return-Path: <[^>\n]*>\n", data):
        return data
    return b"Return-Path: <unknown>\n" + data


def maildir_files(maildir):
    return {f.name: f.read_bytes() for sub in ("new", "cur") for f in (maildir / sub).iterdir()}


def test_getmail_pop3s_keep_mode(make_server, tmp_path, getmail_maildir):
    srv = make_server()
    stored = fill_mailbox(srv, BOB)
    gdir = tmp_path / "getmail"
    gdir.mkdir()
    maildir, local_user = getmail_maildir
    rc = getmail_rc(srv, gdir, maildir, BOB, local_user)

    log = getmail(gdir, rc)
    first = maildir_files(maildir)
    assert len(first) == len(stored), log[-4000:]
    assert sorted(first.values()) == sorted(getmail_expected(raw) for raw in stored)
    assert inbox_messages(srv, BOB) == stored

    # Second run: getmail's oldmail file has every UIDL, nothing is retrieved.
    log = getmail(gdir, rc)
    assert maildir_files(maildir) == first, log[-4000:]
    assert "0 messages (0 bytes) retrieved, %d skipped" % len(stored) in log, log[-4000:]
    assert inbox_messages(srv, BOB) == stored

    # Third run with --all --delete: everything again, and INBOX is emptied.
    log = getmail(gdir, rc, "--all", "--delete")
    third = maildir_files(maildir)
    assert len(third) == 2 * len(stored), log[-4000:]
    assert sorted(third.values()) == sorted(
        getmail_expected(raw) for raw in stored + stored
    )
    assert inbox_messages(srv, BOB) == []


# --- curl ---


def curl(srv, transport, path, user=ALICE):
    if transport == "pop3s":
        url = "pop3s://127.0.0.1:%d/%s" % (srv.pop3s_port, path)
        tls = []
    else:
        url = "pop3://127.0.0.1:%d/%s" % (srv.pop3_port, path)
        tls = ["--ssl-reqd"]
    args = ["curl", "--silent", "--show-error", "--verbose", "--insecure", "--max-time", "30"]
    args += tls + ["--user", "%s:%s" % user, url]
    p = subprocess.run(args, capture_output=True, timeout=CLIENT_TIMEOUT)
    log = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, (args, p.returncode, log[-4000:])
    if transport == "stls":
        assert "> STLS" in log, log[-4000:]
    assert re.search(r"SSL connection using TLSv1\.[23]", log), log[-4000:]
    return p.stdout, log


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_curl_list_and_retr(make_server, transport):
    srv = make_server()
    stored = fill_mailbox(srv)

    listing, log = curl(srv, transport, "")
    assert "> LIST" in log
    assert listing == b"".join(b"%d %d\r\n" % (i + 1, len(raw)) for i, raw in enumerate(stored))

    for n, raw in enumerate(stored, 1):
        body, log = curl(srv, transport, str(n))
        assert "> RETR %d" % n in log
        assert body == raw, (n, body[:300], raw[:300])

    # RETR does not delete: the INBOX is as it was.
    assert inbox_messages(srv) == stored
