"""
Real SMTP clients from Debian against the real server: swaks and curl, on the
MX listener (plain and STARTTLS), on submission (STARTTLS, AUTH PLAIN and
AUTH LOGIN) and on submissions (implicit TLS). Every message is read back
over IMAP and, without the Return-Path and Received lines Tresor puts in
front, must equal the bytes the client sent, byte for byte.

What the clients send: swaks reads the file given with --data @FILE, ends it
with CRLF "." CRLF and dot-stuffs it, so the message is the file plus one
CRLF (the files here are CRLF throughout and free of swaks' %TOKENS% and of
literal backslash-n). curl --upload-file sends the file as it is (dot-stuffed)
and adds only the final "." when the file ends with CRLF.

swaks 20201014 (Debian 12) has no BDAT, so CHUNKING is not exercised here.
Submission also checks what the server adds (RFC 6409 8.2, 8.3: Date and
Message-ID when missing) and that remote recipients go to the outbound queue.
"""

import email.utils
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import ALICE, BOB, inbox_messages, strip_trace, unique

CLIENT_TIMEOUT = 60


@pytest.fixture(scope="module")
def srv(server):
    """The module's server, once its SMTP listeners accept connections too
    (conftest's start() waits for the IMAP ports only)."""
    wait_listening(server.mx_port, server.sub_port, server.subs_port)
    return server


def wait_listening(*ports, limit=30.0):
    deadline = time.monotonic() + limit
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "port %d does not listen" % port
                time.sleep(0.05)


def need(tool, package):
    if shutil.which(tool) is None:
        pytest.skip("%s is not installed (apt-get install %s)" % (tool, package))


def eml(subject, sender, to, date=True, body_lines=None):
    """A CRLF message with a unique Message-ID; ends without the last CRLF.

    The body has a line starting with "." (the client must dot-stuff it and
    the server must take the stuffing off), trailing white space, a tab and
    an empty line."""
    marker = unique("smtpclient")
    head = ["From: %s" % sender, "To: %s" % to, "Subject: %s %s" % (subject, marker)]
    if date:
        head += ["Date: Mon, 7 Feb 2022 21:52:25 +0000", "Message-ID: <%s@example.org>" % marker]
    body = body_lines or [
        "Hello from a real client.",
        ".a line that starts with a dot",
        "..and one with two",
        "trailing spaces   ",
        "\ttab-indented",
        "",
        "The end.",
    ]
    return marker, "\r\n".join(head + [""] + body).encode()


def stored_one(srv, user, marker):
    """The one message of user's INBOX that carries marker."""
    found = [m for m in inbox_messages(srv, user) if marker.encode() in m]
    assert len(found) == 1, "%d messages with %s in %s's INBOX" % (len(found), marker, user[0])
    return found[0]


def received_line(stored):
    """The Received header Tresor wrote, unfolded."""
    found = re.search(rb"^Received: .*?(?=\r\n[^\t])", stored, re.S | re.M)
    assert found, stored[:400]
    return found.group(0).replace(b"\r\n\t", b" ").decode()


# --- swaks ---


