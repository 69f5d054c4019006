"""
Bad input gets a clear answer and nothing is lost: SMTP smuggling (only
CRLF.CRLF ends DATA; bare LF and bare CR are refused with 550 5.6.0), the
STARTTLS command injection (CVE-2011-0411), over-long text lines, the size
limit enforced while reading, NUL bytes, malformed and non-UTF-8 addresses,
and failed AUTH answered late and throttled.
"""

import base64
import time

import pytest

from conftest import (
    ALICE,
    BOB,
    RawSmtp,
    inbox_messages,
    message,
    no_verify_context,
    strip_trace,
    unique,
)


def open_data(c, rcpt=ALICE[0]):
    c.expect("EHLO client.example.org", 250)
    c.expect("MAIL FROM:<carol@example.org>", 250)
    c.expect("RCPT TO:<%s>" % rcpt, 250)
    c.expect("DATA", 354)


SMUGGLING_ENDS = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r\n.\r", b"\r\n.\n", b"\n.\r"]


@pytest.mark.parametrize("fake_end", SMUGGLING_ENDS, ids=lambda e: repr(e)[2:-1])
def test_smuggling_variants_never_end_data(server, fake_end):
    token = unique("smuggled").encode()
    with RawSmtp(server) as c:
        open_data(c)
        # What a lenient server would read as the end, then a second, smuggled transaction.
        c.send(
            b"Subject: outer\r\n\r\nhello"
            + fake_end
            + b"MAIL FROM:<admin@example.test>\r\nRCPT TO:<%s>\r\nDATA\r\n" % BOB[0].encode()
            + b"Subject: " + token + b"\r\n\r\nsmuggled\r\n.\r\n"
        )
        # One reply only: the whole thing was one message, refused for its bare line end.
        code, lines = c.reply()
        assert code == 550 and lines[0].startswith("5.6.0"), lines
        assert c.cmd("NOOP")[0] == 250
    for user in (ALICE, BOB):
        assert not [m for m in inbox_messages(server, user) if token in m]


def test_bare_lf_inside_a_line_is_refused(server):
    with RawSmtp(server) as c:
        open_data(c)
        c.send(b"Subject: x\r\n\r\nline\nwith bare lf\r\n.\r\n")
        code, lines = c.reply()
        assert code == 550 and lines[0].startswith("5.6.0")


def test_crlf_dot_crlf_alone_ends_data(server):
    raw = message(subject="dots", body="a\r\n.\r\n".replace(".", "..") + "b\r\n")
    with RawSmtp(server) as c:
        open_data(c)
        c.send(raw + b".\r\n")
        assert c.reply()[0] == 250
    stored = [strip_trace(m) for m in inbox_messages(server)]
    assert raw.replace(b"\r\n..\r\n", b"\r\n.\r\n") in stored


@pytest.mark.parametrize("listener", ["mx", "submission"])
def test_starttls_injection_is_discarded(server, listener):
    port = server.mx_port if listener == "mx" else server.sub_port
    with RawSmtp(server, port=port) as c:
        c.expect("EHLO x", 250)
        # CVE-2011-0411: commands in the same packet as STARTTLS.
        c.send("STARTTLS\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<%s>\r\n" % ALICE[0])
        code, _ = c.reply()
        assert code == 220
        c.sock = no_verify_context().wrap_socket(c.sock)
        c.buf = b""
        # Nothing of the injected transaction exists inside TLS.
        assert c.cmd("RCPT TO:<%s>" % ALICE[0])[0] == 503
        # And the session started over: EHLO is needed again.
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 503
        c.expect("EHLO x", 250)


def test_text_line_over_the_limit(make_server):
    srv = make_server(smtp={"max_line_length": "998"})
    with RawSmtp(srv) as c:
        open_data(c)
        c.send(b"Subject: long\r\n\r\n" + b"a" * 999 + b"\r\n.\r\n")
        code, lines = c.reply()
        assert code == 552, lines
        # Exactly 998 is fine.
        raw = message(subject="998", body="b" * 998 + "\r\n")
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        assert c.reply()[0] == 250


