"""Mailbox commands: LIST (RFC 9051 6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS
RFC 5819, SPECIAL-USE RFC 6154), LSUB, CREATE, DELETE, RENAME, SUBSCRIBE,
UNSUBSCRIBE, STATUS (RFC 9051 6.3.11, RFC 8438, RFC 7162) and modified UTF-7
names (RFC 9051 5.1.3).

ALICE's tests each work under a top-level name of their own; BOB's mailboxes
are never changed, so his LIST answers are exact; RENAMER's INBOX is renamed."""

import re

import pytest

from conftest import ALICE, BOB, RawImap, message, new_server, unique

RENAMER = ("renamer@example.test", "renamer-pw")

DEFAULT_LIST = [
    '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = new_server(tmp_path_factory.mktemp("mailboxes"), users=(ALICE, BOB, RENAMER))
    yield srv
    srv.stop_or_fail()


@pytest.fixture
def alice(server):
    c = RawImap(server).login(ALICE)
    yield c
    c.close()


@pytest.fixture
def bob(server):
    c = RawImap(server).login(BOB)
    yield c
    c.close()


def create(c, *names):
    for name in names:
        assert c.cmd('CREATE "%s"' % name, tag="cr")[1] == "cr OK CREATE completed"


def lst(c, args):
    untagged, tagged = c.cmd("LIST " + args, tag="L")
    assert tagged == "L OK LIST completed", (args, tagged)
    return untagged


def append_raw(c, mailbox, data, flags=""):
    c.send('ap APPEND "%s" %s{%d+}\r\n' % (mailbox, "(%s) " % flags if flags else "", len(data)))
    c.send(data + b"\r\n")
    _, tagged = c.read_response("ap")
    assert tagged.startswith("ap OK [APPENDUID "), tagged


def status(c, mailbox, items):
    untagged, tagged = c.cmd('STATUS "%s" (%s)' % (mailbox, items), tag="st")
    assert tagged == "st OK STATUS completed", tagged
    assert len(untagged) == 1, untagged
    found = re.fullmatch(r'\* STATUS "?(.*?)"? \((.*)\)', untagged[0])
    assert found, untagged
    words = found.group(2).split()
    return dict(zip(words[0::2], map(int, words[1::2])))


# --- LIST ---


def test_list_all_default_mailboxes(bob):
    assert sorted(lst(bob, '"" *')) == sorted(DEFAULT_LIST)
    assert sorted(lst(bob, '"" %')) == sorted(DEFAULT_LIST)


def test_list_empty_pattern_gives_root_and_separator(bob):
    assert lst(bob, '"" ""') == ['* LIST (\\Noselect) "/" ""']


def test_list_inbox_is_case_insensitive(bob):
    assert lst(bob, '"" inbox') == ['* LIST (\\HasNoChildren) "/" "INBOX"']
    assert lst(bob, '"" InBoX') == ['* LIST (\\HasNoChildren) "/" "INBOX"']
    # Other names are case-sensitive.
    assert lst(bob, '"" sent') == []


def test_list_nothing_matches(bob):
    assert lst(bob, '"" "NoSuchThing*"') == []


def test_list_star_and_percent(alice):
    p = unique("P")
    create(alice, p + "/a/b", p + "/c")
    assert lst(alice, '"" "%s/%%"' % p) == [
        '* LIST (\\HasChildren) "/" "%s/a"' % p,
        '* LIST (\\HasNoChildren) "/" "%s/c"' % p,
    ]
    assert lst(alice, '"" "%s/*"' % p) == [
        '* LIST (\\HasChildren) "/" "%s/a"' % p,
        '* LIST (\\HasNoChildren) "/" "%s/a/b"' % p,
        '* LIST (\\HasNoChildren) "/" "%s/c"' % p,
    ]
    assert lst(alice, '"" "%s"' % p) == ['* LIST (\\HasChildren) "/" "%s"' % p]
    assert lst(alice, '"" "%s%%"' % p) == ['* LIST (\\HasChildren) "/" "%s"' % p]
    assert lst(alice, '"" "%s/%%/%%"' % p) == ['* LIST (\\HasNoChildren) "/" "%s/a/b"' % p]
    assert lst(alice, '"" "%s/*b"' % p) == ['* LIST (\\HasNoChildren) "/" "%s/a/b"' % p]


def test_list_with_reference(alice):
    p = unique("R")
    create(alice, p + "/x/y", p + "/z")
    assert lst(alice, '"%s/" %%' % p) == [
        '* LIST (\\HasChildren) "/" "%s/x"' % p,
        '* LIST (\\HasNoChildren) "/" "%s/z"' % p,
    ]
    assert lst(alice, '"%s/x/" "*"' % p) == ['* LIST (\\HasNoChildren) "/" "%s/x/y"' % p]


def test_list_special_use_selection_and_return(bob):
    assert sorted(lst(bob, '(SPECIAL-USE) "" *')) == sorted(
        line for line in DEFAULT_LIST if "INBOX" not in line
    )
    assert sorted(lst(bob, '"" * RETURN (SPECIAL-USE)')) == sorted(DEFAULT_LIST)


def test_list_multiple_patterns(bob):
    assert sorted(lst(bob, '"" (INBOX Sent)')) == sorted([
        '* LIST (\\HasNoChildren) "/" "INBOX"',
        '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    ])


def test_list_extended_subscribed(alice):
    x = unique("X")
    create(alice, x + "/a", x + "/b/c", x + "/d")
    for name in (x + "/a", x + "/b/c", x + "/d"):
        alice.ok('SUBSCRIBE "%s"' % name)
    alice.ok('DELETE "%s/d"' % x)  # stays subscribed (RFC 9051 6.3.7)
    assert sorted(lst(alice, '(SUBSCRIBED) "" "%s/*"' % x)) == [
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s/a"' % x,
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s/b/c"' % x,
        '* LIST (\\NonExistent \\Subscribed) "/" "%s/d"' % x,
    ]
    # RFC 5258 3.5: a parent matched only through a subscribed child carries CHILDINFO.
    assert sorted(lst(alice, '(SUBSCRIBED RECURSIVEMATCH) "" "%s/%%"' % x)) == [
        '* LIST (\\HasChildren) "/" "%s/b" ("CHILDINFO" ("SUBSCRIBED"))' % x,
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s/a"' % x,
        '* LIST (\\NonExistent \\Subscribed) "/" "%s/d"' % x,
    ]
    assert lst(alice, '"" "%s/*" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)' % x) == [
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s/a"' % x,
        '* LIST (\\HasChildren) "/" "%s/b"' % x,
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s/b/c"' % x,
    ]


def test_list_extended_bad_options(alice):
    for args in ('(RECURSIVEMATCH) "" *', '(FROB) "" *', '"" * RETURN (FROB)', '"" * RETURN'):
        _, tagged = alice.cmd("LIST " + args, tag="b")
        assert tagged.startswith("b BAD "), (args, tagged)


def test_list_status(alice):
    s = unique("S")
    create(alice, s + "/full", s + "/empty")
    append_raw(alice, s + "/full", message(), flags="\\Seen")
    append_raw(alice, s + "/full", message())
    assert lst(alice, '"" "%s/%%" RETURN (STATUS (MESSAGES UNSEEN))' % s) == [
        '* LIST (\\HasNoChildren) "/" "%s/empty"' % s,
        '* STATUS "%s/empty" (MESSAGES 0 UNSEEN 0)' % s,
        '* LIST (\\HasNoChildren) "/" "%s/full"' % s,
        '* STATUS "%s/full" (MESSAGES 2 UNSEEN 1)' % s,
    ]


def test_lsub(alice):
    u = unique("U")
    create(alice, u + "/one", u + "/two/three")
    alice.ok('SUBSCRIBE "%s/one"' % u)
    alice.ok('SUBSCRIBE "%s/two/three"' % u)
    untagged, tagged = alice.cmd('LSUB "" "%s/*"' % u, tag="ls")
    assert tagged == "ls OK LSUB completed"
    assert untagged == [
        '* LSUB () "/" "%s/one"' % u,
        '* LSUB () "/" "%s/two/three"' % u,
    ]
    # RFC 3501 6.3.9: with %, an unsubscribed parent of a subscribed mailbox
    # is returned with \Noselect.
    untagged, _ = alice.cmd('LSUB "" "%s/%%"' % u, tag="ls")
    assert sorted(untagged) == [
        '* LSUB () "/" "%s/one"' % u,
        '* LSUB (\\Noselect) "/" "%s/two"' % u,
    ]


def test_subscribe_unsubscribe(alice):
    name = unique("Sub")
    create(alice, name)
    assert alice.cmd('SUBSCRIBE "%s"' % name, tag="s") == ([], "s OK SUBSCRIBE completed")
    assert lst(alice, '(SUBSCRIBED) "" "%s"' % name) == [
        '* LIST (\\HasNoChildren \\Subscribed) "/" "%s"' % name
    ]
    assert alice.cmd('UNSUBSCRIBE "%s"' % name, tag="u") == ([], "u OK UNSUBSCRIBE completed")
    assert lst(alice, '(SUBSCRIBED) "" "%s"' % name) == []
    assert lst(alice, '"" "%s"' % name) == ['* LIST (\\HasNoChildren) "/" "%s"' % name]


# --- CREATE ---


def test_create_with_parents_and_trailing_separator(alice):
    c = unique("C")
    assert alice.cmd('CREATE "%s/a/b/"' % c, tag="c1") == ([], "c1 OK CREATE completed")
    assert lst(alice, '"" "%s*"' % c) == [
        '* LIST (\\HasChildren) "/" "%s"' % c,
        '* LIST (\\HasChildren) "/" "%s/a"' % c,
        '* LIST (\\HasNoChildren) "/" "%s/a/b"' % c,
    ]
    # The parents are real, selectable mailboxes.
    untagged, tagged = alice.cmd('SELECT "%s/a"' % c, tag="c2")
    assert tagged == "c2 OK [READ-WRITE] SELECT completed"


def test_create_existing_names(alice):
    c = unique("E")
    create(alice, c)
    assert alice.cmd('CREATE "%s"' % c, tag="e1")[1] == (
        "e1 NO [ALREADYEXISTS] Mailbox already exists"
    )
    assert alice.cmd('CREATE "%s/"' % c, tag="e2")[1] == (
        "e2 NO [ALREADYEXISTS] Mailbox already exists"
    )
    for tag, name in (("e3", "INBOX"), ("e4", "inbox"), ("e5", "Sent")):
        _, tagged = alice.cmd('CREATE "%s"' % name, tag=tag)
        assert tagged.startswith(tag + " NO [ALREADYEXISTS] "), tagged


def test_create_special_use(alice):
    a = unique("Arch")
    assert alice.cmd('CREATE "%s" (USE (\\Archive))' % a, tag="u1") == (
        [],
        "u1 OK CREATE completed",
    )
    assert lst(alice, '"" "%s"' % a) == ['* LIST (\\HasNoChildren \\Archive) "/" "%s"' % a]
    assert lst(alice, '(SPECIAL-USE) "" "%s"' % a) == [
        '* LIST (\\HasNoChildren \\Archive) "/" "%s"' % a
    ]
    _, tagged = alice.cmd('CREATE "%s" (USE (\\Inbox))' % unique("Bad"), tag="u2")
    assert tagged == "u2 NO [USEATTR] Unsupported special-use attribute"
    _, tagged = alice.cmd('CREATE "%s" (FROB (\\Archive))' % unique("Bad"), tag="u3")
    assert tagged == "u3 BAD Invalid CREATE parameters"


def test_create_invalid_names(alice):
    for tag, name in (("i1", "a*b"), ("i2", "a%b"), ("i3", "/lead"), ("i4", "a//b"), ("i5", "")):
        _, tagged = alice.cmd('CREATE "%s"' % name, tag=tag)
        assert tagged.startswith(tag + " NO "), (name, tagged)
    assert lst(alice, '"" "a*b"') == []


# --- DELETE ---


def test_delete(alice):
    d = unique("D")
    create(alice, d + "/child")
    assert alice.cmd("DELETE INBOX", tag="d1")[1] == "d1 NO [CANNOT] INBOX cannot be deleted"
    _, tagged = alice.cmd('DELETE "%s"' % d, tag="d2")
    assert tagged.startswith("d2 NO [HASCHILDREN] "), tagged
    assert alice.cmd('DELETE "%s/child"' % d, tag="d3") == ([], "d3 OK DELETE completed")
    assert alice.cmd('DELETE "%s"' % d, tag="d4") == ([], "d4 OK DELETE completed")
    assert lst(alice, '"" "%s*"' % d) == []
    assert alice.cmd('DELETE "%s"' % d, tag="d5")[1] == "d5 NO [NONEXISTENT] No such mailbox"


def test_delete_mailbox_with_messages(alice):
    d = unique("DM")
    create(alice, d)
    append_raw(alice, d, message())
    assert alice.cmd('DELETE "%s"' % d, tag="d") == ([], "d OK DELETE completed")
    _, tagged = alice.cmd('STATUS "%s" (MESSAGES)' % d, tag="s")
    assert tagged == "s NO [NONEXISTENT] No such mailbox"


# --- RENAME ---


def test_rename_with_children(alice):
    r = unique("Rn")
    create(alice, r + "/a/b", r + "/a/b/c")
    append_raw(alice, r + "/a/b", message())
    assert alice.cmd('RENAME "%s/a" "%s/z"' % (r, r), tag="r1") == ([], "r1 OK RENAME completed")
    assert lst(alice, '"" "%s/*"' % r) == [
        '* LIST (\\HasChildren) "/" "%s/z"' % r,
        '* LIST (\\HasChildren) "/" "%s/z/b"' % r,
        '* LIST (\\HasNoChildren) "/" "%s/z/b/c"' % r,
    ]
    assert status(alice, r + "/z/b", "MESSAGES") == {"MESSAGES": 1}


def test_rename_errors(alice):
    r = unique("Re")
    create(alice, r + "/x", r + "/y")
    _, tagged = alice.cmd('RENAME "%s/x" "%s/y"' % (r, r), tag="r1")
    assert tagged == "r1 NO [ALREADYEXISTS] Mailbox already exists"
    _, tagged = alice.cmd('RENAME "%s/none" "%s/w"' % (r, r), tag="r2")
    assert tagged == "r2 NO [NONEXISTENT] No such mailbox"
    _, tagged = alice.cmd('RENAME "%s/x" "INBOX"' % r, tag="r3")
    assert tagged == "r3 NO [CANNOT] Invalid new mailbox name"
    _, tagged = alice.cmd('RENAME "%s/x" "%s/x/sub"' % (r, r), tag="r4")
    assert tagged.startswith("r4 NO "), tagged


def test_rename_to_a_new_parent_creates_it(alice):
    r = unique("Rp")
    create(alice, r + "/leaf")
    assert alice.cmd('RENAME "%s/leaf" "%s/new/leaf"' % (r, r), tag="r")[1] == (
        "r OK RENAME completed"
    )
    names = [line.rsplit(" ", 1)[1] for line in lst(alice, '"" "%s/*"' % r)]
    assert names == ['"%s/new"' % r, '"%s/new/leaf"' % r]


def test_rename_inbox_moves_its_messages(server):
    with RawImap(server).login(RENAMER) as c:
        append_raw(c, "INBOX", message(subject="one"))
        append_raw(c, "INBOX", message(subject="two"), flags="\\Seen")
        assert c.cmd('RENAME INBOX "Old Inbox"', tag="r") == ([], "r OK RENAME completed")
        assert status(c, "Old Inbox", "MESSAGES UNSEEN") == {"MESSAGES": 2, "UNSEEN": 1}
        assert status(c, "INBOX", "MESSAGES UIDNEXT") == {"MESSAGES": 0, "UIDNEXT": 3}
        assert lst(c, '"" "INBOX"') == ['* LIST (\\HasNoChildren) "/" "INBOX"']
        untagged, tagged = c.cmd("SELECT INBOX", tag="s")
        assert "* 0 EXISTS" in untagged


# --- STATUS ---


def test_status_every_item(alice):
    s = unique("St")
    create(alice, s)
    msgs = [message(subject="a"), message(subject="bb"), message(subject="ccc")]
    append_raw(alice, s, msgs[0], flags="\\Seen")
    append_raw(alice, s, msgs[1], flags="\\Deleted")
    append_raw(alice, s, msgs[2])
    got = status(
        alice, s, "MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ"
    )
    assert set(got) == {
        "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE",
        "HIGHESTMODSEQ",
    }
    assert got["MESSAGES"] == 3
    assert got["UIDNEXT"] == 4
    assert got["UNSEEN"] == 2
    assert got["DELETED"] == 1
    assert got["SIZE"] == sum(len(m) for m in msgs)
    # The same numbers as EXAMINE reports (which does not change the mailbox).
    untagged, _ = alice.cmd('EXAMINE "%s"' % s, tag="ex")
    text = "\n".join(untagged)
    assert "[UIDVALIDITY %d]" % got["UIDVALIDITY"] in text
    assert "[HIGHESTMODSEQ %d]" % got["HIGHESTMODSEQ"] in text
    assert "* %d RECENT" % got["RECENT"] in untagged
    assert got["HIGHESTMODSEQ"] >= 3
    assert got["UIDVALIDITY"] > 0


def test_status_single_items_and_errors(alice):
    s = unique("St")
    create(alice, s)
    assert status(alice, s, "SIZE") == {"SIZE": 0}
    assert status(alice, s, "UIDNEXT MESSAGES") == {"MESSAGES": 0, "UIDNEXT": 1}
    _, tagged = alice.cmd('STATUS "%s" (MESSAGES)' % unique("none"), tag="e1")
    assert tagged == "e1 NO [NONEXISTENT] No such mailbox"
    _, tagged = alice.cmd('STATUS "%s" (FROB)' % s, tag="e2")
    assert tagged == "e2 BAD Invalid STATUS items"
    _, tagged = alice.cmd('STATUS "%s" ()' % s, tag="e3")
    assert tagged == "e3 BAD Invalid STATUS items"
    _, tagged = alice.cmd('STATUS "%s"' % s, tag="e4")
    assert tagged == "e4 BAD Invalid STATUS items"


def test_status_inbox_any_case(bob):
    assert status(bob, "inbox", "MESSAGES") == {"MESSAGES": 0}


# --- modified UTF-7 ---


def test_modified_utf7_names_round_trip(server, alice):
    base = unique("M")
    name = base + "/Entw&APw-rfe"
    assert alice.cmd('CREATE "%s"' % name, tag="m1") == ([], "m1 OK CREATE completed")
    assert lst(alice, '"" "%s/*"' % base) == ['* LIST (\\HasNoChildren) "/" "%s"' % name]
    assert status(alice, name, "MESSAGES") == {"MESSAGES": 0}
    smiley = base + "/&Jjo-"
    create(alice, smiley)
    assert sorted(lst(alice, '"" "%s/*"' % base)) == sorted([
        '* LIST (\\HasNoChildren) "/" "%s"' % name,
        '* LIST (\\HasNoChildren) "/" "%s"' % smiley,
    ])
    # A pattern is modified UTF-7 too: an invalid one is refused.
    _, tagged = alice.cmd('LIST "" "%s/&*"' % base, tag="m2")
    assert tagged.startswith("m2 NO Invalid mailbox name"), tagged
    # Stored as UTF-8: the admin tool shows the real name.
    out = server.cli("mailbox", "list", ALICE[0]).stdout
    assert base + "/Entwürfe\tmessages=0" in out
    assert base + "/\u263a\tmessages=0" in out


@pytest.mark.parametrize("bad", ["&Jjo", "&AGE-", "&ZeVnLIqe", "&U,BTFw-&ZeVnLIqe-"])
def test_invalid_modified_utf7_names(alice, bad):
    # "&Jjo", "&ZeVnLIqe": unterminated; "&AGE-": encodes ASCII 'a';
    # "&U,BTFw-&ZeVnLIqe-": two adjacent encoded runs (RFC 3501 5.1.3).
    _, tagged = alice.cmd('CREATE "%s"' % bad, tag="bad")
    assert tagged.startswith("bad NO Invalid mailbox name"), (bad, tagged)
    assert lst(alice, '"" "%s"' % bad.replace("&", "*")) == []


def test_ampersand_is_written_as_ampersand_dash(alice):
    name = unique("amp") + "&-co"
    create(alice, name)
    assert lst(alice, '"" "%s"' % name) == ['* LIST (\\HasNoChildren) "/" "%s"' % name]
