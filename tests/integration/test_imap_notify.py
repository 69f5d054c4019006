"""Changes made in one session reaching another: IDLE (RFC 2177, RFC 9051
6.3.13), NOOP, EXPUNGE numbering (RFC 9051 7.5.1), VANISHED and QRESYNC
SELECT (RFC 7162 3.2.5, 3.2.10)."""

import re
import time

import pytest

from conftest import ALICE, RawImap, message, unique

PUSH_WAIT = 3.0  # seconds an IDLE push may take at most (it is usually a few ms)


@pytest.fixture
def pair(server):
    a = RawImap(server).login(ALICE)
    b = RawImap(server).login(ALICE)
    yield a, b
    a.close()
    b.close()


def append(c, box, msg=None, flags=""):
    msg = msg or message()
    c.send('ap APPEND "%s" %s{%d+}\r\n' % (box, "(%s) " % flags if flags else "", len(msg)))
    c.send(msg + b"\r\n")
    _, tagged = c.read_response("ap")
    found = re.fullmatch(r"ap OK \[APPENDUID (\d+) (\d+)\] APPEND completed", tagged)
    assert found, tagged
    return int(found.group(2))


def setup_box(a, b, n, b_enable=None):
    """A mailbox with n messages, selected in A, then in B. Returns (name, uids, B's SELECT)."""
    box = unique("N")
    a.ok('CREATE "%s"' % box)
    uids = [append(a, box) for _ in range(n)]
    a.ok('SELECT "%s"' % box)  # takes \Recent: B sees no \Recent flags
    if b_enable:
        b.ok("ENABLE " + b_enable)
    b_select = b.ok('SELECT "%s"' % box)
    return box, uids, b_select


def read_lines_for(c, seconds, until=None):
    """Lines the server pushes within `seconds` (stops early when until(lines) is true)."""
    lines = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if until and until(lines):
            break
        c.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            lines.append(c.readline())
        except (TimeoutError, OSError):
            break
    c.sock.settimeout(10)
    return lines


def idle(c):
    c.send("idle IDLE\r\n")
    assert c.readline() == "+ idling"


def done(c):
    c.send("DONE\r\n")
    return c.read_response("idle")


def apply_expunges(uids, lines):
    """Applies '* n EXPUNGE' lines to a list of UIDs as a client must; returns the removed UIDs."""
    removed = []
    for line in lines:
        found = re.fullmatch(r"\* (\d+) EXPUNGE", line)
        assert found, line
        n = int(found.group(1))
        assert 1 <= n <= len(uids), (line, uids)
        removed.append(uids.pop(n - 1))
    return removed


# --- IDLE ---


def test_idle_done(pair):
    _, b = pair
    b.ok("SELECT INBOX")
    idle(b)
    assert b.nothing_pending(0.3)
    assert done(b) == ([], "idle OK IDLE terminated")
    assert b.cmd("NOOP", tag="n") == ([], "n OK NOOP completed")


def test_idle_ended_by_something_else_is_bad(pair):
    _, b = pair
    idle(b)
    b.send("NOOP\r\n")
    assert b.read_response("idle") == ([], "idle BAD Expected DONE to end IDLE")
    assert b.cmd("NOOP", tag="n") == ([], "n OK NOOP completed")


def test_idle_in_authenticated_state(pair):
    _, b = pair
    idle(b)
    assert done(b) == ([], "idle OK IDLE terminated")


def test_append_reaches_idle(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 2)
    idle(b)
    t0 = time.monotonic()
    append(a, box)
    lines = read_lines_for(b, PUSH_WAIT, until=lambda got: "* 3 EXISTS" in got)
    assert lines and lines[0] == "* 3 EXISTS", lines
    assert time.monotonic() - t0 < PUSH_WAIT
    assert done(b)[1] == "idle OK IDLE terminated"


def test_several_appends_reach_idle(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 0)
    idle(b)
    for _ in range(3):
        append(a, box)
    lines = read_lines_for(b, PUSH_WAIT, until=lambda got: "* 3 EXISTS" in got)
    exists = [int(x.split()[1]) for x in lines if x.endswith(" EXISTS")]
    assert exists and exists[-1] == 3 and exists == sorted(exists), lines
    done(b)


def test_flag_change_reaches_noop(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 3)
    a.ok("STORE 2 +FLAGS (\\Flagged $Mark)")
    untagged, tagged = b.cmd("NOOP", tag="n")
    assert untagged == ["* 2 FETCH (FLAGS (\\Flagged $Mark))"]
    assert tagged == "n OK NOOP completed"
    # Reported once.
    assert b.cmd("NOOP", tag="n2") == ([], "n2 OK NOOP completed")


def test_flag_change_reaches_idle(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 3)
    idle(b)
    a.ok("STORE 3 +FLAGS (\\Seen)")
    lines = read_lines_for(b, PUSH_WAIT, until=lambda got: len(got) >= 1)
    assert lines == ["* 3 FETCH (FLAGS (\\Seen))"]
    done(b)


def test_flag_change_with_condstore_carries_uid_and_modseq(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 2, b_enable="CONDSTORE")
    a.ok("STORE 2 +FLAGS (\\Answered)")
    untagged, _ = b.cmd("NOOP")
    assert len(untagged) == 1
    assert re.fullmatch(
        r"\* 2 FETCH \(UID %d FLAGS \(\\Answered\) MODSEQ \(\d+\)\)" % uids[1], untagged[0]
    ), untagged


