"""
FETCH and UID FETCH against the real server, byte for byte.

RFC 9051 / RFC 3501 6.4.5 and 7.4.2 / 7.5.2: every data item and the macros
ALL, FAST, FULL; BODY[section]<partial> with HEADER, HEADER.FIELDS(.NOT), TEXT,
MIME and part numbers, through message/rfc822 parts; \\Seen set by BODY[] and
not by BODY.PEEK (and never in a mailbox opened with EXAMINE); the RFC822*
names. RFC 7162 3.1.4 (MODSEQ, CHANGEDSINCE) and 3.2.6 (VANISHED). RFC 3516 /
RFC 9051 BINARY, BINARY.PEEK, BINARY.SIZE (literal8, UNKNOWN-CTE). BAD for
malformed items and sequence sets.

Expected bytes are cut from the message text here, not taken from the server.
"""

import base64

import pytest

from conftest import ALICE, unique
from imap_response import ByteImap, Literal8, envelope_dict, parse_fetch


def crlf(text):
    return text.replace("\n", "\r\n").encode()


INNER = (
    "From: Inner Sender <inner@example.org>\n"
    "Subject: inner message\n"
    "Date: Tue, 8 Feb 1994 09:00:00 +0000\n"
    "\n"
    "Inner body line 1\n"
    "Inner body line 2"
)
BLOB = bytes([0, 1, 2, 3, 0, 255, 10, 13])
HTML_QP = "<p>Hello Joe =E2=80=94 see=\nyou at 3:30?</p>=20\nnext line"
HTML_DECODED = "<p>Hello Joe \u2014 seeyou at 3:30?</p> \r\nnext line".encode()
PLAIN = "Hello Joe, do you think we can meet at 3:30 tomorrow?\nSecond line"
HEADER = (
    "From: Fred Foobar <foobar@Blurdybloop.example>\n"
    "To: mooch@owatagu.example\n"
    "Cc: Group: a@example.org, \"B, b\" <b@example.org>;\n"
    "Subject: afternoon\n meeting\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
    "Message-ID: <B27397-0100000@Blurdybloop.example>\n"
    "In-Reply-To: <earlier@Blurdybloop.example>\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="outer"\n'
    "\n"
)
PART1_MIME = 'Content-Type: multipart/alternative; boundary="inner"\n\n'
PART1 = (
    "--inner\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    + PLAIN
    + "\n--inner\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    + HTML_QP
    + "\n--inner--\n"
)
PART2_MIME = (
    'Content-Type: application/octet-stream; name="blob.bin"\n'
    "Content-Transfer-Encoding: base64\n"
    'Content-Disposition: attachment; filename="blob.bin"\n'
    "\n"
)
PART2 = base64.b64encode(BLOB).decode()
PART3_MIME = "Content-Type: message/rfc822\nContent-Description: forwarded\n\n"
TEXT = (
    "preamble\n--outer\n" + PART1_MIME + PART1 + "\n--outer\n" + PART2_MIME + PART2
    + "\n--outer\n" + PART3_MIME + INNER + "\n--outer--\nepilogue\n"
)
MSG = crlf(HEADER + TEXT)
DATE = "17-Jul-1996 02:44:25 -0700"


def b(text):
    return crlf(text)


@pytest.fixture
def c(server):
    """A logged-in byte-exact client with a fresh selected mailbox holding MSG."""
    with ByteImap(server.port) as cli:
        cli.login(*ALICE)
        cli.box = unique("fetch")
        cli.ok("CREATE %s" % cli.box)
        cli.uid = cli.append(cli.box, MSG, date=DATE)
        cli.ok("SELECT %s" % cli.box)
        yield cli


def fetch1(c, items, uid=False):
    """FETCH for message 1 (UID FETCH of c.uid); returns its item dict."""
    got = c.fetch(str(c.uid) if uid else "1", items, uid=uid)
    assert list(got) == [1], got
    return got[1]


