"""Messages: APPEND (RFC 9051 6.3.12, UIDPLUS RFC 4315, APPENDLIMIT RFC 7889),
SELECT/EXAMINE (6.3.2/6.3.3), STORE (6.4.6, CONDSTORE RFC 7162 3.1.3),
EXPUNGE / UID EXPUNGE (6.4.3), COPY / MOVE (6.4.7/6.4.8, RFC 6851), CLOSE,
UNSELECT, CHECK. FETCH is not tested here (cmd-fetch.c is being written)."""

import re

import pytest

from conftest import ALICE, BOB, RawImap, login, message, unique

SYSTEM_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft"


@pytest.fixture
def c(server):
    conn = RawImap(server).login(ALICE)
    yield conn
    conn.close()


def new_box(c, n=0, flags=None):
    """Creates a mailbox holding n messages; returns (name, [uids])."""
    name = unique("Box")
    c.ok('CREATE "%s"' % name)
    uids = [append(c, name, flags=(flags or {}).get(i, "")) for i in range(n)]
    return name, uids


def append(c, box, msg=None, flags="", date=None, tag="ap"):
    msg = msg if msg is not None else message()
    args = ""
    if flags:
        args += "(%s) " % flags
    if date:
        args += '"%s" ' % date
    c.send('%s APPEND "%s" %s{%d+}\r\n' % (tag, box, args, len(msg)))
    c.send(msg + b"\r\n")
    _, tagged = c.read_response(tag)
    found = re.fullmatch(tag + r" OK \[APPENDUID (\d+) (\d+)\] APPEND completed", tagged)
    assert found, tagged
    return int(found.group(2))


def status(c, box, items="MESSAGES UNSEEN UIDVALIDITY UIDNEXT"):
    untagged, tagged = c.cmd('STATUS "%s" (%s)' % (box, items))
    assert tagged.endswith("OK STATUS completed"), tagged
    words = re.search(r"\((.*)\)$", untagged[0]).group(1).split()
    return dict(zip(words[0::2], map(int, words[1::2])))


def select(c, box, cmd="SELECT"):
    untagged, tagged = c.cmd('%s "%s"' % (cmd, box), tag="sel")
    assert tagged.startswith("sel OK "), tagged
    return untagged, tagged


# --- APPEND ---


def test_append_returns_appenduid(c):
    box, _ = new_box(c)
    uidvalidity = status(c, box)["UIDVALIDITY"]
    c.send('a1 APPEND "%s" (\\Seen $Label1) "07-Feb-2022 21:52:25 +0100" {%d}\r\n'
           % (box, len(message())))
    assert c.readline() == "+ Ready for literal data"
    c.send(message() + b"\r\n")
    untagged, tagged = c.read_response("a1")
    assert (untagged, tagged) == ([], "a1 OK [APPENDUID %d 1] APPEND completed" % uidvalidity)
    assert append(c, box) == 2
    assert append(c, box, flags="\\Draft \\Flagged") == 3
    got = status(c, box, "MESSAGES UNSEEN UIDNEXT")
    assert got == {"MESSAGES": 3, "UNSEEN": 2, "UIDNEXT": 4}
    # The flags were stored: SELECT lists the keyword.
    untagged, _ = select(c, box)
    assert "* FLAGS (%s $Label1)" % SYSTEM_FLAGS in untagged


def test_append_size_is_exact(c):
    box, _ = new_box(c)
    body = b"Subject: size\r\n\r\n" + b"x" * 1000 + b"\r\n"
    append(c, box, msg=body)
    assert status(c, box, "SIZE")["SIZE"] == len(body)


def test_append_with_imaplib(server):
    m = login(server)
    box = unique("Lib")
    assert m.create(box)[0] == "OK"
    typ, data = m.append(box, "(\\Seen)", '"01-Jan-2023 10:00:00 +0000"', message())
    assert typ == "OK"
    assert re.fullmatch(rb"\[APPENDUID \d+ 1\] APPEND completed", data[0]), data
    m.logout()


def test_append_to_missing_mailbox_says_trycreate(c):
    box = unique("Missing")
    c.send('a2 APPEND "%s" {%d+}\r\n' % (box, len(message())))
    c.send(message() + b"\r\n")
    untagged, tagged = c.read_response("a2")
    assert tagged == "a2 NO [TRYCREATE] No such mailbox"
    c.ok('CREATE "%s"' % box)
    assert append(c, box) == 1


