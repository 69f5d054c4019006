"""
POP3 (RFC 1939, RFC 2449, RFC 5034, RFC 2595) with Python's poplib and a raw
client: every command and response code, the maildrop as it stood at login,
DELE taking effect only at QUIT, UIDL stable across sessions and restarts and
tied to IMAP's UIDs, [IN-USE], IMAP and POP3 side by side, and bad input.
"""

import base64
import poplib
import re
import time

import pytest

from conftest import (
    ALICE,
    BOB,
    RawClient,
    append,
    login,
    message,
    no_verify_context,
    pop3_plain,
    pop3_stls,
    pop3_tls,
)


class RawPop(RawClient):
    """Line-level POP3: every byte the server sends."""

    def __init__(self, srv, tls=False):
        super().__init__(srv.pop3s_port if tls else srv.pop3_port, tls)
        self.greeting = self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multiline(self):
        lines = []
        while True:
            line = self.line()
            if line == ".":
                return lines
            lines.append(line)


def fill(srv, user, raws):
    """APPENDs the messages to INBOX over IMAP; returns their UIDs."""
    m = login(srv, user)
    uids = [append(m, "INBOX", raw) for raw in raws]
    m.logout()
    return uids


def pop_login(srv, user=ALICE, conn=pop3_plain):
    p = conn(srv)
    p.user(user[0])
    p.pass_(user[1])
    return p


@pytest.fixture
def srv(make_server):
    return make_server()


def test_greeting_and_capa(srv):
    p = pop3_plain(srv)
    assert p.getwelcome().startswith(b"+OK")
    caps = p.capa()
    for cap in ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS"):
        assert cap in caps, caps
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    assert caps["IMPLEMENTATION"] == ["Tresor"]
    p.quit()


def test_stat_list_retr_top_uidl(srv):
    raws = [message(subject="m%d" % i, body="line %d\r\n.dot line\r\nlast\r\n" % i) for i in range(3)]
    uids = fill(srv, ALICE, raws)
    p = pop_login(srv)
    count, size = p.stat()
    assert count == 3 and size == sum(len(r) for r in raws)
    resp, listing, _ = p.list()
    assert [l.decode() for l in listing] == ["%d %d" % (i + 1, len(r)) for i, r in enumerate(raws)]
    assert p.list(2) == b"+OK 2 %d" % len(raws[1])
    # RETR: the stored bytes; poplib undoes the byte-stuffing of ".dot line".
    resp, lines, octets = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == raws[0]
    # TOP 0: header and the blank line; TOP 1: one body line more.
    head = raws[2].split(b"\r\n\r\n")[0]
    assert b"\r\n".join(p.top(3, 0)[1]) == head + b"\r\n"
    assert p.top(3, 1)[1][-1] == b"line 2"
    # UIDL: the IMAP UID and UIDVALIDITY, in hex.
    ids = [l.decode().split() for l in p.uidl()[1]]
    assert [int(i[0]) for i in ids] == [1, 2, 3]
    assert [int(i[1][:8], 16) for i in ids] == uids
    assert p.uidl(3).split()[2] == ids[2][1].encode()
    assert p.noop().startswith(b"+OK")
    p.quit()


def test_dele_takes_effect_at_quit_and_imap_sees_it(srv):
    raws = [message(subject="d%d" % i) for i in range(3)]
    fill(srv, ALICE, raws)
    watcher = login(srv, ALICE)
    watcher.select("INBOX")
    p = pop_login(srv)
    assert p.dele(2).startswith(b"+OK")
    with pytest.raises(poplib.error_proto, match="deleted"):
        p.retr(2)
    with pytest.raises(poplib.error_proto):
        p.dele(2)
    assert p.stat() == (2, len(raws[0]) + len(raws[2]))
    # Still there for IMAP until QUIT.
    typ, data = watcher.search(None, "ALL")
    assert data[0].split() == [b"1", b"2", b"3"]
    p.quit()
    typ, data = watcher.noop()
    typ, data = watcher.search(None, "ALL")
    assert data[0].split() == [b"1", b"2"]
    watcher.logout()
    p = pop_login(srv)
    assert p.stat()[0] == 2
    p.quit()


def test_rset_undoes_dele(srv):
    fill(srv, ALICE, [message(subject="r1"), message(subject="r2")])
    p = pop_login(srv)
    p.dele(1)
    p.dele(2)
    assert p.stat()[0] == 0
    assert p.rset().startswith(b"+OK")
    assert p.stat()[0] == 2
    p.quit()
    assert pop_login(srv).stat()[0] == 2


def test_dropped_connection_deletes_nothing(srv):
    fill(srv, ALICE, [message(subject="keep")])
    with RawPop(srv) as c:
        assert c.cmd("USER %s" % ALICE[0]).startswith("+OK")
        assert c.cmd("PASS %s" % ALICE[1]).startswith("+OK")
        assert c.cmd("DELE 1").startswith("+OK")
    # The connection ended without QUIT; the lock goes with it.
    deadline = time.monotonic() + 5
    while True:
        try:
            p = pop_login(srv)
            break
        except poplib.error_proto as e:
            assert b"IN-USE" in e.args[0] and time.monotonic() < deadline
            time.sleep(0.05)
    assert p.stat()[0] == 1
    p.quit()


def test_uidl_stable_across_sessions_and_restart(srv):
    fill(srv, ALICE, [message(subject="u%d" % i) for i in range(3)])
    p = pop_login(srv)
    first = p.uidl()[1]
    p.quit()
    srv.stop_or_fail()
    srv.start()
    fill(srv, ALICE, [message(subject="later")])
    p = pop_login(srv)
    second = p.uidl()[1]
    p.quit()
    assert second[:3] == first
    assert len(second) == 4 and second[3] not in first