def flags(c):
    return fetch1(c, "FLAGS")["FLAGS"]


# --- simple items and macros ------------------------------------------------------


def test_flags_uid_internaldate_size(c):
    it = fetch1(c, "(FLAGS UID INTERNALDATE RFC822.SIZE)")
    assert it["FLAGS"] == ["\\Recent"]
    assert int(it["UID"]) == c.uid
    assert it["INTERNALDATE"] == DATE.encode()  # the APPEND date-time, exactly
    assert int(it["RFC822.SIZE"]) == len(MSG)


def test_macros(c):
    fast = fetch1(c, "FAST")
    assert set(fast) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}
    all_ = fetch1(c, "ALL")
    assert set(all_) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}
    full = fetch1(c, "FULL")
    assert set(full) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}
    assert full["ENVELOPE"] == all_["ENVELOPE"]
    assert full["BODY"] == fetch1(c, "BODY")["BODY"]
    assert int(full["RFC822.SIZE"]) == len(MSG)


def test_envelope(c):
    env = envelope_dict(fetch1(c, "ENVELOPE")["ENVELOPE"])
    fred = [[b"Fred Foobar", None, b"foobar", b"Blurdybloop.example"]]
    assert env == {
        "date": b"Mon, 7 Feb 1994 21:52:25 -0800",
        "subject": b"afternoon meeting",  # unfolded
        "from": fred,
        "sender": fred,  # RFC 3501 7.4.2: defaults to From
        "reply-to": fred,
        "to": [[None, None, b"mooch", b"owatagu.example"]],
        "cc": [
            [None, None, b"Group", None],
            [None, None, b"a", b"example.org"],
            [b"B, b", None, b"b", b"example.org"],
            [None, None, None, None],
        ],
        "bcc": None,
        "in-reply-to": b"<earlier@Blurdybloop.example>",
        "message-id": b"<B27397-0100000@Blurdybloop.example>",
    }


def text_lines(s):
    return s.count("\n")


def test_bodystructure_and_body(c):
    it = fetch1(c, "(BODYSTRUCTURE BODY)")
    bs, body = it["BODYSTRUCTURE"], it["BODY"]
    alt, blob, rfc822 = bs[0], bs[1], bs[2]
    assert bs[3:] == [b"mixed", [b"boundary", b"outer"], None, None, None]
    plain, html = alt[0], alt[1]
    assert plain == [b"text", b"plain", [b"charset", b"us-ascii"], None, None, b"7BIT",
                     str(len(b(PLAIN))), str(text_lines(PLAIN)), None, None, None, None]
    assert html[:7] == [b"text", b"html", [b"charset", b"utf-8"], None, None,
                        b"quoted-printable", str(len(b(HTML_QP)))]
    assert alt[2:] == [b"alternative", [b"boundary", b"inner"], None, None, None]
    assert blob == [b"application", b"octet-stream", [b"name", b"blob.bin"], None, None,
                    b"base64", str(len(PART2)), None, [b"attachment", [b"filename", b"blob.bin"]],
                    None, None]
    assert rfc822[:7] == [b"message", b"rfc822", None, None, b"forwarded", b"7BIT",
                          str(len(b(INNER)))]
    inner_env = envelope_dict(rfc822[7])
    assert inner_env["subject"] == b"inner message"
    assert inner_env["from"] == [[b"Inner Sender", None, b"inner", b"example.org"]]
    assert rfc822[8][:8] == [b"TEXT", b"PLAIN", [b"CHARSET", b"US-ASCII"], None, None,
                             b"7BIT", str(len(b("Inner body line 1\nInner body line 2"))), "1"]
    assert rfc822[9] == str(text_lines(INNER))
    # BODY: the same without extension data
    assert body[3:] == [b"mixed"]
    assert body[0][0] == plain[:8] and body[0][2:] == [b"alternative"]
    assert body[1] == blob[:7]
    assert len(body[2]) == 10 and body[2][:7] == rfc822[:7]