def test_append_bad_arguments(c):
    box, _ = new_box(c)
    for tag, args, reply in (
        ("b1", "(\\Recent)", "BAD Invalid flags"),
        ("b2", "(\\Bogus)", "BAD Invalid flags"),
        ("b3", '"32-Jan-2022 10:00:00 +0000"', "BAD Invalid date-time"),
        ("b4", '"not a date"', "BAD Invalid date-time"),
    ):
        msg = message()
        c.send('%s APPEND "%s" %s {%d+}\r\n' % (tag, box, args, len(msg)))
        c.send(msg + b"\r\n")
        assert c.read_response(tag) == ([], "%s %s" % (tag, reply))
    assert c.cmd('APPEND "%s"' % box, tag="b5")[1] == "b5 BAD APPEND expects a message literal"
    assert status(c, box)["MESSAGES"] == 0


def test_append_while_selected_reports_exists(c):
    box, _ = new_box(c, 1)
    select(c, box)
    c.send('a3 APPEND "%s" {%d+}\r\n' % (box, len(message())))
    c.send(message() + b"\r\n")
    untagged, tagged = c.read_response("a3")
    assert untagged == ["* 2 EXISTS", "* 2 RECENT"]
    assert tagged.startswith("a3 OK [APPENDUID ")


def test_append_over_appendlimit(make_server):
    srv = make_server(imap={"append_limit": "1024"}, users=(ALICE,))
    with RawImap(srv).login() as c:
        untagged, _ = c.cmd("CAPABILITY")
        assert " APPENDLIMIT=1024" in untagged[0]
        # A synchronizing literal over the limit: NO at once, no "+", nothing read.
        c.send("big APPEND INBOX {1025}\r\n")
        assert c.readline() == "big NO [TOOBIG] Message is larger than APPENDLIMIT"
        assert c.cmd("NOOP", tag="n1") == ([], "n1 OK NOOP completed")
        # A non-synchronizing one is read and dropped, then refused.
        c.send("big2 APPEND INBOX {2000+}\r\n" + "y" * 2000 + "\r\n")
        assert c.readline() == "big2 NO [TOOBIG] Message is larger than APPENDLIMIT"
        assert c.cmd("NOOP", tag="n2") == ([], "n2 OK NOOP completed")
        # Exactly the limit is accepted.
        msg = b"Subject: fits\r\n\r\n" + b"z" * (1024 - 19) + b"\r\n"
        assert len(msg) == 1024
        assert append(c, "INBOX", msg=msg) == 1
        assert status(c, "INBOX", "MESSAGES") == {"MESSAGES": 1}


# --- SELECT / EXAMINE ---


def test_select_responses(c):
    box, uids = new_box(c, 3, flags={0: "\\Seen $Label1"})
    uidvalidity = status(c, box)["UIDVALIDITY"]
    modseq = status(c, box, "HIGHESTMODSEQ")["HIGHESTMODSEQ"]
    untagged, tagged = c.cmd('SELECT "%s"' % box, tag="s1")
    assert untagged == [
        "* FLAGS (%s $Label1)" % SYSTEM_FLAGS,
        "* OK [PERMANENTFLAGS (%s $Label1 \\*)] Flags permitted" % SYSTEM_FLAGS,
        "* 3 EXISTS",
        "* 3 RECENT",
        "* OK [UNSEEN 2] First unseen",
        "* OK [UIDVALIDITY %d] UIDs valid" % uidvalidity,
        "* OK [UIDNEXT 4] Predicted next UID",
        "* OK [HIGHESTMODSEQ %d] Highest" % modseq,
    ]
    assert tagged == "s1 OK [READ-WRITE] SELECT completed"
    # \Recent belongs to the first session only: a second SELECT sees none.
    untagged, _ = c.cmd('SELECT "%s"' % box)
    assert "* 0 RECENT" in untagged


