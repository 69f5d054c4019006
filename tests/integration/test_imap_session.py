"""IMAP session basics: greeting, CAPABILITY, LOGIN/AUTHENTICATE, NOOP, LOGOUT,
ID, ENABLE, NAMESPACE, state checks, and the login verification cache.
RFC 9051 6.1-6.3, RFC 4959 (SASL-IR), RFC 5161 (ENABLE), RFC 2971 (ID)."""

import base64
import time

import pytest

from conftest import ALICE, BOB, RawImap, imap_plain, new_server

CACHE_USER = ("cache@example.test", "cache-test-password")

CAPS_COMMON = (
    "SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE "
    "CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES CONDSTORE QRESYNC "
    "STATUS=SIZE UIDPLUS MOVE BINARY APPENDLIMIT=52428800"
)
CAPS_BEFORE = "IMAP4rev1 IMAP4rev2 STARTTLS AUTH=PLAIN AUTH=LOGIN " + CAPS_COMMON
CAPS_AFTER = "IMAP4rev1 IMAP4rev2 " + CAPS_COMMON


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # CACHE_USER logs in for the first time in the cache test only.
    srv = new_server(tmp_path_factory.mktemp("session"), users=(ALICE, BOB, CACHE_USER))
    yield srv
    srv.stop_or_fail()


def b64(data):
    return base64.b64encode(data.encode()).decode()


def plain_ir(user=ALICE):
    return b64("\0%s\0%s" % user)


def test_greeting_carries_capabilities(server):
    with RawImap(server) as c:
        assert c.greeting == "* OK [CAPABILITY %s] Tresor IMAP server ready" % CAPS_BEFORE


def test_capability_before_and_after_login(server):
    with RawImap(server) as c:
        untagged, tagged = c.cmd("CAPABILITY", tag="a1")
        assert untagged == ["* CAPABILITY " + CAPS_BEFORE]
        assert tagged == "a1 OK CAPABILITY completed"
        untagged, tagged = c.cmd('LOGIN "%s" "%s"' % ALICE, tag="a2")
        assert untagged == []
        assert tagged == "a2 OK [CAPABILITY %s] Logged in" % CAPS_AFTER
        untagged, tagged = c.cmd("CAPABILITY", tag="a3")
        assert untagged == ["* CAPABILITY " + CAPS_AFTER]
        assert "AUTH=" not in untagged[0] and "STARTTLS" not in untagged[0]


def test_login_with_imaplib(server):
    m = imap_plain(server)
    typ, data = m.login(*ALICE)
    assert typ == "OK"
    assert m.state == "AUTH"
    assert m.logout()[0] == "BYE"


def test_login_is_case_insensitive_in_the_address(server):
    with RawImap(server) as c:
        _, tagged = c.cmd('LOGIN "Alice@EXAMPLE.test" "%s"' % ALICE[1], tag="x")
        assert tagged.startswith("x OK [CAPABILITY ")


def test_login_failures(server):
    with RawImap(server) as c:
        _, tagged = c.cmd('LOGIN "%s" "wrong"' % ALICE[0], tag="f1")
        assert tagged == "f1 NO [AUTHENTICATIONFAILED] Authentication failed"
        _, tagged = c.cmd('LOGIN "nobody@example.test" "x"', tag="f2")
        assert tagged == "f2 NO [AUTHENTICATIONFAILED] Authentication failed"
        _, tagged = c.cmd("LOGIN onlyuser", tag="f3")
        assert tagged.startswith("f3 BAD ")
        # Still not authenticated; a good login works (and resets the throttle).
        _, tagged = c.cmd("SELECT INBOX", tag="f4")
        assert tagged.startswith("f4 BAD ")
        c.login()
        assert c.ok("SELECT INBOX")


def test_authenticate_plain_with_initial_response(server):
    with RawImap(server) as c:
        _, tagged = c.cmd("AUTHENTICATE PLAIN " + plain_ir(), tag="p1")
        assert tagged == "p1 OK [CAPABILITY %s] Logged in" % CAPS_AFTER