def swaks(port, sender, rcpts, data_file, *extra, expect=0):
    need("swaks", "swaks")
    args = [
        "swaks",
        "--server", "127.0.0.1",
        "--port", str(port),
        "--helo", "client.example.org",
        "--from", sender,
        "--to", ",".join(rcpts),
        "--data", "@%s" % data_file,
        "--timeout", "30",
    ] + list(extra)
    p = subprocess.run(args, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    out = p.stdout + p.stderr
    assert p.returncode == expect, "swaks exited %d, expected %d:\n%s" % (
        p.returncode,
        expect,
        out,
    )
    return out


def auth_args(mechanism, user=ALICE):
    return ["--auth", mechanism, "--auth-user", user[0], "--auth-password", user[1]]


def swaks_roundtrip(srv, tmp_path, port, rcpts, *extra, sender="carol@example.org", date=True):
    """Sends a fresh message with swaks; returns (marker, bytes sent, swaks output)."""
    marker, raw = eml("swaks", sender, rcpts[0], date=date)
    path = tmp_path / ("%s.eml" % marker)
    path.write_bytes(raw)
    out = swaks(port, sender, rcpts, path, *extra)
    assert re.search(r"^<[-~] +250 2\.0\.0 ", out, re.M), out
    return marker, raw + b"\r\n", out


def test_swaks_mx_plain(srv, tmp_path):
    marker, sent, out = swaks_roundtrip(srv, tmp_path, srv.mx_port, [ALICE[0]])
    assert "TLS started" not in out
    stored = stored_one(srv, ALICE, marker)
    assert strip_trace(stored) == sent
    assert stored.startswith(b"Return-Path: <carol@example.org>\r\n")
    assert " with ESMTP id " in received_line(stored)


def test_swaks_mx_starttls(srv, tmp_path):
    marker, sent, out = swaks_roundtrip(srv, tmp_path, srv.mx_port, [ALICE[0]], "-tls")
    assert "=== TLS started" in out, out
    stored = stored_one(srv, ALICE, marker)
    assert strip_trace(stored) == sent
    # RFC 3848: "ESMTPS" records that the message came over TLS.
    assert " with ESMTPS id " in received_line(stored)


def test_swaks_mx_pipelining_two_recipients(srv, tmp_path):
    marker, sent, out = swaks_roundtrip(
        srv, tmp_path, srv.mx_port, [ALICE[0], BOB[0]], "--pipeline"
    )
    assert re.search(r"^<- +250-PIPELINING", out, re.M), out
    # RFC 2920 3.1: MAIL, both RCPTs and DATA went in one batch, then the replies.
    batch = r"^ -> MAIL FROM:.*\n -> RCPT TO:.*\n -> RCPT TO:.*\n -> DATA\n<- +250 2\.1\.0 "
    assert re.search(batch, out, re.M), out
    for user in (ALICE, BOB):
        assert strip_trace(stored_one(srv, user, marker)) == sent


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks_submission_starttls_auth(srv, tmp_path, mechanism):
    marker, sent, out = swaks_roundtrip(
        srv,
        tmp_path,
        srv.sub_port,
        [BOB[0]],
        "-tls",
        *auth_args(mechanism),
        sender=ALICE[0],
    )
    assert "=== TLS started" in out, out
    assert re.search(r"^ ~> AUTH %s" % mechanism, out, re.M), out
    assert re.search(r"^<~ +235 ", out, re.M), out
    stored = stored_one(srv, BOB, marker)
    # Date and Message-ID were there, so submission adds nothing.
    assert strip_trace(stored) == sent
    assert stored.startswith(b"Return-Path: <alice@example.test>\r\n")
    assert " with ESMTPSA id " in received_line(stored)


def test_swaks_submissions_implicit_tls(srv, tmp_path):
    marker, sent, out = swaks_roundtrip(
        srv, tmp_path, srv.subs_port, [BOB[0]], "--tlsc", *auth_args("PLAIN"), sender=ALICE[0]
    )
    assert "=== TLS started" in out, out
    assert "STARTTLS" not in out, out
    stored = stored_one(srv, BOB, marker)
    assert strip_trace(stored) == sent
    assert " with ESMTPSA id " in received_line(stored)


def split_header_block(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data[:400]
    return head.split(b"\r\n"), body


def test_swaks_submission_adds_missing_date_and_message_id(srv, tmp_path):
    before = time.time()
    marker, sent, _ = swaks_roundtrip(
        srv,
        tmp_path,
        srv.sub_port,
        [BOB[0]],
        "-tls",
        *auth_args("PLAIN"),
        sender=ALICE[0],
        date=False,
    )
    stored = strip_trace(stored_one(srv, BOB, marker))
    lines, body = split_header_block(stored)
    sent_lines, sent_body = split_header_block(sent)
    added = [line for line in lines if line not in sent_lines]
    assert len(added) == 2, added
    assert [line for line in lines if line in sent_lines] == sent_lines
    assert body == sent_body
    dates = [line for line in added if line.startswith(b"Date: ")]
    ids = [line for line in added if line.startswith(b"Message-ID: ")]
    assert len(dates) == 1 and len(ids) == 1, added
    # RFC 5322 3.3 and 3.6.4: a parseable date of now, a msg-id <left@right>.
    when = email.utils.parsedate_to_datetime(dates[0][6:].decode()).timestamp()
    assert before - 5 <= when <= time.time() + 5, dates[0]
    assert re.fullmatch(rb"Message-ID: <[\x21-\x3d\x3f-\x7e]+@[\x21-\x3d\x3f-\x7e]+>", ids[0])


def queue_entries(srv):
    """[(id, line)] of `tresor queue list`."""
    out = srv.cli("queue", "list").stdout
    return [(int(m.group(1)), m.group(0)) for m in re.finditer(r"^id=(\d+) .*$", out, re.M)]


def queued_for(srv, address):
    """(id, `queue show` output) of the one queued message addressed to address."""
    found = []
    for qid, _ in queue_entries(srv):
        shown = srv.cli("queue", "show", str(qid)).stdout
        if re.search(r"^rcpt: <%s>" % re.escape(address), shown, re.M):
            found.append((qid, shown))
    assert len(found) == 1, (address, found)
    return found[0]


def test_swaks_submission_remote_recipient_is_queued(srv, tmp_path):
    remote = "%s@remote.example" % unique("someone")
    marker, sent, _ = swaks_roundtrip(
        srv, tmp_path, srv.sub_port, [BOB[0], remote], "-tls", *auth_args("LOGIN"), sender=ALICE[0]
    )
    # The local recipient has it now; the remote one waits in the queue.
    assert strip_trace(stored_one(srv, BOB, marker)) == sent
    qid, shown = queued_for(srv, remote)
    line = dict(queue_entries(srv))[qid]
    assert "from=<alice@example.test>" in line and "rcpts=1" in line, line
    assert re.search(r"^from: <alice@example\.test>$", shown, re.M), shown
    assert re.search(r"^user: alice@example\.test$", shown, re.M), shown
    assert not re.search(r"^rcpt: <bob@example\.test>", shown, re.M), shown
    assert sent.decode().replace("\r\n", "\n") in shown


def test_queued_copy_has_no_return_path(srv, tmp_path):
    """RFC 5321 4.4: only the final delivery adds Return-Path; the copy queued
    for another server starts with the Received line (deliver.c says so too)."""
    remote = "%s@remote.example" % unique("someone")
    _, sent, _ = swaks_roundtrip(
        srv, tmp_path, srv.sub_port, [remote], "-tls", *auth_args("PLAIN"), sender=ALICE[0]
    )
    _, shown = queued_for(srv, remote)
    data = shown.split("\n\n", 1)[1]
    assert data.startswith("Received: from client.example.org "), data[:300]
    assert data.endswith(sent.decode().replace("\r\n", "\n")), data[-300:]


def test_swaks_unknown_local_user_gets_550(srv, tmp_path):
    nobody = "%s@example.test" % unique("nobody")
    _, raw = eml("unknown", "carol@example.org", nobody)
    path = tmp_path / "unknown.eml"
    path.write_bytes(raw)
    # swaks exit code 24: no RCPT accepted.
    out = swaks(srv.mx_port, "carol@example.org", [nobody], path, expect=24)
    assert re.search(r"^<\*\* +550 5\.1\.1 ", out, re.M), out
    assert not re.search(r"^ -> DATA", out, re.M), out


# --- curl ---


def curl(url, sender, rcpts, data_file, *extra, expect=0):
    need("curl", "curl")
    args = ["curl", "--verbose", "--silent", "--show-error", "--max-time", "30"]
    args += [url, "--mail-from", sender, "--upload-file", str(data_file)] + list(extra)
    for rcpt in rcpts:
        args += ["--mail-rcpt", rcpt]
    p = subprocess.run(args, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    out = p.stdout + p.stderr
    assert p.returncode == expect, "curl exited %d, expected %d:\n%s" % (
        p.returncode,
        expect,
        out,
    )
    return out


def curl_roundtrip(tmp_path, url, rcpts, *extra, sender="carol@example.org"):
    """Sends a fresh CRLF message (ending in CRLF) with curl: (marker, bytes sent)."""
    marker, raw = eml("curl", sender, rcpts[0])
    raw += b"\r\n"
    path = tmp_path / ("%s.eml" % marker)
    path.write_bytes(raw)
    out = curl(url, sender, rcpts, path, *extra)
    assert re.search(r"^< 250 2\.0\.0 ", out, re.M), out
    return marker, raw, out


def smtp_url(scheme, port):
    # The URL's path is curl's EHLO name.
    return "%s://127.0.0.1:%d/client.example.org" % (scheme, port)


def login_args(user=ALICE):
    return ["--user", "%s:%s" % user]


def test_curl_mx(srv, tmp_path):
    marker, sent, out = curl_roundtrip(tmp_path, smtp_url("smtp", srv.mx_port), [ALICE[0]])
    assert "> EHLO client.example.org" in out, out
    stored = stored_one(srv, ALICE, marker)
    assert strip_trace(stored) == sent
    assert " with ESMTP id " in received_line(stored)


def test_curl_submission_starttls(srv, tmp_path):
    marker, sent, out = curl_roundtrip(
        tmp_path,
        smtp_url("smtp", srv.sub_port),
        [BOB[0]],
        "--ssl-reqd",
        "--insecure",
        *login_args(),
        sender=ALICE[0],
    )
    assert "> STARTTLS" in out and re.search(r"^< 235 ", out, re.M), out
    stored = stored_one(srv, BOB, marker)
    assert strip_trace(stored) == sent
    assert " with ESMTPSA id " in received_line(stored)


def test_curl_submissions(srv, tmp_path):
    marker, sent, out = curl_roundtrip(
        tmp_path,
        smtp_url("smtps", srv.subs_port),
        [BOB[0], ALICE[0]],
        "--insecure",
        *login_args(),
        sender=ALICE[0],
    )
    assert "> STARTTLS" not in out and re.search(r"^< 235 ", out, re.M), out
    for user in (BOB, ALICE):
        stored = stored_one(srv, user, marker)
        assert strip_trace(stored) == sent
        assert " with ESMTPSA id " in received_line(stored)


def test_curl_mx_refuses_relay_without_auth(srv, tmp_path):
    remote = "%s@remote.example" % unique("someone")
    marker, raw = eml("relay", "carol@example.org", remote)
    path = tmp_path / "relay.eml"
    path.write_bytes(raw + b"\r\n")
    before = [qid for qid, _ in queue_entries(srv)]
    # curl exit code 55: "RCPT failed: 554".
    out = curl(smtp_url("smtp", srv.mx_port), "carol@example.org", [remote], path, expect=55)
    assert re.search(r"^< 554 5\.7\.1 ", out, re.M), out
    assert "> DATA" not in out, out
    assert [qid for qid, _ in queue_entries(srv)] == before
