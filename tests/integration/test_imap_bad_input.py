"""Hostile and malformed input: long lines, bad syntax, NUL bytes, literals
over the limits (RFC 7888 LITERAL-, RFC 7889 APPENDLIMIT), bad-command limits,
the idle timeout (RFC 9051 5.4). The session must answer and go on, or say
BYE and close; the server must never crash (ASan checks at teardown)."""

import os
import socket
import time

import pytest

from conftest import ALICE, RawImap, append, login, message, new_server

LINE_MAX = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # LITERAL- and a small APPENDLIMIT for the literal tests.
    srv = new_server(
        tmp_path_factory.mktemp("badinput"),
        users=(ALICE,),
        imap={"literal_plus": "0", "append_limit": "1024"},
    )
    yield srv
    srv.stop_or_fail()


@pytest.fixture
def c(server):
    conn = RawImap(server).login(ALICE)
    yield conn
    conn.close()


def still_alive(c):
    assert c.cmd("NOOP", tag="alive") == ([], "alive OK NOOP completed")


def test_capability_says_literal_minus(c):
    untagged, _ = c.cmd("CAPABILITY")
    words = untagged[0].split()
    assert "LITERAL-" in words and "LITERAL+" not in words
    assert "APPENDLIMIT=1024" in words


def test_line_over_64k_is_bad_and_the_session_goes_on(c):
    c.send("long NOOP " + "x" * (LINE_MAX + 100) + "\r\n")
    assert c.readline() == "long BAD Line too long"
    still_alive(c)
    # Even longer, sent in pieces.
    c.send("long2 NOOP ")
    for _ in range(4):
        c.send("y" * LINE_MAX)
    c.send("\r\n")
    assert c.readline() == "long2 BAD Line too long"
    still_alive(c)


def test_line_just_under_the_limit_is_parsed(c):
    # A long but valid line: an ID list of many short strings.
    pairs = " ".join('"k%d" "v"' % i for i in range(5000))
    line = "under ID (%s)" % pairs
    assert len(line) < LINE_MAX - 2
    untagged, tagged = c.cmd(line[len("under "):], tag="under")
    # RFC 2971 limits ID to 30 pairs: either answer is fine, but an answer it is.
    assert tagged.startswith("under OK ") or tagged.startswith("under BAD "), tagged
    still_alive(c)


def test_unknown_command(c):
    assert c.cmd("FROBNICATE", tag="u1") == ([], "u1 BAD Unknown command")
    assert c.cmd("UID FROBNICATE 1", tag="u2") == ([], "u2 BAD Unknown command")
    still_alive(c)


def test_syntax_errors(c):
    for tag, line, reply in (
        ("s1", "s1\r\n", "s1 BAD Missing command"),
        ("*", "\r\n", "* BAD Missing tag"),
        ("s3", 's3 SELECT "unterminated\r\n', "s3 BAD Unterminated quoted string"),
        ("s4", "s4 ID " + "(" * 100 + ")" * 100 + "\r\n", "s4 BAD Too deep nesting"),
        ("s5", "s5 ID {99999999999999999999}\r\n", "s5 BAD Invalid literal"),
        ("*", "t" * 100 + " NOOP\r\n", "* BAD Tag too long"),
        ("s7", "s7 NOOP \xff\r\n", "s7 BAD 8-bit byte outside a string"),
    ):
        c.send(line.encode("latin-1"))
        assert c.read_response(tag) == ([], reply), line
    still_alive(c)


def test_malformed_sequence_sets(c):
    c.ok("SELECT INBOX")
    for tag, cmd in (
        ("q1", "STORE 1:x +FLAGS (\\Seen)"),
        ("q2", "STORE ,, +FLAGS (\\Seen)"),
        ("q3", "COPY *:: INBOX"),
        ("q4", "STORE 1:2:3 +FLAGS (\\Seen)"),
        ("q5", "UID STORE -1 +FLAGS (\\Seen)"),
        ("q6", "UID STORE 4294967296 +FLAGS (\\Seen)"),
        ("q7", "UID EXPUNGE 1,"),
    ):
        _, tagged = c.cmd(cmd, tag=tag)
        assert tagged.startswith(tag + " BAD "), (cmd, tagged)
    still_alive(c)


def test_nul_byte_in_a_command(c):
    c.send(b"z1 NOOP\0\r\n")
    assert c.read_response("z1") == ([], "z1 BAD NUL byte in command")
    c.send(b'z2 SELECT "IN\0BOX"\r\n')
    assert c.read_response("z2") == ([], "z2 BAD NUL byte in command")
    still_alive(c)


def test_nul_byte_in_login_before_authentication(server):
    with RawImap(server) as c:
        c.send(b'z LOGIN "alice@example.test\0" "x"\r\n')
        assert c.read_response("z") == ([], "z BAD NUL byte in command")
        c.login()


