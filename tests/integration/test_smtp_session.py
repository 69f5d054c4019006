"""
The SMTP dialogue (RFC 5321): greeting, EHLO and its extensions, HELO, the
order of commands, RSET, NOOP, HELP, VRFY, EXPN, QUIT, PIPELINING, and the
limits on lines, recipients and errors.
"""

import socket
import time

from conftest import ALICE, BOB, RawSmtp, inbox_messages, message, smtp_mx, strip_trace


def ehlo_lines(c, name="client.example.org"):
    code, lines = c.cmd("EHLO " + name)
    assert code == 250
    return lines


def test_greeting_names_the_server(server):
    with RawSmtp(server) as c:
        code, lines = c.greeting
        assert code == 220
        assert lines[0].startswith("mail.example.test ESMTP")


def test_ehlo_announces_the_extensions(server):
    with RawSmtp(server) as c:
        lines = ehlo_lines(c)
        assert lines[0] == "mail.example.test"
        for ext in (
            "PIPELINING",
            "SIZE 52428800",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "BINARYMIME",
            "DSN",
            "STARTTLS",
        ):
            assert ext in lines, (ext, lines)


def test_ehlo_after_starttls_drops_starttls(server):
    with RawSmtp(server) as c:
        ehlo_lines(c)
        c.starttls()
        lines = ehlo_lines(c)
        assert "STARTTLS" not in lines
        assert "AUTH PLAIN LOGIN" in lines


def test_auth_not_offered_before_tls_without_loopback_plaintext(make_server):
    srv = make_server(auth={"plaintext_loopback": "0"})
    with RawSmtp(port=srv.sub_port) as c:
        lines = ehlo_lines(c)
        assert not any(l.startswith("AUTH") for l in lines)
        code, lines = c.cmd("AUTH PLAIN AGFsaWNlAHB3")
        assert code == 538, lines


def test_helo_and_missing_argument(server):
    with RawSmtp(server) as c:
        assert c.cmd("HELO")[0] == 501
        assert c.cmd("EHLO")[0] == 501
        code, lines = c.cmd("HELO client.example.org")
        assert code == 250 and lines == ["mail.example.test"]


def test_mail_before_helo_is_a_bad_sequence(server):
    with RawSmtp(server) as c:
        code, lines = c.cmd("MAIL FROM:<a@example.org>")
        assert code == 503 and lines[0].startswith("5.5.1")


def test_order_of_commands(server):
    with RawSmtp(server) as c:
        ehlo_lines(c)
        assert c.cmd("RCPT TO:<%s>" % ALICE[0])[0] == 503
        assert c.cmd("DATA")[0] == 503
        c.expect("MAIL FROM:<a@example.org>", 250)
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 503  # nested
        assert c.cmd("DATA")[0] == 554  # no valid recipients
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("RSET", 250)
        assert c.cmd("RCPT TO:<%s>" % ALICE[0])[0] == 503  # RSET ended the transaction


def test_noop_help_vrfy_expn(server):
    with RawSmtp(server) as c:
        assert c.cmd("NOOP")[0] == 250
        code, lines = c.cmd("HELP")
        assert code == 214 and len(lines) == 2
        # RFC 5321 3.5.3: 252 never tells whether an account exists.
        assert c.cmd("VRFY %s" % ALICE[0])[0] == 252
        assert c.cmd("VRFY nobody@example.test")[0] == 252
        assert c.cmd("VRFY")[0] == 501
        assert c.cmd("EXPN staff")[0] == 502


def test_unknown_command(server):
    with RawSmtp(server) as c:
        code, lines = c.cmd("FROB x")
        assert code == 500 and lines[0].startswith("5.5.2")


def test_quit_closes(server):
    with RawSmtp(server) as c:
        code, lines = c.cmd("QUIT")
        assert code == 221
        assert c.read_until_eof() == ""


def test_pipelined_transaction_gets_replies_in_order(server):
    raw = message(subject="pipelined")
    with RawSmtp(server) as c:
        ehlo_lines(c)
        c.send(
            b"MAIL FROM:<p@example.org>\r\nRCPT TO:<nobody@example.test>\r\n"
            b"RCPT TO:<%s>\r\nDATA\r\n" % ALICE[0].encode()
        )
        assert c.reply()[0] == 250
        assert c.reply()[0] == 550
        assert c.reply()[0] == 250
        assert c.reply()[0] == 354
        c.send(raw + b".\r\nNOOP\r\n")
        assert c.reply()[0] == 250
        assert c.reply()[0] == 250
    assert raw in [strip_trace(m) for m in inbox_messages(server)]


def test_command_line_over_512_octets(server):
    with RawSmtp(server) as c:
        ehlo_lines(c)
        code, lines = c.cmd("NOOP " + "x" * 600)
        assert code == 500 and lines[0].startswith("5.5.2")
        # The session goes on: the rest of the line was dropped, not run.
        assert c.cmd("NOOP")[0] == 250
        # Exactly 512 octets with CRLF is fine.
        assert c.cmd("NOOP " + "y" * (512 - 7))[0] == 250


def test_too_many_recipients(make_server):
    srv = make_server(smtp={"max_recipients": "3"})
    with RawSmtp(srv) as c:
        ehlo_lines(c)
        c.expect("MAIL FROM:<a@example.org>", 250)
        for tag in ("a", "b", "c"):
            c.expect("RCPT TO:<alice+%s@example.test>" % tag, 250)
        code, lines = c.cmd("RCPT TO:<%s>" % BOB[0])
        assert code == 452 and lines[0].startswith("4.5.3")


def test_too_many_errors_close_with_421(make_server):
    srv = make_server(smtp={"max_errors": "3"})
    with RawSmtp(srv) as c:
        for _ in range(4):
            assert c.cmd("FROB")[0] == 500
        rest = c.read_until_eof()
        assert rest.startswith("421 4.7.0"), rest


def test_idle_timeout_closes_with_421(make_server):
    srv = make_server(smtp={"timeout": "10"})
    with RawSmtp(srv, timeout=20) as c:
        start = time.monotonic()
        rest = c.read_until_eof(limit=20)
        assert rest.startswith("421 4.4.2"), rest
        assert time.monotonic() - start >= 9


def first_session(srv, deadline=5.0):
    """A session that got 220 (the start-up probes may still hold a slot)."""
    end = time.monotonic() + deadline
    while True:
        c = RawSmtp(srv)
        if c.greeting[0] == 220 or time.monotonic() > end:
            return c
        c.close()
        time.sleep(0.05)


def test_max_connections(make_server):
    srv = make_server(smtp={"max_connections": "1"})
    with first_session(srv) as c:
        assert c.greeting[0] == 220
        with socket.create_connection(("127.0.0.1", srv.mx_port), timeout=5) as s:
            data = s.recv(1000)
            assert data.startswith(b"421 4.7.0"), data
        assert c.cmd("NOOP")[0] == 250


def test_smtplib_send_to_two_accounts(server):
    raw = message(subject="two accounts", to="%s, %s" % (ALICE[0], BOB[0]))
    s = smtp_mx(server)
    refused = s.sendmail("carol@example.org", [ALICE[0], BOB[0]], raw)
    assert refused == {}
    s.quit()
    for user in (ALICE, BOB):
        assert raw in [strip_trace(m) for m in inbox_messages(server, user)]