# --- BODY[section] -------------------------------------------------------------------


def test_body_whole_and_partial(c):
    it = fetch1(c, "(BODY.PEEK[] BODY.PEEK[]<0.10> BODY.PEEK[]<10.5>)")
    assert it["BODY[]"] == MSG
    assert it["BODY[]<0>"] == MSG[:10]
    assert it["BODY[]<10>"] == MSG[10:15]
    it = fetch1(c, "(BODY.PEEK[]<%d.100> BODY.PEEK[]<%d.100>)" % (len(MSG) - 3, len(MSG) + 50))
    assert it["BODY[]<%d>" % (len(MSG) - 3)] == MSG[-3:]  # cut at the end
    assert it["BODY[]<%d>" % (len(MSG) + 50)] == b""  # origin past the end: empty


def test_header_text_and_fields(c):
    it = fetch1(c, "(BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (subject FROM)]"
                   " BODY.PEEK[HEADER.FIELDS.NOT (Subject From Cc To Date Message-ID"
                   " In-Reply-To)])")
    assert it["BODY[HEADER]"] == b(HEADER)
    assert it["BODY[TEXT]"] == b(TEXT)
    assert it["BODY[HEADER]"] + it["BODY[TEXT]"] == MSG
    # original order and bytes, folding kept, closed by the blank line
    assert it["BODY[HEADER.FIELDS (SUBJECT FROM)]"] == b(
        "From: Fred Foobar <foobar@Blurdybloop.example>\nSubject: afternoon\n meeting\n\n")
    assert it["BODY[HEADER.FIELDS.NOT (SUBJECT FROM CC TO DATE MESSAGE-ID IN-REPLY-TO)]"] == b(
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n')


def test_part_sections(c):
    it = fetch1(c, "(BODY.PEEK[1] BODY.PEEK[1.1] BODY.PEEK[1.2] BODY.PEEK[1.MIME]"
                   " BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[1.2.MIME])")
    assert it["BODY[1]"] == b(PART1)
    assert it["BODY[1.1]"] == b(PLAIN)
    assert it["BODY[1.2]"] == b(HTML_QP)
    assert it["BODY[1.MIME]"] == b(PART1_MIME)
    assert it["BODY[2]"] == PART2.encode()
    assert it["BODY[2.MIME]"] == b(PART2_MIME)
    assert it["BODY[1.2.MIME]"] == b(
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")


def test_message_rfc822_sections(c):
    it = fetch1(c, "(BODY.PEEK[3] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3.1]"
                   " BODY.PEEK[3.MIME] BODY.PEEK[3.HEADER.FIELDS (SUBJECT)] BODY.PEEK[3.1]<6.4>)")
    header, text = INNER.split("\n\n", 1)
    assert it["BODY[3]"] == b(INNER)
    assert it["BODY[3.HEADER]"] == b(header + "\n\n")
    assert it["BODY[3.TEXT]"] == b(text)
    assert it["BODY[3.1]"] == b(text)  # the body of a non-multipart message
    assert it["BODY[3.MIME]"] == b(PART3_MIME)
    assert it["BODY[3.HEADER.FIELDS (SUBJECT)]"] == b("Subject: inner message\n\n")
    assert it["BODY[3.1]<6>"] == b(text)[6:10]


def test_nonexistent_sections(c):
    it = fetch1(c, "(BODY.PEEK[4] BODY.PEEK[1.3] BODY.PEEK[2.1] BODY.PEEK[2.HEADER]"
                   " BODY.PEEK[1.1.1] BODY.PEEK[9.MIME])")
    # a section the message does not have is NIL, and the command succeeds
    assert it == {k: None for k in ("BODY[4]", "BODY[1.3]", "BODY[2.1]", "BODY[2.HEADER]",
                                    "BODY[1.1.1]", "BODY[9.MIME]")}


def test_rfc822_names(c):
    it = fetch1(c, "RFC822.HEADER")
    assert it == {"RFC822.HEADER": b(HEADER)}
    assert flags(c) == ["\\Recent"]  # RFC822.HEADER is BODY.PEEK[HEADER]
    it = fetch1(c, "(RFC822.TEXT)")
    assert it["RFC822.TEXT"] == b(TEXT)
    assert "\\Seen" in it["FLAGS"]  # RFC822.TEXT is BODY[TEXT]
    it = fetch1(c, "RFC822")
    assert it["RFC822"] == MSG
    assert "BODY[]" not in it


# --- \Seen ---------------------------------------------------------------------------


def test_peek_does_not_set_seen(c):
    fetch1(c, "(BODY.PEEK[] BODY.PEEK[1.1] BINARY.PEEK[2] BINARY.SIZE[2])")
    assert flags(c) == ["\\Recent"]


@pytest.mark.parametrize("item,name,value", [
    ("BODY[]", "BODY[]", MSG),
    ("BODY[1.1]", "BODY[1.1]", b(PLAIN)),
    ("BODY[]<0.4>", "BODY[]<0>", MSG[:4]),
    ("RFC822", "RFC822", MSG),
    ("BINARY[2]", "BINARY[2]", BLOB),
])
def test_body_sets_seen_and_reports_flags(c, item, name, value):
    it = fetch1(c, item)
    # RFC 9051 6.4.5: the \Seen flag is set, and the new FLAGS come in the response
    assert it[name] == value
    assert sorted(it["FLAGS"]) == ["\\Recent", "\\Seen"]
    assert sorted(flags(c)) == ["\\Recent", "\\Seen"]
    # already seen: no FLAGS unless asked
    assert set(fetch1(c, item)) == {name}


def test_examine_never_sets_seen(c):
    c.ok("EXAMINE %s" % c.box)
    it = fetch1(c, "(BODY[] BINARY[2] RFC822.TEXT)")
    assert it["BODY[]"] == MSG
    assert "FLAGS" not in it
    assert "\\Seen" not in flags(c)
    c.ok("SELECT %s" % c.box)
    assert "\\Seen" not in flags(c)


# --- UID FETCH, MODSEQ, CHANGEDSINCE, VANISHED -------------------------------------


def test_uid_fetch_includes_uid(c):
    got = c.fetch(str(c.uid), "FLAGS", uid=True)
    assert int(got[1]["UID"]) == c.uid
    got = c.fetch("%d:*" % (c.uid + 100), "FLAGS", uid=True)  # '*' is the last UID
    assert int(got[1]["UID"]) == c.uid
    untagged, tagged = c.cmd("UID FETCH %d FLAGS" % (c.uid + 100))
    assert tagged.split(b" ")[1] == b"OK" and untagged == []


def append_n(c, n):
    for i in range(n):
        c.append(c.box, crlf("Subject: m%d\n\nbody %d\n" % (i, i)))
    c.ok("NOOP")


def test_modseq_and_changedsince(c):
    append_n(c, 3)
    all_ = c.fetch("1:*", "(MODSEQ)")
    assert sorted(all_) == [1, 2, 3, 4]
    mods = {seq: int(v["MODSEQ"][0]) for seq, v in all_.items()}
    assert all(m > 0 for m in mods.values())
    c.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    after = c.fetch("2", "(MODSEQ)")[2]
    new = int(after["MODSEQ"][0])
    assert new > max(mods.values())
    changed = c.fetch("1:*", "(FLAGS) (CHANGEDSINCE %d)" % max(mods.values()))
    # only what changed after that MODSEQ, with MODSEQ added (RFC 7162 3.1.4.1)
    assert list(changed) == [2]
    assert int(changed[2]["MODSEQ"][0]) == new
    assert "\\Flagged" in changed[2]["FLAGS"]
    assert c.fetch("1:*", "(FLAGS) (CHANGEDSINCE %d)" % new) == {}


def test_vanished_after_expunge(server):
    with ByteImap(server.port) as c:
        c.login(*ALICE)
        c.box = unique("vanish")
        c.ok("CREATE %s" % c.box)
        uids = [c.append(c.box, crlf("Subject: v%d\n\nx\n" % i)) for i in range(5)]
        c.ok("ENABLE QRESYNC")
        c.ok("SELECT %s" % c.box)
        base = max(int(v["MODSEQ"][0]) for v in c.fetch("1:*", "(MODSEQ)").values())
        c.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")
        c.ok("UID STORE %d +FLAGS.SILENT (\\Flagged)" % uids[4])
        untagged, tagged = c.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
        assert tagged.split(b" ")[1] == b"OK", tagged
        vanished = [line for line in untagged if line.startswith(b"* VANISHED")]
        assert vanished == [b"* VANISHED (EARLIER) %d,%d" % (uids[1], uids[3])]
        fetched = [parse_fetch(line)[1] for line in untagged if b" FETCH " in line]
        assert [int(f["UID"]) for f in fetched] == [uids[4]]
        assert "MODSEQ" in fetched[0] and "\\Flagged" in fetched[0]["FLAGS"]
        # VANISHED needs UID FETCH (RFC 7162 3.2.6)
        _, tagged = c.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
        assert tagged.split(b" ")[1] == b"BAD"


# --- BINARY --------------------------------------------------------------------------


def test_binary_base64_and_qp(c):
    it = fetch1(c, "(BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1.2] BINARY.SIZE[1.2]"
                   " BINARY.PEEK[1.1] BINARY.PEEK[2]<4.3> BINARY.PEEK[3.1])")
    assert it["BINARY[2]"] == BLOB
    assert isinstance(it["BINARY[2]"], Literal8)  # it holds NUL: literal8 ~{n}
    assert int(it["BINARY.SIZE[2]"]) == len(BLOB)
    assert it["BINARY[1.2]"] == HTML_DECODED
    assert not isinstance(it["BINARY[1.2]"], Literal8)  # no NUL: a plain literal
    assert int(it["BINARY.SIZE[1.2]"]) == len(HTML_DECODED)
    assert it["BINARY[1.1]"] == b(PLAIN)
    assert it["BINARY[2]<4>"] == BLOB[4:7]
    assert it["BINARY[3.1]"] == b("Inner body line 1\nInner body line 2")
    assert flags(c) == ["\\Recent"]


def test_binary_literal8_on_the_wire(c):
    untagged, _ = c.cmd("FETCH 1 BINARY.PEEK[2]")
    assert b"BINARY[2] ~{%d}\r\n" % len(BLOB) in untagged[0]
    untagged, _ = c.cmd("FETCH 1 BINARY.PEEK[1.1]")
    assert b"BINARY[1.1] {%d}\r\n" % len(b(PLAIN)) in untagged[0]


def test_binary_sets_seen(c):
    it = fetch1(c, "BINARY[2]")
    assert it["BINARY[2]"] == BLOB
    assert sorted(it["FLAGS"]) == ["\\Recent", "\\Seen"]


def test_binary_errors(c):
    # BINARY[] is the whole message: not a leaf part (RFC 9051 6.4.5)
    _, tagged = c.cmd("FETCH 1 BINARY.PEEK[]")
    assert tagged.split(b" ")[1] == b"BAD"
    # a multipart or a message/rfc822 part: NO, and nothing sent or changed
    for sec in ("1", "3", "BINARY.SIZE[1]"):
        item = sec if sec.startswith("BINARY") else "BINARY[%s]" % sec
        untagged, tagged = c.cmd("FETCH 1 (FLAGS %s)" % item)
        assert tagged.split(b" ")[1] == b"NO", tagged
        assert untagged == []
    assert flags(c) == ["\\Recent"]
    # a part that does not exist: NIL (size 0)
    it = fetch1(c, "(BINARY.PEEK[7] BINARY.SIZE[7])")
    assert it == {"BINARY[7]": None, "BINARY.SIZE[7]": "0"}
    # partial on BINARY.SIZE is a syntax error
    _, tagged = c.cmd("FETCH 1 BINARY.SIZE[2]<0.1>")
    assert tagged.split(b" ")[1] == b"BAD"


def test_binary_unknown_cte(c):
    msg = crlf("Content-Type: multipart/mixed; boundary=u\n\n--u\n\nok\n--u\n"
               "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n--u--\n")
    c.append(c.box, msg)
    c.ok("NOOP")
    # message 1 could answer BINARY[2], message 2 cannot: the whole command fails
    untagged, tagged = c.cmd("FETCH 1:2 (FLAGS BINARY[2])")
    assert tagged.split(b" ")[1:3] == [b"NO", b"[UNKNOWN-CTE]"], tagged
    assert untagged == []
    assert fetch1(c, "FLAGS") == {"FLAGS": ["\\Recent"]}  # the failed FETCH set nothing
    untagged, tagged = c.cmd("FETCH 2 BINARY.SIZE[2]")
    assert tagged.split(b" ")[1:3] == [b"NO", b"[UNKNOWN-CTE]"]
    assert c.fetch("2", "BINARY.PEEK[1]")[2]["BINARY[1]"] == b"ok"
    assert c.fetch("2", "BODY.PEEK[2]")[2]["BODY[2]"] == b"begin 644 x"  # BODY is raw


# --- syntax errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        "1 (FLAGS",  # unclosed list
        "1 FLAGS)",
        "1 ()",  # empty list
        "1 BOGUS",
        "1 (FLAGS BOGUS)",
        "1 BODY[HEADER.FIELDS]",  # missing field list
        "1 BODY[HEADER.FIELDS ()]",
        "1 BODY[1.0]",  # part numbers are nz-number
        "1 BODY[MIME]",  # MIME needs a part number
        "1 BODY[TEXT.HEADER]",
        "1 BODY[]<0.0>",  # count is nz-number
        "1 BODY[]<1>",
        "1 BODY[]<a.1>",
        "1 BODY[",
        "1 BINARY[HEADER]",
        "1 ALL FLAGS",  # a macro stands alone
        "1 (ALL)",
        "0 FLAGS",  # sequence numbers are nz-number
        "a:b FLAGS",
        "1:2:3 FLAGS",
        "1,,2 FLAGS",
        "99 FLAGS",  # beyond the last message
        "1",  # no items
        "1 (FLAGS) (CHANGEDSINCE)",
        "1 (FLAGS) (CHANGEDSINCE x)",
        "1 (FLAGS) (BOGUS 1)",
    ],
)
def test_bad(c, args):
    untagged, tagged = c.cmd("FETCH %s" % args)
    assert tagged.split(b" ")[1] == b"BAD", (args, tagged)
    assert not [line for line in untagged if b" FETCH " in line]


def test_uid_fetch_outside_range_is_not_bad(c):
    # RFC 9051 6.4.8: UIDs that do not exist are ignored, not an error
    _, tagged = c.cmd("UID FETCH %d:%d FLAGS" % (c.uid + 5, c.uid + 9))
    assert tagged.split(b" ")[1] == b"OK"


def test_header_fields_names_are_case_insensitive_and_quoted(c):
    it = fetch1(c, 'BODY.PEEK[HEADER.FIELDS ("message-id" DATE)]')
    assert list(it) == ["BODY[HEADER.FIELDS (MESSAGE-ID DATE)]"]
    assert it["BODY[HEADER.FIELDS (MESSAGE-ID DATE)]"] == b("Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
                      "Message-ID: <B27397-0100000@Blurdybloop.example>\n\n")