def test_second_session_gets_in_use_and_imap_runs_alongside(srv):
    p = pop_login(srv)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        pop_login(srv)
    m = login(srv, ALICE)  # IMAP is fine meanwhile
    m.logout()
    other = pop_login(srv, BOB)  # another maildrop is fine
    other.quit()
    p.quit()
    pop_login(srv).quit()


def test_maildrop_is_the_inbox_at_login(srv):
    fill(srv, ALICE, [message(subject="old")])
    p = pop_login(srv)
    fill(srv, ALICE, [message(subject="new")])
    assert p.stat()[0] == 1
    p.quit()
    p = pop_login(srv)
    assert p.stat()[0] == 2
    p.quit()


def test_retr_of_message_expunged_by_imap(srv):
    raws = [message(subject="gone"), message(subject="stays")]
    fill(srv, ALICE, raws)
    p = pop_login(srv)
    m = login(srv, ALICE)
    m.select("INBOX")
    m.store("1", "+FLAGS", "\\Deleted")
    m.expunge()
    m.logout()
    with pytest.raises(poplib.error_proto, match="deleted by another session"):
        p.retr(1)
    assert b"\r\n".join(p.retr(2)[1]) + b"\r\n" == raws[1]
    p.quit()


def test_auth_plain_and_login(srv):
    p = pop3_plain(srv)
    ir = base64.b64encode(b"\0" + ALICE[0].encode() + b"\0" + ALICE[1].encode()).decode()
    assert p._shortcmd("AUTH PLAIN " + ir).startswith(b"+OK")
    p.quit()
    with RawPop(srv) as c:
        assert c.cmd("AUTH LOGIN") == "+ " + base64.b64encode(b"Username:").decode()
        assert c.cmd(base64.b64encode(BOB[0].encode()).decode()).startswith("+ ")
        assert c.cmd(base64.b64encode(BOB[1].encode()).decode()).startswith("+OK")
        assert c.cmd("QUIT").startswith("+OK")


def test_stls_and_pop3s(srv):
    fill(srv, ALICE, [message(subject="over tls")])
    for conn in (pop3_stls, pop3_tls):
        p = pop_login(srv, conn=conn)
        assert p.stat()[0] == 1
        assert "STLS" not in p.capa()
        p.quit()


def test_stls_injection_is_dropped(srv):
    with RawPop(srv) as c:
        c.send("STLS\r\nUSER %s\r\n" % ALICE[0])
        assert c.line().startswith("+OK")
        c.sock = no_verify_context().wrap_socket(c.sock)
        c.buf = b""
        # The pipelined USER was dropped: PASS has no user to go with.
        assert c.cmd("PASS %s" % ALICE[1]).startswith("-ERR")


def test_plaintext_login_refused_without_tls(make_server):
    srv = make_server(auth={"plaintext_loopback": "0"})
    p = pop3_plain(srv)
    assert "USER" not in p.capa()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.user(ALICE[0])
    p.stls(context=no_verify_context())
    p.user(ALICE[0])
    p.pass_(ALICE[1])
    p.quit()


def test_failed_login_is_delayed_and_says_auth(make_server):
    srv = make_server(auth={"failure_delay_ms": "300"})
    p = pop3_plain(srv)
    p.user(ALICE[0])
    start = time.monotonic()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("wrong")
    assert time.monotonic() - start >= 0.3


def test_bad_input_gets_err_and_the_session_goes_on(srv):
    fill(srv, ALICE, [message(subject="b")])
    with RawPop(srv) as c:
        assert c.cmd("STAT").startswith("-ERR")  # wrong state
        assert c.cmd("USER " + "x" * 300).startswith("-ERR Line too long")
        assert c.cmd("USER %s" % ALICE[0]).startswith("+OK")
        assert c.cmd("PASS %s" % ALICE[1]).startswith("+OK")
        assert c.cmd("FROB").startswith("-ERR")
        assert c.cmd("RETR 0").startswith("-ERR")
        assert c.cmd("RETR 2").startswith("-ERR")
        assert c.cmd("RETR x").startswith("-ERR")
        assert c.cmd("USER bob").startswith("-ERR")  # already logged in
        assert c.cmd("APOP a b").startswith("-ERR")
        assert c.cmd("STAT").startswith("+OK 1 ")


def test_too_many_errors_before_login_close(srv):
    with RawPop(srv) as c:
        for _ in range(4):
            assert c.cmd("FROB").startswith("-ERR")
        assert c.read_until_eof().startswith("-ERR Too many errors")


def test_pipelined_commands_answered_in_order(srv):
    fill(srv, ALICE, [message(subject="p1"), message(subject="p2")])
    with RawPop(srv) as c:
        c.send("USER %s\r\nPASS %s\r\nSTAT\r\nUIDL 2\r\nLIST\r\nQUIT\r\n" % ALICE)
        assert c.line().startswith("+OK")
        assert c.line().startswith("+OK Logged in")
        assert re.match(r"\+OK 2 \d+$", c.line())
        assert re.match(r"\+OK 2 [0-9A-F]{16}$", c.line())
        assert c.line().startswith("+OK")
        assert len(c.multiline()) == 2
        assert c.line().startswith("+OK")


def test_too_many_errors_after_login_close(srv):
    with RawPop(srv) as c:
        assert c.cmd("USER %s" % ALICE[0]).startswith("+OK")
        assert c.cmd("PASS %s" % ALICE[1]).startswith("+OK")
        for _ in range(20):
            assert c.cmd("RETR 99").startswith("-ERR")
        # Still open after 20; the 21st error closes it.
        assert c.cmd("NOOP").startswith("+OK")
        assert c.cmd("RETR 99").startswith("-ERR")
        assert c.read_until_eof().startswith("-ERR Too many errors")