def test_size_enforced_while_reading(make_server):
    srv = make_server(smtp={"max_message_size": "4096"})
    with RawSmtp(srv) as c:
        open_data(c)
        # 200 KiB against a 4 KiB limit: read to the end, refused, session goes on.
        c.send(b"Subject: big\r\n\r\n" + (b"x" * 100 + b"\r\n") * 2000 + b".\r\n")
        code, lines = c.reply()
        assert code == 552 and lines[0].startswith("5.3.4"), lines
        assert c.cmd("NOOP")[0] == 250
    assert inbox_messages(srv) == []


def test_nul_byte_in_data(server):
    with RawSmtp(server) as c:
        open_data(c)
        c.send(b"Subject: nul\r\n\r\nbad \x00 byte\r\n.\r\n")
        code, lines = c.reply()
        assert code == 550 and lines[0].startswith("5.6.0")


def test_nul_byte_in_command(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        code, _ = c.cmd("MAIL FROM:<a\x00b@example.org>")
        assert code == 500


@pytest.mark.parametrize(
    "path",
    ["<alice@>", "<@example.test>", "<alice@@example.test>", "alice@example.test", "<a b@c.d>",
     "<%s@example.test>" % ("x" * 65)],
)
def test_malformed_recipient(server, path):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        code, lines = c.cmd("RCPT TO:%s" % path)
        assert code == 501, (path, lines)


def test_invalid_utf8_address(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        c.send(b"MAIL FROM:<\xc3\x28@example.org> SMTPUTF8\r\n")
        code, lines = c.reply()
        assert code == 501 and lines[0].startswith("5.1.7"), lines


def test_malformed_sender(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        code, lines = c.cmd("MAIL FROM:<carol@@example.org>")
        assert code == 501 and lines[0].startswith("5.1.7"), lines


def plain(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def test_auth_plain_and_login(server):
    with RawSmtp(server, port=server.sub_port) as c:
        c.expect("EHLO x", 250)
        c.expect("AUTH PLAIN " + plain(*ALICE), 235)
        assert c.cmd("AUTH PLAIN " + plain(*ALICE))[0] == 503
    with RawSmtp(server, port=server.sub_port) as c:
        c.expect("EHLO x", 250)
        code, lines = c.cmd("AUTH LOGIN")
        assert code == 334 and base64.b64decode(lines[0]) == b"Username:"
        code, lines = c.cmd(base64.b64encode(BOB[0].encode()).decode())
        assert code == 334 and base64.b64decode(lines[0]) == b"Password:"
        c.expect(base64.b64encode(BOB[1].encode()).decode(), 235)


def test_auth_cancel_and_garbage(server):
    with RawSmtp(server, port=server.sub_port) as c:
        c.expect("EHLO x", 250)
        c.expect("AUTH LOGIN", 334)
        assert c.cmd("*")[0] == 501
        assert c.cmd("AUTH PLAIN !!!notbase64")[0] == 501
        assert c.cmd("AUTH CRAM-MD5")[0] == 504


def test_failed_auth_is_delayed_and_throttled(make_server):
    srv = make_server(auth={"failure_delay_ms": "300"})
    with RawSmtp(srv, port=srv.sub_port) as c:
        c.expect("EHLO x", 250)
        times = []
        for _ in range(3):
            start = time.monotonic()
            code, lines = c.cmd("AUTH PLAIN " + plain(ALICE[0], "wrong"))
            times.append(time.monotonic() - start)
            assert code == 535 and lines[0].startswith("5.7.8")
        assert times[0] >= 0.3
        # The throttle adds a delay that grows with the failures from this address.
        assert times[2] > times[0] + 0.4, times


def test_memory_budget_refuses_for_now_and_is_given_back(make_server):
    srv = make_server(smtp={"memory_max": str(1 << 20), "max_message_size": str(4 << 20)})
    big = message(subject="over budget", body=("z" * 998 + "\r\n") * 1500)  # 1.5 MB
    small = message(subject="within budget", body=("y" * 998 + "\r\n") * 100)
    with RawSmtp(srv) as c:
        for raw, expected in ((big, 452), (small, 250), (big, 452), (small, 250)):
            open_data(c)
            c.send(raw + b".\r\n")
            code, lines = c.reply()
            assert code == expected, lines
            if code == 452:
                assert lines[0].startswith("4.3.1"), lines
    stored = [strip_trace(m) for m in inbox_messages(srv)]
    assert stored == [small, small]