def test_examine_is_read_only(c):
    box, _ = new_box(c, 2)
    untagged, tagged = c.cmd('EXAMINE "%s"' % box, tag="e1")
    assert tagged == "e1 OK [READ-ONLY] EXAMINE completed"
    assert "* OK [PERMANENTFLAGS ()] Read-only mailbox" in untagged
    assert "* 2 EXISTS" in untagged
    assert "* 2 RECENT" in untagged  # EXAMINE does not take \Recent away
    assert c.cmd("STORE 1 +FLAGS (\\Seen)", tag="e2") == (
        [], "e2 NO [READ-ONLY] Mailbox is read-only"
    )
    assert c.cmd("EXPUNGE", tag="e3") == ([], "e3 NO [READ-ONLY] Mailbox is read-only")
    assert c.cmd('MOVE 1 "%s"' % box, tag="e4") == ([], "e4 NO [READ-ONLY] Mailbox is read-only")
    untagged, _ = c.cmd('SELECT "%s"' % box)
    assert "* 2 RECENT" in untagged
    assert status(c, box, "UNSEEN") == {"UNSEEN": 2}


def test_select_imap4rev2_omits_recent_and_unseen(c):
    box, _ = new_box(c, 2)
    c.ok("ENABLE IMAP4rev2")
    untagged, _ = select(c, box)
    assert not [line for line in untagged if "RECENT" in line or "UNSEEN" in line], untagged
    assert "* 2 EXISTS" in untagged


def test_failed_select_leaves_no_mailbox_selected(c):
    box, _ = new_box(c, 1)
    select(c, box)
    untagged, tagged = c.cmd('SELECT "%s"' % unique("none"), tag="f1")
    assert tagged == "f1 NO [NONEXISTENT] No such mailbox"
    assert c.cmd("CHECK", tag="f2") == ([], "f2 BAD No mailbox selected")


def test_select_closed_response_with_qresync(c):
    box, _ = new_box(c)
    c.ok("ENABLE QRESYNC")
    select(c, box)
    untagged, _ = select(c, "INBOX")
    assert untagged[0] == "* OK [CLOSED] Previous mailbox closed"


def test_select_bad_parameters(c):
    box, _ = new_box(c)
    assert c.cmd('SELECT "%s" (FROB)' % box, tag="p1")[1] == "p1 BAD Unknown SELECT parameter"
    _, tagged = c.cmd('SELECT "%s" (QRESYNC (1 1))' % box, tag="p2")
    assert tagged == "p2 BAD QRESYNC must be enabled first"
    c.ok("ENABLE QRESYNC")
    _, tagged = c.cmd('SELECT "%s" (QRESYNC (0 1))' % box, tag="p3")
    assert tagged == "p3 BAD Invalid QRESYNC parameters"


# --- STORE ---


def test_store_flags(c):
    box, _ = new_box(c, 3)
    select(c, box)
    assert c.cmd("STORE 1 +FLAGS (\\Flagged)", tag="s1") == (
        ["* 1 FETCH (FLAGS (\\Flagged \\Recent))"], "s1 OK STORE completed"
    )
    assert c.cmd("STORE 1:2 +FLAGS (\\Seen)", tag="s2") == (
        ["* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))", "* 2 FETCH (FLAGS (\\Seen \\Recent))"],
        "s2 OK STORE completed",
    )
    assert c.cmd("STORE 1 -FLAGS (\\Flagged)", tag="s3") == (
        ["* 1 FETCH (FLAGS (\\Seen \\Recent))"], "s3 OK STORE completed"
    )
    assert c.cmd("STORE 2 FLAGS (\\Answered \\Draft)", tag="s4") == (
        ["* 2 FETCH (FLAGS (\\Answered \\Draft \\Recent))"], "s4 OK STORE completed"
    )
    assert c.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)", tag="s5") == ([], "s5 OK STORE completed")
    assert c.cmd("STORE 3 FLAGS.SILENT ()", tag="s6") == ([], "s6 OK STORE completed")
    # RFC 9051 6.4.6: a single flag may come without parentheses.
    assert c.cmd("STORE 3 +FLAGS \\Seen", tag="s7") == (
        ["* 3 FETCH (FLAGS (\\Seen \\Recent))"], "s7 OK STORE completed"
    )
    assert c.cmd("UID STORE 1 -FLAGS (\\Seen)", tag="s8") == (
        ["* 1 FETCH (UID 1 FLAGS (\\Recent))"], "s8 OK STORE completed"
    )
    # Only message 3 is \Seen now.
    assert status(c, box, "UNSEEN") == {"UNSEEN": 2}