def test_expunge_numbers_in_another_session(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 8)
    gone = [uids[1], uids[2], uids[4], uids[7]]  # adjacent, lone, and the last
    a.ok("UID STORE %s +FLAGS.SILENT (\\Deleted)" % ",".join(map(str, gone)))
    untagged, _ = a.cmd("EXPUNGE")
    view_a = list(uids)
    assert sorted(apply_expunges(view_a, untagged)) == sorted(gone)
    untagged, tagged = b.cmd("NOOP", tag="n")
    assert tagged == "n OK NOOP completed"
    flag_lines = [x for x in untagged if "FETCH" in x]
    expunges = [x for x in untagged if x.endswith("EXPUNGE")]
    assert len(expunges) == 4, untagged
    # The \Deleted flags of the expunged messages need not be reported.
    assert all("\\Deleted" in x for x in flag_lines), flag_lines
    view_b = list(uids)
    assert sorted(apply_expunges(view_b, expunges)) == sorted(gone)
    assert view_b == [u for u in uids if u not in gone]
    assert b.cmd("NOOP", tag="n2") == ([], "n2 OK NOOP completed")


def test_expunge_reaches_idle(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 5)
    idle(b)
    a.ok("STORE 1,3,5 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    lines = read_lines_for(
        b, PUSH_WAIT, until=lambda got: sum(x.endswith("EXPUNGE") for x in got) >= 3
    )
    expunges = [x for x in lines if x.endswith("EXPUNGE")]
    view = list(uids)
    assert sorted(apply_expunges(view, expunges)) == [uids[0], uids[2], uids[4]], lines
    assert view == [uids[1], uids[3]]
    done(b)


def test_no_expunge_during_store_by_sequence_number(pair):
    """RFC 9051 7.5.1: no EXPUNGE while STORE by sequence number runs."""
    a, b = pair
    box, uids, _ = setup_box(a, b, 3)
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    untagged, tagged = b.cmd("STORE 3 +FLAGS (\\Seen)", tag="s")
    assert tagged == "s OK STORE completed"
    assert not [x for x in untagged if "EXPUNGE" in x], untagged
    # Sequence number 3 is still the third message as B knows it.
    assert "* 3 FETCH (FLAGS (\\Seen))" in untagged
    untagged, _ = b.cmd("NOOP")
    assert "* 1 EXPUNGE" in untagged


def test_qresync_session_gets_vanished(pair):
    a, b = pair
    box, uids, _ = setup_box(a, b, 6, b_enable="QRESYNC")
    gone = [uids[1], uids[2], uids[4]]
    a.ok("UID STORE %s +FLAGS.SILENT (\\Deleted)" % ",".join(map(str, gone)))
    a.ok("EXPUNGE")
    untagged, _ = b.cmd("NOOP", tag="n")
    assert "* VANISHED %d:%d,%d" % (uids[1], uids[2], uids[4]) in untagged, untagged
    assert not [x for x in untagged if x.endswith("EXPUNGE")]


def test_qresync_select_after_changes(pair):
    a, b = pair
    box, uids, sel = setup_box(a, b, 8, b_enable="QRESYNC")
    uidvalidity = int(re.search(r"UIDVALIDITY (\d+)", " ".join(sel)).group(1))
    # An expunge before the client's last sync: it must not be reported.
    a.ok("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[7])
    a.ok("EXPUNGE")
    untagged, _ = b.cmd("NOOP")
    assert untagged == ["* VANISHED %d" % uids[7]]
    untagged, _ = b.cmd('STATUS "%s" (HIGHESTMODSEQ)' % box)
    modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", untagged[0]).group(1))
    b.ok("UNSELECT")
    # While B is away: two expunges, one flag change, one new message.
    a.ok("UID STORE %d,%d +FLAGS.SILENT (\\Deleted)" % (uids[1], uids[4]))
    a.ok("EXPUNGE")
    a.ok("UID STORE %d +FLAGS.SILENT (\\Flagged)" % uids[3])
    new_uid = append(a, box)
    untagged, tagged = b.cmd(
        'SELECT "%s" (QRESYNC (%d %d))' % (box, uidvalidity, modseq), tag="q"
    )
    assert tagged == "q OK [READ-WRITE] SELECT completed"
    assert [x for x in untagged if x.startswith("* VANISHED")] == [
        "* VANISHED (EARLIER) %d,%d" % (uids[1], uids[4])
    ]
    fetches = [x for x in untagged if "FETCH" in x]
    # Message uids[3] is now number 3 (uids[0], uids[2], uids[3], ...).
    assert any(
        re.fullmatch(r"\* 3 FETCH \(UID %d FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)" % uids[3], x)
        for x in fetches
    ), fetches
    assert any("UID %d " % new_uid in x for x in fetches), fetches
    assert not any("UID %d " % u in x for x in fetches for u in (uids[0], uids[2])), fetches
    assert "* 6 EXISTS" in untagged
    # With known UIDs, only those are reported as vanished.
    b.ok("UNSELECT")
    untagged, _ = b.cmd(
        'SELECT "%s" (QRESYNC (%d %d %d:%d))' % (box, uidvalidity, modseq, uids[0], uids[3])
    )
    assert [x for x in untagged if x.startswith("* VANISHED")] == [
        "* VANISHED (EARLIER) %d" % uids[1]
    ]
    # A changed UIDVALIDITY: no VANISHED and no FETCH.
    b.ok("UNSELECT")
    untagged, tagged = b.cmd('SELECT "%s" (QRESYNC (%d %d))' % (box, uidvalidity + 1, modseq))
    assert tagged.endswith("OK [READ-WRITE] SELECT completed")
    assert not [x for x in untagged if "VANISHED" in x or "FETCH" in x], untagged