def test_authenticate_plain_without_initial_response(server):
    with RawImap(server) as c:
        c.send("p2 AUTHENTICATE PLAIN\r\n")
        assert c.readline() == "+ "
        c.send(plain_ir(BOB) + "\r\n")
        untagged, tagged = c.read_response("p2")
        assert untagged == []
        assert tagged == "p2 OK [CAPABILITY %s] Logged in" % CAPS_AFTER
        # The session belongs to bob now.
        assert c.ok("SELECT INBOX")


def test_authenticate_plain_wrong_password(server):
    with RawImap(server) as c:
        _, tagged = c.cmd("AUTHENTICATE PLAIN " + plain_ir((ALICE[0], "nope")), tag="p3")
        assert tagged == "p3 NO [AUTHENTICATIONFAILED] Authentication failed"
        c.login()


def test_authenticate_login(server):
    with RawImap(server) as c:
        c.send("l1 AUTHENTICATE LOGIN\r\n")
        assert c.readline() == "+ " + b64("Username:")
        c.send(b64(ALICE[0]) + "\r\n")
        assert c.readline() == "+ " + b64("Password:")
        c.send(b64(ALICE[1]) + "\r\n")
        untagged, tagged = c.read_response("l1")
        assert tagged == "l1 OK [CAPABILITY %s] Logged in" % CAPS_AFTER


def test_authenticate_login_with_initial_response(server):
    with RawImap(server) as c:
        c.send("l2 AUTHENTICATE LOGIN %s\r\n" % b64(ALICE[0]))
        assert c.readline() == "+ " + b64("Password:")
        c.send(b64(ALICE[1]) + "\r\n")
        _, tagged = c.read_response("l2")
        assert tagged.startswith("l2 OK [CAPABILITY ")


def test_authenticate_cancel_and_garbage(server):
    with RawImap(server) as c:
        c.send("c1 AUTHENTICATE PLAIN\r\n")
        assert c.readline() == "+ "
        c.send("*\r\n")
        # RFC 9051 6.2.2: a cancelled exchange is rejected with a tagged BAD.
        _, tagged = c.read_response("c1")
        assert tagged == "c1 BAD AUTHENTICATE cancelled"
        c.send("c2 AUTHENTICATE LOGIN\r\n")
        assert c.readline() == "+ " + b64("Username:")
        c.send("*\r\n")
        _, tagged = c.read_response("c2")
        assert tagged == "c2 BAD AUTHENTICATE cancelled"
        c.send("c3 AUTHENTICATE PLAIN\r\n")
        assert c.readline() == "+ "
        c.send("not!base64\r\n")
        _, tagged = c.read_response("c3")
        assert tagged == "c3 BAD Malformed SASL response"
        _, tagged = c.cmd("AUTHENTICATE CRAM-MD5", tag="c4")
        assert tagged == "c4 NO [CANNOT] Unsupported authentication mechanism"
        # Still usable after all of that (3 BADs is the limit before login).
        c.login()


def test_noop_in_every_state(server):
    with RawImap(server) as c:
        assert c.cmd("NOOP", tag="n1") == ([], "n1 OK NOOP completed")
        c.login()
        assert c.cmd("NOOP", tag="n2") == ([], "n2 OK NOOP completed")
        c.ok("SELECT INBOX")
        assert c.cmd("NOOP", tag="n3") == ([], "n3 OK NOOP completed")


def test_logout_sends_bye_then_ok_and_closes(server):
    with RawImap(server) as c:
        c.login()
        c.send("z LOGOUT\r\n")
        assert c.readline() == "* BYE Logging out"
        assert c.readline() == "z OK LOGOUT completed"
        assert c.read_until_eof() == ""


def test_logout_before_login(server):
    with RawImap(server) as c:
        untagged, tagged = c.cmd("LOGOUT", tag="z")
        assert untagged == ["* BYE Logging out"]
        assert tagged == "z OK LOGOUT completed"
        assert c.read_until_eof() == ""