def test_store_keywords(c):
    box, _ = new_box(c, 2)
    select(c, box)
    assert c.cmd("STORE 1 +FLAGS ($Work NonJunk)", tag="k1") == (
        ["* 1 FETCH (FLAGS (\\Recent $Work NonJunk))"], "k1 OK STORE completed"
    )
    assert c.cmd("STORE 1 -FLAGS ($Work)", tag="k2") == (
        ["* 1 FETCH (FLAGS (\\Recent NonJunk))"], "k2 OK STORE completed"
    )
    assert c.cmd("STORE 2 FLAGS (\\Seen $Later)", tag="k3") == (
        ["* 2 FETCH (FLAGS (\\Seen \\Recent $Later))"], "k3 OK STORE completed"
    )
    untagged, _ = select(c, box)
    flags_line = [line for line in untagged if line.startswith("* FLAGS ")][0]
    assert set(flags_line[len("* FLAGS ("):-1].split()) == set(
        SYSTEM_FLAGS.split() + ["NonJunk", "$Later"]
    )
    _, tagged = c.cmd("STORE 1 +FLAGS (bad[kw)", tag="k4")
    assert tagged.startswith("k4 BAD "), tagged


def test_store_errors(c):
    box, _ = new_box(c, 2)
    select(c, box)
    for tag, args in (
        ("e1", "1 +FLAGS (\\Recent)"),
        ("e2", "1 +FLAGS (\\Bogus)"),
        ("e3", "1 FROB (\\Seen)"),
        ("e4", "99 +FLAGS (\\Seen)"),
        ("e5", "0 +FLAGS (\\Seen)"),
        ("e6", "1 +FLAGS"),
        ("e7", "1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)"),
    ):
        _, tagged = c.cmd("STORE " + args, tag=tag)
        assert tagged.startswith(tag + " BAD "), (args, tagged)
    # A UID set naming no message is not an error.
    assert c.cmd("UID STORE 999 +FLAGS (\\Seen)", tag="e8") == ([], "e8 OK STORE completed")
    assert status(c, box, "UNSEEN") == {"UNSEEN": 2}


def modseqs_from(lines):
    out = {}
    for line in lines:
        found = re.fullmatch(r"\* (\d+) FETCH \(.*MODSEQ \((\d+)\)\)", line)
        assert found, line
        out[int(found.group(1))] = int(found.group(2))
    return out


def test_store_unchangedsince_and_modified(c):
    box, _ = new_box(c, 3)
    c.ok("ENABLE CONDSTORE")
    untagged, _ = select(c, box)
    highest = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(untagged)).group(1))
    # RFC 7162 3.1.3: a silent STORE still reports UID and the new MODSEQ.
    untagged, tagged = c.cmd(
        "STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Seen)" % highest, tag="u1"
    )
    assert tagged == "u1 OK STORE completed"
    mods = modseqs_from(untagged)
    assert sorted(mods) == [1, 2, 3]
    assert all(m > highest for m in mods.values())
    assert [line.split(" (")[1].startswith("UID ") for line in untagged] == [True] * 3
    # Message 2 changes again; then a STORE conditional on the older value
    # fails for message 2 only and changes 1 and 3.
    untagged, _ = c.cmd("STORE 2 +FLAGS (\\Flagged)", tag="u2")
    new2 = modseqs_from(untagged)[2]
    assert new2 > mods[2]
    untagged, tagged = c.cmd(
        "STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Answered)" % max(mods.values()),
        tag="u3",
    )
    assert tagged == "u3 OK [MODIFIED 2] Conditional STORE failed for some messages"
    assert sorted(modseqs_from(untagged)) == [1, 3]
    # UID form reports UIDs in MODIFIED.
    _, tagged = c.cmd("UID STORE 1:3 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Draft)", tag="u4")
    assert tagged == "u4 OK [MODIFIED 1:3] Conditional STORE failed for some messages"
    # The refused changes were not made.
    untagged, _ = c.cmd("STORE 1:3 +FLAGS (\\Seen)", tag="u5")
    assert [re.search(r"FLAGS \(([^)]*)\)", line).group(1) for line in untagged] == [
        "\\Answered \\Seen \\Recent",
        "\\Flagged \\Seen \\Recent",
        "\\Answered \\Seen \\Recent",
    ]