def test_nonsync_literal_over_4096_with_literal_minus(c):
    c.send("big ID {5000+}\r\n" + "x" * 5000 + "\r\n")
    assert c.readline() == "big BAD [TOOBIG] Non-synchronizing literal over 4096 bytes (LITERAL-)"
    still_alive(c)
    # Within the limit it is accepted.
    c.send('ok ID ("name" {4096+}\r\n' + "n" * 4096 + ")\r\n")
    untagged, tagged = c.read_response("ok")
    assert tagged == "ok OK ID completed"
    # A refused APPEND literal is skipped too, and stores nothing.
    c.send("ap APPEND INBOX {5000+}\r\n" + "m" * 5000 + "\r\n")
    assert c.readline().startswith("ap BAD [TOOBIG] ")
    still_alive(c)
    untagged, _ = c.cmd("STATUS INBOX (MESSAGES)")
    assert untagged == ['* STATUS "INBOX" (MESSAGES 0)']


def test_sync_literal_over_appendlimit_gets_no_continuation(c):
    c.send("ap APPEND INBOX (\\Seen) {1025}\r\n")
    # NO at once: no "+" continuation, and the server does not wait for the data.
    assert c.readline() == "ap NO [TOOBIG] Message is larger than APPENDLIMIT"
    assert c.nothing_pending(0.2)
    still_alive(c)


def test_sync_literal_over_the_command_limit(c):
    c.send("id ID {70000}\r\n")
    assert c.readline() == "id BAD [TOOBIG] Literal too large"
    still_alive(c)


def test_literal_marker_then_disconnect(server):
    """A client that announces a literal and vanishes must not hurt the server."""
    for data in (b"a LOGIN {10}\r\n", b"a LOGIN {4000+}\r\nabc", b"a NOOP " + b"x" * 70000):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.recv(4096)
        s.sendall(data)
        s.close()
    with RawImap(server) as c:
        c.login()


def test_more_than_3_bad_commands_before_login(server):
    with RawImap(server) as c:
        for i in range(4):
            assert c.cmd("BOGUS%d" % i, tag="b%d" % i) == ([], "b%d BAD Unknown command" % i)
        assert c.read_until_eof() == "* BYE Too many invalid commands\r\n"


def test_3_bad_commands_before_login_are_tolerated(server):
    with RawImap(server) as c:
        for i in range(3):
            c.cmd("BOGUS", tag="b%d" % i)
        c.login()
        still_alive(c)


def test_more_than_20_bad_commands_after_login(c):
    for i in range(21):
        assert c.cmd("BOGUS", tag="b%d" % i) == ([], "b%d BAD Unknown command" % i)
    assert c.read_until_eof() == "* BYE Too many invalid commands\r\n"


def test_bad_commands_pipelined_in_one_write(server):
    """The limit holds when the bad commands arrive all at once."""
    with RawImap(server) as c:
        c.send("".join("p%d BOGUS\r\n" % i for i in range(10)))
        data = c.read_until_eof()
        lines = data.split("\r\n")
        assert lines[:4] == ["p%d BAD Unknown command" % i for i in range(4)]
        assert lines[4:] == ["* BYE Too many invalid commands", ""]


def test_garbage_bytes(server):
    blob = bytes(range(256)) * 20
    with RawImap(server) as c:
        c.send(blob + b"\r\n")
        # Whatever the answers, the connection ends with BYE or stays usable.
        try:
            c.login()
            still_alive(c)
        except (EOFError, AssertionError, ConnectionResetError):
            pass
    with RawImap(server) as c:
        c.login()


def test_idle_timeout(make_server):
    srv = make_server(imap={"idle_timeout": "3"}, users=(ALICE,))
    with RawImap(srv, timeout=30) as c:
        c.login()
        t0 = time.monotonic()
        data = c.read_until_eof(limit=30)
        assert data == "* BYE Autologout; idle for too long\r\n"
        assert 2.5 <= time.monotonic() - t0 < 10


def test_fetch_response_over_the_buffer_limit_says_limit(make_server):
    """A FETCH whose response would pass [imap] fetch_buffer_max stops after the
    message that crossed it, with NO [LIMIT]; every message sent is whole, and a
    smaller request then gets the rest."""
    srv = make_server(imap={"fetch_buffer_max": "65536"}, users=(ALICE,))
    m = login(srv)
    bodies = []
    for i in range(4):
        raw = message(subject="big %d" % i, body=("%d" % i) * 40000 + "\r\n")
        bodies.append(raw)
        append(m, "INBOX", raw)
    m.logout()
    with RawImap(srv) as c:
        c.login()
        c.ok("SELECT INBOX")
        untagged, tagged = c.cmd("FETCH 1:4 BODY.PEEK[]", tag="f1")
        assert tagged == "f1 NO [LIMIT] Response too large: fetch fewer messages at a time"
        got = [u for u in untagged if " FETCH " in u]
        assert len(got) == 2  # the second one crossed 64 KiB
        for n, line in enumerate(got, start=1):
            assert line.startswith("* %d FETCH (BODY[] {%d}\r\n" % (n, len(bodies[n - 1])))
            assert line.endswith(bodies[n - 1].decode() + ")")
        # The rest fits: the limit is checked before each message.
        untagged, tagged = c.cmd("FETCH 3:4 BODY.PEEK[]", tag="f2")
        assert tagged == "f2 OK FETCH completed"
        assert len([u for u in untagged if " FETCH " in u]) == 2