def test_id(server):
    expected = '* ID ("name" "Tresor" "vendor" "Tresor" "support-url" NIL)'
    with RawImap(server) as c:
        assert c.cmd("ID NIL", tag="i1") == ([expected], "i1 OK ID completed")
        untagged, tagged = c.cmd('ID ("name" "pytest" "version" "1")', tag="i2")
        assert (untagged, tagged) == ([expected], "i2 OK ID completed")
        _, tagged = c.cmd("ID", tag="i3")
        assert tagged.startswith("i3 BAD ")


def test_enable(server):
    with RawImap(server) as c:
        _, tagged = c.cmd("ENABLE CONDSTORE", tag="e0")
        assert tagged.startswith("e0 BAD ")  # not authenticated yet
        c.login()
        untagged, tagged = c.cmd("ENABLE CONDSTORE CONDSTORE", tag="e1")
        assert untagged == ["* ENABLED CONDSTORE"]
        assert tagged == "e1 OK ENABLE completed"
        # RFC 5161 3.1: only what this command newly enabled is listed, once each.
        untagged, _ = c.cmd("ENABLE condstore QRESYNC qresync IMAP4rev2 X-UNKNOWN", tag="e2")
        assert untagged == ["* ENABLED QRESYNC IMAP4rev2"]
        untagged, tagged = c.cmd("ENABLE QRESYNC", tag="e3")
        assert untagged == ["* ENABLED"]
        assert tagged == "e3 OK ENABLE completed"
        _, tagged = c.cmd("ENABLE", tag="e4")
        assert tagged.startswith("e4 BAD ")


def test_enable_qresync_first(server):
    with RawImap(server) as c:
        c.login()
        untagged, _ = c.cmd("ENABLE QRESYNC")
        assert untagged == ["* ENABLED QRESYNC"]


def test_namespace(server):
    with RawImap(server) as c:
        c.login()
        untagged, tagged = c.cmd("NAMESPACE", tag="ns")
        assert untagged == ['* NAMESPACE (("" "/")) NIL NIL']
        assert tagged == "ns OK NAMESPACE completed"


def test_commands_in_the_wrong_state(server):
    with RawImap(server) as c:
        for tag, command in (("w1", "SELECT INBOX"), ("w2", 'LIST "" *'), ("w3", "CHECK")):
            _, tagged = c.cmd(command, tag=tag)
            assert tagged == tag + " BAD Log in first"
        c.login()
        _, tagged = c.cmd('LOGIN "%s" "%s"' % ALICE, tag="w4")
        assert tagged == "w4 BAD Already authenticated"
        _, tagged = c.cmd("STARTTLS", tag="w5")
        assert tagged == "w5 BAD Already authenticated"
        for tag, command in (("w6", "CHECK"), ("w7", "EXPUNGE"), ("w8", "CLOSE"),
                             ("w9", "UID STORE 1 +FLAGS (\\Seen)")):
            _, tagged = c.cmd(command, tag=tag)
            assert tagged == tag + " BAD No mailbox selected"
        c.ok("SELECT INBOX")
        assert c.cmd("CHECK", tag="w10") == ([], "w10 OK CHECK completed")
        _, tagged = c.cmd("AUTHENTICATE PLAIN " + plain_ir(), tag="w11")
        assert tagged == "w11 BAD Already authenticated"
        # UID only prefixes the commands that have a UID form.
        _, tagged = c.cmd("UID NOOP", tag="w12")
        assert tagged == "w12 BAD Unknown command"


def test_repeated_login_uses_the_verification_cache(server):
    user = CACHE_USER

    def timed_login():
        with RawImap(server) as c:
            t0 = time.monotonic()
            _, tagged = c.cmd('LOGIN "%s" "%s"' % user, tag="k")
            elapsed = time.monotonic() - t0
            assert tagged.startswith("k OK ")
            return elapsed

    first = timed_login()
    second = min(timed_login() for _ in range(3))
    # The first login runs Argon2id; later ones hit the keyed cache.
    assert second < first / 5, (first, second)