def test_store_in_plain_mode_has_no_modseq(c):
    box, _ = new_box(c, 1)
    select(c, box)
    untagged, _ = c.cmd("STORE 1 +FLAGS (\\Seen)")
    assert untagged == ["* 1 FETCH (FLAGS (\\Seen \\Recent))"]


# --- EXPUNGE ---


def test_expunge(c):
    box, uids = new_box(c, 5)
    select(c, box)
    c.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.cmd("EXPUNGE", tag="x1")
    # RFC 9051 7.5.1: each number counts after the previous expunge.
    assert untagged == ["* 2 EXPUNGE", "* 3 EXPUNGE"]
    assert tagged == "x1 OK EXPUNGE completed"
    assert c.cmd("EXPUNGE", tag="x2") == ([], "x2 OK EXPUNGE completed")
    assert status(c, box, "MESSAGES") == {"MESSAGES": 3}
    assert c.cmd("EXPUNGE now", tag="x3")[1].startswith("x3 BAD ")


def test_uid_expunge_only_touches_the_given_uids(c):
    box, uids = new_box(c, 4)
    select(c, box)
    c.ok("STORE 1:4 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.cmd("UID EXPUNGE %d,%d" % (uids[1], uids[3]), tag="x4")
    assert untagged == ["* 2 EXPUNGE", "* 3 EXPUNGE"]
    assert tagged == "x4 OK UID EXPUNGE completed"
    assert status(c, box, "MESSAGES DELETED") == {"MESSAGES": 2, "DELETED": 2}
    # A UID without \Deleted is not expunged.
    c.ok("STORE 1 -FLAGS.SILENT (\\Deleted)")
    assert c.cmd("UID EXPUNGE %d" % uids[0], tag="x5") == ([], "x5 OK UID EXPUNGE completed")
    assert c.cmd("UID EXPUNGE", tag="x6")[1] == "x6 BAD UID EXPUNGE expects a UID set"


# --- COPY / MOVE ---


def test_copy_with_copyuid(c):
    src, uids = new_box(c, 3, flags={1: "\\Flagged $Tag"})
    dst, _ = new_box(c, 1)
    dst_validity = status(c, dst)["UIDVALIDITY"]
    select(c, src)
    untagged, tagged = c.cmd('COPY 2:3 "%s"' % dst, tag="c1")
    assert untagged == []
    assert tagged == "c1 OK [COPYUID %d %d:%d 2:3] COPY completed" % (
        dst_validity, uids[1], uids[2]
    )
    assert status(c, dst, "MESSAGES UNSEEN") == {"MESSAGES": 3, "UNSEEN": 3}
    assert status(c, src, "MESSAGES") == {"MESSAGES": 3}
    # The flags came along.
    untagged, _ = select(c, dst)
    assert "* FLAGS (%s $Tag)" % SYSTEM_FLAGS in untagged


def test_uid_copy_and_copy_errors(c):
    src, uids = new_box(c, 2)
    dst, _ = new_box(c)
    dst_validity = status(c, dst)["UIDVALIDITY"]
    select(c, src)
    _, tagged = c.cmd('UID COPY %d "%s"' % (uids[1], dst), tag="c2")
    assert tagged == "c2 OK [COPYUID %d %d 1] COPY completed" % (dst_validity, uids[1])
    _, tagged = c.cmd('COPY 1 "%s"' % unique("nobox"), tag="c3")
    assert tagged == "c3 NO [TRYCREATE] No such mailbox"
    _, tagged = c.cmd('UID COPY 999 "%s"' % dst, tag="c4")
    assert tagged == "c4 OK COPY completed"
    _, tagged = c.cmd('COPY 9 "%s"' % dst, tag="c5")
    assert tagged.startswith("c5 BAD "), tagged


def test_move_sends_copyuid_before_expunge(c):
    src, uids = new_box(c, 4)
    dst, _ = new_box(c)
    dst_validity = status(c, dst)["UIDVALIDITY"]
    select(c, src)
    untagged, tagged = c.cmd('MOVE 2,4 "%s"' % dst, tag="m1")
    assert untagged == [
        "* OK [COPYUID %d %d,%d 1:2] Moved" % (dst_validity, uids[1], uids[3]),
        "* 2 EXPUNGE",
        "* 3 EXPUNGE",
    ]
    assert tagged == "m1 OK MOVE completed"
    assert status(c, src, "MESSAGES") == {"MESSAGES": 2}
    assert status(c, dst, "MESSAGES") == {"MESSAGES": 2}


def test_uid_move(c):
    src, uids = new_box(c, 3)
    dst, _ = new_box(c)
    dst_validity = status(c, dst)["UIDVALIDITY"]
    select(c, src)
    untagged, tagged = c.cmd('UID MOVE %d:%d "%s"' % (uids[0], uids[1], dst), tag="m2")
    assert untagged == [
        "* OK [COPYUID %d %d:%d 1:2] Moved" % (dst_validity, uids[0], uids[1]),
        "* 1 EXPUNGE",
        "* 1 EXPUNGE",
    ]
    assert tagged == "m2 OK MOVE completed"
    _, tagged = c.cmd('UID MOVE %d "%s"' % (uids[2], unique("nobox")), tag="m3")
    assert tagged == "m3 NO [TRYCREATE] No such mailbox"
    assert status(c, src, "MESSAGES") == {"MESSAGES": 1}


def test_move_with_qresync_sends_vanished(c):
    src, uids = new_box(c, 3)
    dst, _ = new_box(c)
    c.ok("ENABLE QRESYNC")
    select(c, src)
    untagged, tagged = c.cmd('MOVE 1:2 "%s"' % dst, tag="m4")
    assert untagged[0].startswith("* OK [COPYUID ")
    assert untagged[1:] == ["* VANISHED %d:%d" % (uids[0], uids[1])]


# --- CLOSE / UNSELECT / CHECK ---


def test_close_expunges_silently(c):
    box, _ = new_box(c, 3)
    select(c, box)
    c.ok("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    assert c.cmd("CLOSE", tag="cl") == ([], "cl OK CLOSE completed")
    assert status(c, box, "MESSAGES") == {"MESSAGES": 1}
    assert c.cmd("CHECK", tag="ck")[1] == "ck BAD No mailbox selected"


def test_close_on_examine_does_not_expunge(c):
    box, _ = new_box(c, 2)
    select(c, box)
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    select(c, box, cmd="EXAMINE")
    assert c.cmd("CLOSE", tag="cl") == ([], "cl OK CLOSE completed")
    assert status(c, box, "MESSAGES") == {"MESSAGES": 2}


def test_unselect_does_not_expunge(c):
    box, _ = new_box(c, 2)
    select(c, box)
    c.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    assert c.cmd("UNSELECT", tag="un") == ([], "un OK UNSELECT completed")
    assert status(c, box, "MESSAGES DELETED") == {"MESSAGES": 2, "DELETED": 2}
    assert c.cmd("UNSELECT", tag="u2")[1] == "u2 BAD No mailbox selected"


def test_check(c):
    box, _ = new_box(c, 1)
    select(c, box)
    assert c.cmd("CHECK", tag="ck") == ([], "ck OK CHECK completed")


def test_imaplib_untagged_responses(server):
    """imaplib keeps the untagged data of SELECT, STORE and EXPUNGE."""
    m = login(server)
    box = unique("Lib")
    m.create(box)
    for _ in range(3):
        m.append(box, None, None, message())
    typ, data = m.select(box)
    assert (typ, data) == ("OK", [b"3"])
    assert m.untagged_responses["UIDNEXT"] == [b"4"]
    typ, data = m.store("1:2", "+FLAGS", "(\\Deleted)")
    assert typ == "OK"
    assert data == [b"1 (FLAGS (\\Deleted \\Recent))", b"2 (FLAGS (\\Deleted \\Recent))"]
    typ, data = m.expunge()
    assert (typ, data) == ("OK", [b"1", b"1"])
    m.close()
    m.logout()


def test_mailbox_of_another_user_is_invisible(server):
    box = unique("Private")
    with RawImap(server).login(ALICE) as a:
        a.ok('CREATE "%s"' % box)
        append(a, box)
    with RawImap(server).login(BOB) as b:
        _, tagged = b.cmd('SELECT "%s"' % box, tag="x")
        assert tagged == "x NO [NONEXISTENT] No such mailbox"
        _, tagged = b.cmd('STATUS "%s" (MESSAGES)' % box, tag="y")
        assert tagged == "y NO [NONEXISTENT] No such mailbox"
