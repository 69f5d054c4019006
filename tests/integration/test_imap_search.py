"""SEARCH and UID SEARCH against the real server: every search key, AND/OR/NOT
and parentheses, sequence and UID sets with '*' and '$', ESEARCH and RETURN
options, SEARCHRES, MODSEQ, CHARSET and syntax errors.
RFC 9051 / RFC 3501 6.4.4, RFC 4731, RFC 5182, RFC 7162 3.1.5."""

import base64
import imaplib
import re

import pytest

from conftest import ALICE, RawImap, append, login, new_server, unique


def b64(text):
    return base64.b64encode(text.encode()).decode()


def crlf(text):
    return text.replace("\n", "\r\n").encode()


# Five messages with varied headers, flags, keywords and dates. Internal dates
# and Date: headers sit near midnight in non-UTC zones, so the day depends on
# the zone: the server takes the day in the zone the date was given in.
M1 = crlf(
    "From: Alice Example <alice@example.org>\n"
    "To: bob@example.test\n"
    "Cc: carol@example.net\n"
    "Subject: =?UTF-8?B?%s?=\n"
    "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
    "Message-ID: <m1@example.org>\n"
    "\n"
    "Hello world, this is plain text.\n" % b64("Café meeting")
)
M2 = crlf(
    "From: Bob <bob@example.test>\n"
    "To: alice@example.org, Dave <dave@example.com>\n"
    "Subject: Re: quarterly report\n"
    "Date: Tue, 15 Feb 2022 23:30:00 -0800\n"
    "X-Priority: 1\n"
    "\n"
    "Numbers attached inline: 42.\n"
)
M3 = crlf(
    "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>\n"
    "To: team@example.test\n"
    "Bcc: hidden@example.org\n"
    "Subject: =?ISO-8859-1?Q?Caf=E9?= price list\n"
    "Date: Wed, 10 Jul 2024 08:00:00 +0200\n"
    "X-Custom: Foo-Bar-Value\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="b1"\n'
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, soft=\n"
    "break joined.\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "%s\n"
    "--b1\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "%s\n"
    "--b1--\n" % (b64("<p>html only phrase zebra</p>"), b64("secretattachmentword"))
)
M4 = crlf(
    "From: noreply@service.example\n"
    "To: u@example.test\n"
    "\n" + "filler line of a big message without a date\n" * 120
)
M5 = crlf(
    "From: ALICE@EXAMPLE.ORG\n"
    "To: Bob <bob@example.test>, carol@example.net\n"
    "Cc: Eve <eve@example.com>\n"
    "Subject: lowercase needle subject\n"
    "Date: Sun, 31 Dec 2023 23:30:00 -0100\n"
    "Message-ID: <m5@example.org>\n"
    "\n"
    "Body with needle and the word Hello.\n"
)
MESSAGES = [
    (M1, r"(\Seen)", '"01-Jan-2024 10:00:00 +0000"'),
    (M2, r"(\Flagged \Answered $Important)", '"15-Feb-2022 23:30:00 -0800"'),
    (M3, r"(\Draft Work)", '"10-Jul-2024 01:30:00 +0200"'),
    (M4, r"(\Deleted)", '"31-Dec-2023 23:59:59 -0500"'),
    (M5, "(Work $Important)", '"02-Jan-2024 00:00:01 +0100"'),
]
SIZES = [len(m) for m, _, _ in MESSAGES]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server logging at debug level (the SEARCH log line counts parsed messages)."""
    s = new_server(tmp_path_factory.mktemp("search"), server={"log_level": "debug"})
    m = login(s)
    for msg, flags, date in MESSAGES:
        append(m, "INBOX", msg, flags, date)
    m.logout()
    yield s
    s.stop_or_fail()


@pytest.fixture(scope="module")
def inbox(srv):
    """The first session to SELECT INBOX: every message is \\Recent for it."""
    c = RawImap(srv).login()
    c.ok("SELECT INBOX")
    yield c
    c.close()


@pytest.fixture
def fresh(srv):
    """Another session on INBOX (nothing \\Recent, nothing saved)."""
    c = RawImap(srv).login()
    c.ok("SELECT INBOX")
    yield c
    c.close()


def nums(untagged, kind="SEARCH"):
    """The numbers of the only untagged SEARCH response."""
    lines = [u for u in untagged if u.startswith("* %s" % kind)]
    assert len(lines) == 1, untagged
    return [int(x) for x in lines[0].split()[2:]]


def search(c, criteria, uid=False):
    untagged, tagged = c.cmd(("UID SEARCH " if uid else "SEARCH ") + criteria)
    assert tagged.split(" ", 2)[1] == "OK", (criteria, untagged, tagged)
    return nums(untagged)


def search_lit(c, prefix, text, suffix=""):
    """SEARCH with one UTF-8 literal (LITERAL+), e.g. prefix 'CHARSET UTF-8 BODY'."""
    data = text.encode()
    tag = "L%d" % next(c.tags)
    c.send(b"%s SEARCH %s {%d+}\r\n%s%s\r\n" % (tag.encode(), prefix.encode(), len(data), data,
                                                 suffix.encode()))
    untagged, tagged = c.read_response(tag)
    assert tagged == tag + " OK SEARCH completed", (untagged, tagged)
    return nums(untagged)


def esearch(c, criteria, uid=False, tag="e1"):
    """Runs a command and returns the ESEARCH line after '(TAG "...")' ('' if empty)."""
    untagged, tagged = c.cmd(("UID SEARCH " if uid else "SEARCH ") + criteria, tag=tag)
    assert tagged == tag + " OK SEARCH completed", (untagged, tagged)
    assert not [u for u in untagged if u.startswith("* SEARCH")], untagged
    lines = [u for u in untagged if u.startswith("* ESEARCH")]
    assert len(lines) == 1, untagged
    prefix = '* ESEARCH (TAG "%s")' % tag
    assert lines[0].startswith(prefix), lines
    return lines[0][len(prefix):].strip()


def bad(c, criteria):
    untagged, tagged = c.cmd("SEARCH " + criteria, tag="b1")
    assert tagged.startswith("b1 BAD "), (criteria, untagged, tagged)
    assert untagged == [], untagged
    return tagged[len("b1 BAD "):]


def parsed_in_log(srv):
    found = re.findall(r"cmd=SEARCH messages=\d+ matched=\d+ parsed=(\d+)", srv.stderr_text())
    assert found, "no SEARCH log line"
    return int(found[-1])


# --- flags and keywords ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("ALL", [1, 2, 3, 4, 5]),
        ("SEEN", [1]),
        ("UNSEEN", [2, 3, 4, 5]),
        ("FLAGGED", [2]),
        ("UNFLAGGED", [1, 3, 4, 5]),
        ("ANSWERED", [2]),
        ("UNANSWERED", [1, 3, 4, 5]),
        ("DRAFT", [3]),
        ("UNDRAFT", [1, 2, 4, 5]),
        ("DELETED", [4]),
        ("UNDELETED", [1, 2, 3, 5]),
        ("KEYWORD $Important", [2, 5]),
        ("KEYWORD work", [3, 5]),
        ("UNKEYWORD Work", [1, 2, 4]),
        ("KEYWORD Nope", []),
        ("UNKEYWORD Nope", [1, 2, 3, 4, 5]),
        ("seen", [1]),
    ],
)
def test_flags_and_keywords(inbox, criteria, expected):
    assert search(inbox, criteria) == expected


def test_recent_new_old_in_the_first_session(inbox):
    assert search(inbox, "RECENT") == [1, 2, 3, 4, 5]
    assert search(inbox, "NEW") == [2, 3, 4, 5]
    assert search(inbox, "OLD") == []


def test_recent_new_old_in_a_later_session(inbox, fresh):
    assert search(fresh, "RECENT") == []
    assert search(fresh, "NEW") == []
    assert search(fresh, "OLD") == [1, 2, 3, 4, 5]


# --- dates and sizes ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("ON 1-Jan-2024", [1]),  # 4 and 5 are 1 Jan only in UTC
        ("ON 15-Feb-2022", [2]),
        ("ON 16-Feb-2022", []),
        ("ON 10-Jul-2024", [3]),
        ("ON 31-Dec-2023", [4]),
        ("BEFORE 1-Jan-2024", [2, 4]),
        ("BEFORE 2-Jan-2024", [1, 2, 4]),
        ("SINCE 1-Jan-2024", [1, 3, 5]),
        ("SINCE 2-Jan-2024", [3, 5]),
        ("SINCE 11-Jul-2024", []),
        ("BEFORE 1-Jan-1990", []),
        ("SENTON 31-Dec-2023", [4, 5]),  # 4 has no Date: its internal date counts
        ("SENTON 15-Feb-2022", [2]),
        ("SENTBEFORE 1-Jan-2024", [2, 4, 5]),
        ("SENTSINCE 1-Jan-2024", [1, 3]),
        ("SENTSINCE 10-Jul-2024", [3]),
        ("SENTBEFORE 15-Feb-2022", []),
    ],
)
def test_dates(inbox, criteria, expected):
    assert search(inbox, criteria) == expected


def test_sizes(inbox):
    for n in sorted(set(SIZES)) + [0, 1, max(SIZES) + 1]:
        larger = [i + 1 for i, s in enumerate(SIZES) if s > n]
        smaller = [i + 1 for i, s in enumerate(SIZES) if s < n]
        assert search(inbox, "LARGER %d" % n) == larger, n
        assert search(inbox, "SMALLER %d" % n) == smaller, n
    assert search(inbox, "LARGER 9223372036854775807") == []


# --- headers and text ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("FROM alice", [1, 5]),
        ('FROM "ALICE example"', [1]),
        ("FROM example.test", [2]),
        ("FROM juergen", [3]),
        ("TO bob", [1, 5]),
        ("TO dave", [2]),
        ("TO example.test", [1, 3, 4, 5]),
        ("CC carol", [1]),
        ("CC eve", [5]),
        ('CC ""', [1, 5]),
        ("BCC hidden", [3]),
        ('BCC ""', [3]),
        ('SUBJECT ""', [1, 2, 3, 5]),
        ("SUBJECT needle", [5]),
        ('SUBJECT "quarterly REPORT"', [2]),
        ("SUBJECT meeting", [1]),  # inside a base64 encoded-word
        ("SUBJECT =?UTF-8?B?", []),  # the decoded value is searched, not the raw one
        ("HEADER Message-ID m5@", [5]),
        ('HEADER message-id ""', [1, 5]),
        ("HEADER X-Priority 1", [2]),
        ('HEADER x-custom "bar-val"', [3]),
        ('HEADER X-Nothing ""', []),
        ("BODY hello", [1, 5]),
        ("BODY needle", [5]),
        ("BODY numbers", [2]),
        ("BODY softbreak", [3]),  # quoted-printable soft line break undone
        ("BODY zebra", [3]),  # base64 text/html part decoded
        ("BODY secretattachmentword", []),  # not a text part
        ("BODY alice", []),  # headers are not body
        ('BODY ""', [1, 2, 3, 4, 5]),
        ("TEXT needle", [5]),
        ("TEXT alice", [1, 2, 5]),
        ("TEXT m1@example.org", [1]),
        ("TEXT foo-bar-value", [3]),
        ("TEXT zebra", [3]),
        ("TEXT filler", [4]),
        ("TEXT nowhere-to-be-found", []),
    ],
)
def test_header_and_text_keys(inbox, criteria, expected):
    assert search(inbox, criteria) == expected


@pytest.mark.parametrize(
    "prefix, text, expected",
    [
        ("CHARSET UTF-8 BODY", "Grüße", [3]),
        ("CHARSET UTF-8 BODY", "münchen", [3]),
        ("CHARSET UTF-8 SUBJECT", "Café", [1, 3]),  # UTF-8 and ISO-8859-1 encoded-words
        ("CHARSET UTF-8 SUBJECT", "CAFé", [1, 3]),  # ASCII letters fold
        ("CHARSET UTF-8 SUBJECT", "CAFÉ", []),  # non-ASCII letters do not
        ("CHARSET utf-8 FROM", "JüRGEN", [3]),
        ("BODY", "Grüße", [3]),  # no CHARSET: UTF-8 bytes all the same
        ("CHARSET US-ASCII FROM", "alice", [1, 5]),
    ],
)
def test_utf8_literals(inbox, prefix, text, expected):
    assert search_lit(inbox, prefix, text) == expected


# --- sets ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("2:4", [2, 3, 4]),
        ("4:2", [2, 3, 4]),
        ("*", [5]),
        ("4:*", [4, 5]),
        ("*:4", [4, 5]),
        ("1,3,5", [1, 3, 5]),
        ("3:10", [3, 4, 5]),
        ("6", []),
        ("UID 2:3", [2, 3]),
        ("UID *", [5]),
        ("UID 100:*", [5]),
        ("UID 6:7", []),
        ("1:* UID 2,4", [2, 4]),
    ],
)
def test_sets(inbox, criteria, expected):
    assert search(inbox, criteria) == expected


# --- combinations ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("OR SEEN FLAGGED", [1, 2]),
        ("NOT SEEN", [2, 3, 4, 5]),
        ("NOT (OR SEEN FLAGGED)", [3, 4, 5]),
        ("OR (SEEN) (DRAFT) NOT FROM alice", [3]),
        ("OR FROM alice TO dave", [1, 2, 5]),
        ("OR NOT DELETED KEYWORD Work", [1, 2, 3, 5]),
        ("UNSEEN SMALLER 1000 BODY hello", [5]),
        ("((SEEN) (FROM alice))", [1]),
        ("(SEEN FROM alice)", [1]),
        ("NOT NOT NOT SEEN", [2, 3, 4, 5]),
        ("OR (OR 1 2) (OR 3 SUBJECT needle)", [1, 2, 3, 5]),
        ("NOT OR BODY hello TEXT needle", [2, 3, 4]),
        ("SINCE 1-Jan-2024 NOT SENTSINCE 1-Jan-2024", [5]),
        ("OR ON 15-Feb-2022 HEADER X-Custom foo UNDRAFT", [2]),
        ("SEEN NOT SEEN", []),
        ("ALL ALL ALL", [1, 2, 3, 4, 5]),
    ],
)
def test_combinations(inbox, criteria, expected):
    assert search(inbox, criteria) == expected


# --- UID SEARCH on a mailbox whose UIDs differ from sequence numbers ---


@pytest.fixture(scope="module")
def gaps(srv):
    """A mailbox holding UIDs 2 and 4 at sequence numbers 1 and 2."""
    name = unique("gaps")
    c = RawImap(srv).login()
    c.ok("CREATE %s" % name)
    m = login(srv)
    for i in range(4):
        append(m, name, crlf("Subject: gap %d\n\nbody %d\n" % (i + 1, i + 1)))
    m.logout()
    c.ok("SELECT %s" % name)
    c.ok(r"STORE 1,3 +FLAGS.SILENT (\Deleted)")
    c.ok("EXPUNGE")
    yield c
    c.close()


@pytest.mark.parametrize(
    "criteria, seqs, uids",
    [
        ("ALL", [1, 2], [2, 4]),
        ("UID 4", [2], [4]),
        ("2", [2], [4]),
        ("UID 1:3", [1], [2]),
        ("*", [2], [4]),
        ("UID *", [2], [4]),
        ("SUBJECT gap", [1, 2], [2, 4]),
        ("BODY 4", [2], [4]),
        ("UID 1,3", [], []),
    ],
)
def test_uid_search(gaps, criteria, seqs, uids):
    assert search(gaps, criteria) == seqs
    assert search(gaps, criteria, uid=True) == uids


def test_search_with_imaplib(srv):
    m = login(srv)
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    typ, data = m.uid("SEARCH", "UNSEEN", "NOT", "DELETED")
    assert (typ, data) == ("OK", [b"2 3 5"])
    typ, data = m.search(None, "FROM", '"alice"')
    assert (typ, data) == ("OK", [b"1 5"])
    m.literal = "Grüße".encode()
    typ, data = m.search("UTF-8", "BODY")
    assert (typ, data) == ("OK", [b"3"])
    m.logout()


def test_empty_mailbox(srv):
    c = RawImap(srv).login()
    c.ok("SELECT Trash")
    assert search(c, "ALL") == []
    assert search(c, "*") == []
    assert search(c, "UID 1:*", uid=True) == []
    assert esearch(c, "RETURN (COUNT MIN MAX ALL) ALL", uid=True) == "UID COUNT 0"
    c.close()


# --- ESEARCH (RFC 4731) and IMAP4rev2 ---


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("RETURN () FLAGGED", "ALL 2"),
        ("RETURN (ALL) NOT DELETED", "ALL 1:3,5"),
        ("RETURN (MIN MAX COUNT) UNSEEN", "MIN 2 MAX 5 COUNT 4"),
        ("RETURN (COUNT) KEYWORD Nope", "COUNT 0"),
        ("RETURN (MIN MAX ALL) KEYWORD Nope", ""),
        ("RETURN (MIN) UNSEEN", "MIN 2"),
        ("RETURN (MAX) UNSEEN", "MAX 5"),
        ("RETURN (ALL COUNT MIN MAX) ALL", "MIN 1 MAX 5 COUNT 5 ALL 1:5"),
        ("RETURN (count) seen", "COUNT 1"),
        ("RETURN (ALL) CHARSET UTF-8 OR SEEN DRAFT", "ALL 1,3"),
    ],
)
def test_esearch(inbox, criteria, expected):
    assert esearch(inbox, criteria) == expected


def test_uid_esearch(gaps):
    assert esearch(gaps, "RETURN (MIN MAX COUNT ALL) ALL", uid=True) == (
        "UID MIN 2 MAX 4 COUNT 2 ALL 2,4"
    )
    assert esearch(gaps, "RETURN (MIN MAX COUNT ALL) ALL") == "MIN 1 MAX 2 COUNT 2 ALL 1:2"
    assert esearch(gaps, "RETURN () UID 3", uid=True) == "UID"
    assert esearch(gaps, "RETURN (COUNT) BODY nothing", uid=True) == "UID COUNT 0"


def test_esearch_tag_is_the_command_tag(inbox):
    untagged, tagged = inbox.cmd("SEARCH RETURN (COUNT) ALL", tag="A.tag-1")
    assert untagged == ['* ESEARCH (TAG "A.tag-1") COUNT 5']
    assert tagged == "A.tag-1 OK SEARCH completed"


def test_imap4rev2_answers_with_esearch(srv):
    c = RawImap(srv).login()
    assert c.ok("ENABLE IMAP4rev2") == ["* ENABLED IMAP4rev2"]
    c.ok("SELECT INBOX")
    assert esearch(c, "FLAGGED") == "ALL 2"
    assert esearch(c, "OR SEEN DRAFT", uid=True) == "UID ALL 1,3"
    assert esearch(c, "TEXT nowhere-to-be-found") == ""
    assert esearch(c, "RETURN (COUNT) UNSEEN") == "COUNT 4"
    untagged, tagged = c.cmd("SEARCH RETURN (SAVE) SEEN")
    assert untagged == [] and tagged.endswith("OK SEARCH completed")
    assert esearch(c, "$") == "ALL 1"
    c.close()


# --- SEARCHRES (RFC 5182) ---


def test_save_then_dollar(fresh):
    untagged, tagged = fresh.cmd("SEARCH RETURN (SAVE) KEYWORD Work")
    assert untagged == [] and tagged.endswith(" OK SEARCH completed")  # no ESEARCH
    assert search(fresh, "$") == [3, 5]
    assert search(fresh, "OR $ 1") == [1, 3, 5]
    assert search(fresh, "NOT $") == [1, 2, 4]
    assert search(fresh, "UID $") == [3, 5]
    assert search(fresh, "UID $", uid=True) == [3, 5]
    assert search(fresh, "$ DRAFT", uid=True) == [3]
    assert esearch(fresh, "RETURN (COUNT) $") == "COUNT 2"


def test_saved_uids_are_uids(gaps):
    gaps.ok("SEARCH RETURN (SAVE) 2")  # sequence 2 is UID 4
    assert search(gaps, "$") == [2]
    assert search(gaps, "UID $", uid=True) == [4]
    gaps.ok("UID SEARCH RETURN (SAVE) UID 2")
    assert search(gaps, "$") == [1]
    assert search(gaps, "$", uid=True) == [2]


@pytest.mark.parametrize(
    "options, shown, saved",
    [
        ("SAVE MIN", "MIN 2", [2]),
        ("SAVE MAX", "MAX 5", [5]),
        ("MAX SAVE MIN", "MIN 2 MAX 5", [2, 5]),
        ("SAVE MIN COUNT", "MIN 2 COUNT 4", [2, 3, 4, 5]),
        ("ALL SAVE", "ALL 2:5", [2, 3, 4, 5]),
    ],
)
def test_save_with_min_max(fresh, options, shown, saved):
    assert esearch(fresh, "RETURN (%s) UNSEEN" % options) == shown
    assert search(fresh, "$") == saved


def test_save_min_max_of_one_message(fresh):
    assert esearch(fresh, "RETURN (SAVE MIN MAX) FLAGGED") == "MIN 2 MAX 2"
    assert search(fresh, "$") == [2]


def test_dollar_without_save_matches_nothing(fresh):
    assert search(fresh, "$") == []
    assert search(fresh, "NOT $") == [1, 2, 3, 4, 5]
    assert search(fresh, "UID $", uid=True) == []


def test_save_of_nothing_empties(fresh):
    fresh.ok("SEARCH RETURN (SAVE) SEEN")
    assert search(fresh, "$") == [1]
    fresh.ok("SEARCH RETURN (SAVE) KEYWORD Nope")
    assert search(fresh, "$") == []


def test_failed_save_empties_and_bad_keeps(fresh):
    fresh.ok("SEARCH RETURN (SAVE) KEYWORD Work")
    assert bad(fresh, "RETURN (SAVE) NOSUCHKEY") != ""
    assert search(fresh, "$") == [3, 5]  # RFC 5182 2.1: BAD leaves it alone
    fresh.ok("SEARCH KEYWORD $Important")  # a search without SAVE leaves it alone
    assert search(fresh, "$") == [3, 5]
    untagged, tagged = fresh.cmd("SEARCH RETURN (SAVE) CHARSET KOI8-R ALL", tag="n1")
    assert tagged.startswith("n1 NO [BADCHARSET (UTF-8 US-ASCII)]"), tagged
    assert search(fresh, "$") == []  # a NO with SAVE empties it
    assert search(fresh, "$", uid=True) == []


def test_select_resets_saved(fresh):
    fresh.ok("SEARCH RETURN (SAVE) SEEN")
    assert search(fresh, "$") == [1]
    fresh.ok("SELECT INBOX")
    assert search(fresh, "$") == []


# --- MODSEQ (RFC 7162) ---


def modseq_of(untagged):
    found = re.search(r"MODSEQ \((\d+)\)", " ".join(untagged))
    assert found, untagged
    return int(found.group(1))


def test_modseq(srv):
    name = unique("mod")
    c = RawImap(srv).login()
    c.ok("CREATE %s" % name)
    m = login(srv)
    for i in range(3):
        append(m, name, crlf("Subject: mod %d\n\nx\n" % i))
    m.logout()
    c.ok("SELECT %s" % name)
    # No CONDSTORE yet: a STORE reply carries no MODSEQ ...
    assert "MODSEQ" not in " ".join(c.ok(r"STORE 1 +FLAGS (\Answered)"))
    untagged, _ = c.cmd("SEARCH MODSEQ 1")
    assert re.fullmatch(r"\* SEARCH 1 2 3 \(MODSEQ \d+\)", untagged[0]), untagged
    # ... the MODSEQ search key enabled CONDSTORE (RFC 7162 3.1).
    n = modseq_of(c.ok(r"STORE 2 +FLAGS (\Seen)"))
    first = modseq_of(c.ok(r"STORE 1 -FLAGS (\Answered)"))
    assert first > n
    assert c.ok("SEARCH MODSEQ %d" % n) == ["* SEARCH 1 2 (MODSEQ %d)" % first]
    assert c.ok("SEARCH MODSEQ %d" % (first + 1)) == ["* SEARCH"]
    assert c.ok("SEARCH MODSEQ %d NOT 1" % n) == ["* SEARCH 2 (MODSEQ %d)" % n]
    assert c.ok(r'SEARCH MODSEQ "/flags/\\seen" all %d' % n) == [
        "* SEARCH 1 2 (MODSEQ %d)" % first
    ]
    assert c.ok("UID SEARCH MODSEQ %d" % first) == ["* SEARCH 1 (MODSEQ %d)" % first]
    assert esearch(c, "RETURN (MIN) MODSEQ %d" % n) == "MIN 1 MODSEQ %d" % first
    assert esearch(c, "RETURN (MAX) MODSEQ %d" % n) == "MAX 2 MODSEQ %d" % n
    assert esearch(c, "RETURN (MIN MAX) MODSEQ %d" % n) == "MIN 1 MAX 2 MODSEQ %d" % first
    assert esearch(c, "RETURN (COUNT) MODSEQ %d" % n) == "COUNT 2 MODSEQ %d" % first
    assert esearch(c, "RETURN (MAX COUNT) MODSEQ %d" % n) == "MAX 2 COUNT 2 MODSEQ %d" % first
    assert esearch(c, "RETURN (ALL) MODSEQ %d" % (first + 1)) == ""
    assert esearch(c, "RETURN (COUNT) MODSEQ %d" % (first + 1)) == "COUNT 0"
    assert c.ok("SEARCH MODSEQ 0") == [
        "* SEARCH 1 2 3 (MODSEQ %d)" % first
    ]
    c.close()


# --- errors ---


@pytest.mark.parametrize(
    "criteria",
    [
        "FOO",
        "",
        "BEFORE 32-Jan-2024",
        "BEFORE 2024-01-01",
        "ON 29-Feb-2023",
        "OR SEEN",
        "NOT",
        "LARGER abc",
        "LARGER 9223372036854775808",
        "0",
        "1:0",
        "UID x",
        "RETURN (FOO) ALL",
        "RETURN ALL ALL",
        "CHARSET",
        "HEADER",
        'HEADER "" x',
        "KEYWORD",
        "MODSEQ",
        "MODSEQ x",
        "SUBJECT (a)",
        "(" * 40 + "ALL" + ")" * 40,
        "NOT " * 40 + "ALL",
    ],
)
def test_syntax_errors(fresh, criteria):
    assert bad(fresh, criteria) != ""
    assert search(fresh, "SEEN") == [1]  # the session goes on


def test_badcharset(fresh):
    untagged, tagged = fresh.cmd("SEARCH CHARSET KOI8-R TEXT x", tag="c1")
    assert untagged == []
    assert tagged.startswith("c1 NO [BADCHARSET (UTF-8 US-ASCII)] ")
    untagged, tagged = fresh.cmd("UID SEARCH RETURN (ALL) CHARSET ISO-8859-1 ALL", tag="c2")
    assert untagged == []
    assert tagged.startswith("c2 NO [BADCHARSET (UTF-8 US-ASCII)] ")


def test_imaplib_sees_errors(srv):
    m = login(srv)
    m.select("INBOX")
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        m.search(None, "NOSUCHKEY")
    typ, data = m.search("KOI8-R", "ALL")
    assert typ == "NO" and b"[BADCHARSET (UTF-8 US-ASCII)]" in data[0]
    m.logout()


def test_search_needs_a_selected_mailbox(srv):
    c = RawImap(srv).login()
    untagged, tagged = c.cmd("SEARCH ALL", tag="s1")
    assert tagged.startswith("s1 BAD") or tagged.startswith("s1 NO"), tagged
    c.close()


# --- cost: message bytes are read only when the flags leave the answer open ---


def test_messages_parsed_only_when_needed(inbox, srv):
    assert search(inbox, "FLAGGED") == [2]
    assert parsed_in_log(srv) == 0
    assert search(inbox, "LARGER 1") == [1, 2, 3, 4, 5]
    assert parsed_in_log(srv) == 0  # metadata only
    assert search(inbox, "SEEN BODY hello") == [1]
    assert parsed_in_log(srv) == 1
    assert search(inbox, "OR SEEN BODY needle") == [1, 5]
    assert parsed_in_log(srv) == 4
    assert search(inbox, "NOT KEYWORD Work FROM alice") == [1]
    assert parsed_in_log(srv) == 0  # the decoded headers kept since delivery
    assert search(inbox, "TEXT needle") == [5]
    assert parsed_in_log(srv) == 4  # message 5 matches on its stored Subject alone


def test_pathological_pattern_is_fast(inbox):
    """KMP keeps a long self-similar pattern linear."""
    pattern = "a" * 5000 + "b"
    assert search(inbox, 'TEXT "%s"' % pattern) == []
    assert search(inbox, 'HEADER Subject "%s"' % pattern) == []


# --- RFC 2180 / RFC 9051 7.5.1: a message expunged by another session ---


def test_search_during_foreign_expunge(srv):
    name = unique("exp")
    a = RawImap(srv).login()
    a.ok("CREATE %s" % name)
    m = login(srv)
    for i in range(3):
        append(m, name, crlf("Subject: exp %d\n\nshared word\n" % (i + 1)))
    m.logout()
    a.ok("SELECT %s" % name)
    b = RawImap(srv).login()
    b.ok("SELECT %s" % name)
    b.ok(r"STORE 2 +FLAGS.SILENT (\Deleted)")
    b.ok("EXPUNGE")
    # SEARCH must not send EXPUNGE: sequence numbers stay as the client knows them.
    untagged = a.ok("SEARCH ALL")
    assert not [u for u in untagged if u.endswith("EXPUNGE")], untagged
    assert nums(untagged) == [1, 2, 3]
    # The expunged message's data is gone: keys that need it do not match it.
    untagged = a.ok("SEARCH BODY shared")
    assert not [u for u in untagged if u.endswith("EXPUNGE")], untagged
    assert nums(untagged) == [1, 3]
    assert search(a, "SUBJECT exp") == [1, 3]
    # UID SEARCH may be followed by the EXPUNGE.
    untagged = a.ok("UID SEARCH SUBJECT exp")
    assert nums(untagged) == [1, 3]
    assert "* 2 EXPUNGE" in untagged
    assert search(a, "ALL") == [1, 2]
    a.close()
    b.close()


def test_many_messages(srv):
    """ESEARCH ALL compacts long results; UIDs and sequence numbers part after an expunge."""
    name = unique("many")
    c = RawImap(srv).login()
    c.ok("CREATE %s" % name)
    m = login(srv)
    for i in range(1, 121):
        append(m, name, crlf("Subject: item %d\n\nnumber %s here\n" % (i, "x" * i)),
               r"(\Flagged)" if i % 10 == 0 else None)
    m.logout()
    c.ok("SELECT %s" % name)
    assert esearch(c, "RETURN (ALL) OR 1:10 100:*") == "ALL 1:10,100:120"
    assert esearch(c, "RETURN (ALL COUNT) FLAGGED") == (
        "COUNT 12 ALL " + ",".join(str(i) for i in range(10, 121, 10))
    )
    assert esearch(c, "RETURN (COUNT) BODY number") == "COUNT 120"
    assert esearch(c, 'RETURN (MIN MAX) SUBJECT "item 11"') == "MIN 11 MAX 119"
    c.ok("STORE 1:5 +FLAGS.SILENT (\\Deleted)")
    c.ok("EXPUNGE")
    assert esearch(c, "RETURN (ALL) FLAGGED", uid=True) == (
        "UID ALL " + ",".join(str(i) for i in range(10, 121, 10))
    )
    assert esearch(c, "RETURN (MIN MAX COUNT) FLAGGED") == "MIN 5 MAX 115 COUNT 12"
    assert search(c, "UID 1:6") == [1]
    c.close()


def test_headers_too_long_to_keep_are_searched_by_parsing(srv):
    """Over STORE_HEADERS_MAX (1 MiB) of decoded headers the store keeps none:
    header keys then parse the message, and still find it."""
    name = unique("bighdr")
    m = login(srv)
    m.create(name)
    filler = "".join("X-Filler-%d: %s\n" % (i, "f" * 200) for i in range(5500))
    append(m, name, crlf("Subject: far below the filler\n" + filler + "To: deep@example.org\n"
                         "\nbody\n"))
    append(m, name, crlf("Subject: small one\nTo: other@example.org\n\nbody\n"))
    m.logout()
    c = RawImap(srv).login()
    c.ok("SELECT %s" % name)
    assert search(c, "TO deep@example.org") == [1]
    assert parsed_in_log(srv) == 1  # only the message without kept headers
    assert search(c, 'HEADER X-Filler-5499 "fff"') == [1]
    assert search(c, "SUBJECT small") == [2]
    c.close()
