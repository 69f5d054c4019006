"""
Tresor's MIME parser against an independent one: Python's `email` package.

Every message of the corpus is APPENDed byte for byte, then FETCHed: ENVELOPE,
BODYSTRUCTURE, BODY, and for every leaf part BODY.PEEK[n] and BODY.PEEK[n.MIME]
(for message/rfc822 parts also n.HEADER and n.TEXT). The IMAP data is parsed
with imap_response.py and compared field by field with what
email.message_from_bytes(policy=compat32) says about the same bytes (compat32
keeps header values raw, as the ENVELOPE needs them; addresses are read with
the RFC 5322 parser of email.headerregistry, which knows groups and routes).

The corpus: Python's own test messages (Debian package libpython3.11-testsuite,
msg_*.txt, bare LF line ends) appended twice, as they are and with CRLF line
ends, plus the odd messages of tests/integration/corpus/ (see its README).

Where Python and the RFCs disagree, the RFC decides; each such rule is written
where it is applied, marked "RFC decides:", and applies only to the case it
names. Every other field must be equal.

Fields compared are counted; test_corpus_counts checks that the run compared
what it should (a comparison that silently compares nothing cannot pass).
"""

import base64
import binascii
import email
import email.header
import email.policy
import email.utils
import re
from email.headerregistry import HeaderRegistry
from pathlib import Path

import pytest

from conftest import ALICE, unique
from imap_response import Atom, ByteImap, envelope_dict

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
PY_DATA = Path("/usr/lib/python3.11/test/test_email/data")

COUNTS = {"messages": 0, "fields": 0}
PY_MESSAGES = sorted(PY_DATA.glob("msg_*.txt")) if PY_DATA.is_dir() else []
OWN_MESSAGES = sorted(CORPUS_DIR.glob("*.eml"))


def corpus():
    out = []
    for p in PY_MESSAGES:
        raw = p.read_bytes()
        out.append(pytest.param(raw, id="py-lf-" + p.stem))
        crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        out.append(pytest.param(crlf, id="py-crlf-" + p.stem))
    for p in OWN_MESSAGES:
        out.append(pytest.param(p.read_bytes(), id=p.stem))
    return out


# --- Python's view -------------------------------------------------------------------


def b(s):
    """A str from the bytes parser back to the original bytes."""
    return s.encode("ascii", "surrogateescape")


def unfold(v):
    """RFC 5322 2.2.3 unfolding, and white space trimmed at both ends."""
    return re.sub(r"\r?\n", "", v).strip(" \t")


def raw_header(msg, name):
    """First field `name` as the original bytes, unfolded; None when absent."""
    for k, v in msg.raw_items():
        if k.lower() == name.lower():
            return b(unfold(v))
    return None


def is_multipart(part):
    return part.get_content_maintype() == "multipart" and isinstance(part._payload, list)


def is_message(part):
    """message/rfc822 (or global) that Python parsed into a Message."""
    return part.get_content_type() in ("message/rfc822", "message/global") and isinstance(
        part._payload, list
    )


def strip_comments(v):
    """RFC 5322 3.2.2 comments removed (outside quoted strings)."""
    out, depth, quoted, i = [], 0, False, 0
    while i < len(v):
        c = v[i]
        if c == "\\" and (quoted or depth) and i + 1 < len(v):
            if not depth:
                out.append(v[i : i + 2])
            i += 2
            continue
        if quoted:
            quoted = c != '"'
        elif c == '"' and not depth:
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
            i += 1
            continue
        if not depth:
            out.append(c)
        i += 1
    return "".join(out)


def content_header(part, header):
    """A Message holding only one header of part, its value raw (latin-1) and with
    comments removed: RFC decides, RFC 2045 5.1 and RFC 2183 2 are structured
    fields where comments may stand anywhere and mean nothing; Python's
    get_content_type() and get_params() would keep them in the values."""
    raw = raw_header(part, header)
    tmp = email.message.Message()
    tmp.set_default_type(part.get_default_type())
    if raw is not None:
        tmp[header] = strip_comments(raw.decode("latin-1"))
    return tmp


def ctype_invalid(part):
    """Content-Type present but not type/subtype: RFC 2045 5.2 defaults apply."""
    v = content_header(part, "content-type").get("content-type")
    if v is None:
        return False
    t = v.split(";")[0].strip()
    return not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\-.^_`|~0-9A-Za-z]+", t)


def py_type(part):
    """(maintype, subtype) of a part, as bytes."""
    if ctype_invalid(part):
        t = part.get_default_type()
    else:
        t = content_header(part, "content-type").get_content_type()
    return tuple(x.encode() for x in t.split("/", 1))


def param_value(v):
    """A parameter value as bytes: RFC 2231 values decoded to UTF-8, others raw."""
    if isinstance(v, tuple):
        return email.utils.collapse_rfc2231_value(v).encode("utf-8")
    return v.encode("latin-1")


def py_params(part, header):
    """[(name, value bytes)] of a Content-Type / Content-Disposition, or None."""
    # compat32 turns a value with 8-bit bytes into a sanitized Header object;
    # content_header() reads the raw bytes as latin-1 to keep them exact.
    tmp = content_header(part, header)
    if tmp.get(header) is None:
        return None
    out, seen = [], set()
    for k, v in tmp.get_params(header=header, unquote=True)[1:]:
        if not k.strip():
            continue  # an empty parameter (a trailing ";") is none: RFC 2045 5.1
        if k.lower() in seen:
            # RFC decides: RFC 2045 5.1 makes a repeated parameter an error;
            # the first one counts, as Python's own get_param() reads it, and
            # the BODYSTRUCTURE lists that one.
            continue
        seen.add(k.lower())
        if v == "" and not re.search(re.escape(k) + r"\*?[ \t]*=", tmp[header], re.I):
            # RFC decides: RFC 2045 5.1, a parameter is attribute "=" value;
            # a word without "=" is no parameter (Python lists it, empty).
            continue
        out.append((k.encode("latin-1"), param_value(v)))
    return out


def decode_words(s):
    """RFC 2047 decoding of a raw name, as Python does it."""
    if s is None:
        return ""
    text = s.decode("utf-8", "surrogateescape") if isinstance(s, bytes) else s
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (UnicodeDecodeError, LookupError, email.errors.HeaderParseError):
        return text


_REGISTRY = HeaderRegistry()


# --- comparison ----------------------------------------------------------------------


class Check:
    """Collects every mismatch of one message instead of stopping at the first."""

    def __init__(self, raw):
        self.raw = raw
        self.problems = []
        self.fields = 0

    def eq(self, where, got, expected):
        self.fields += 1
        if got != expected:
            self.problems.append("%s: tresor %r, python %r" % (where, got, expected))

    def true(self, where, cond, detail=""):
        self.fields += 1
        if not cond:
            self.problems.append("%s: %s" % (where, detail or "check failed"))


def lower_str(v):
    return v.lower() if isinstance(v, bytes) else v


def imap_addresses(value):
    """Tresor's address list -> [(group name or None, [(name, route, mailbox, host)])]."""
    if value is None:
        return []
    groups, current = [], None
    for name, route, mbox, host in value:
        if host is None and mbox is not None:  # group start
            current = (mbox, [])
            groups.append(current)
        elif host is None and mbox is None:  # group end
            current = None
        elif current is not None:
            current[1].append((name, route, mbox, host))
        else:
            groups.append((None, [(name, route, mbox, host)]))
    return groups


def check_addresses(chk, where, got, raw):
    groups = imap_addresses(got)
    if raw is None:
        chk.eq(where, got, None)
        return
    text = raw.decode("utf-8", "surrogateescape")
    try:
        header = _REGISTRY("To", text)
        expected = [(g.display_name, list(g.addresses)) for g in header.groups]
    except Exception as e:  # Python's parser gave up: nothing to compare with
        chk.problems.append("%s: python cannot parse %r (%s)" % (where, raw, e))
        return
    # RFC decides: RFC 3501 7.4.2 writes NIL for an address list without any
    # address; an empty group still is one (its start and end markers).
    if not expected:
        chk.eq(where, got, None)
        return
    chk.eq(where + " groups", len(groups), len(expected))
    for i, ((gname, addrs), (ename, eaddrs)) in enumerate(zip(groups, expected)):
        w = "%s[%d]" % (where, i)
        if ename is None:
            chk.eq(w + " group", gname, None)
        else:
            chk.eq(w + " group name", decode_words(gname), ename)
        chk.eq(w + " count", len(addrs), len(eaddrs))
        for j, (a, e) in enumerate(zip(addrs, eaddrs)):
            check_address(chk, "%s.%d" % (w, j), a, e, raw)


def check_address(chk, where, got, e, raw):
    name, route, mbox, host = got
    # RFC decides: RFC 3501 7.4.2 has no empty host (NIL marks a group), so an
    # address without local part or domain gets a placeholder, as Dovecot writes.
    emailbox = e.username if e.username else "MISSING_MAILBOX"
    ehost = e.domain if e.domain else "MISSING_DOMAIN"
    chk.eq(where + " mailbox", mbox, emailbox.encode("utf-8", "surrogateescape"))
    chk.eq(where + " host", host, ehost.encode("utf-8", "surrogateescape"))
    got_name = decode_words(name)
    if got_name != e.display_name and not e.display_name and name is not None:
        # RFC decides: RFC 5322 3.4 notes the legacy form "addr-spec (Full Name)"
        # whose comment names the mailbox; Tresor (like Dovecot and Python's own
        # compat32 parseaddr) reads it as the name, the RFC 5322 parser drops it.
        chk.true(where + " name from comment", ("(" + got_name + ")").encode(
            "utf-8", "surrogateescape") in raw, "name %r is not a comment" % name)
    else:
        # NIL and "" are the same absent name (RFC 3501 nstring).
        chk.eq(where + " name", got_name, e.display_name)
    chk.true(where + " route", route is None or route.startswith(b"@"), repr(route))


def check_envelope(chk, where, env, msg):
    try:
        env = envelope_dict(env)
    except ValueError as e:
        chk.problems.append("%s: %s" % (where, e))
        return
    for field in ("date", "subject", "in-reply-to", "message-id"):
        chk.eq("%s %s" % (where, field), env[field], raw_header(msg, field))
    for field in ("from", "to", "cc", "bcc"):
        check_addresses(chk, "%s %s" % (where, field), env[field], raw_header(msg, field))
    for field in ("sender", "reply-to"):
        raw = raw_header(msg, field)
        # RFC 3501 7.4.2: a missing (or empty) Sender / Reply-To takes From.
        if raw is None or raw.strip() == b"":
            chk.eq("%s %s = from" % (where, field), env[field], env["from"])
        else:
            check_addresses(chk, "%s %s" % (where, field), env[field], raw)


def split_multipart(bs):
    parts = []
    i = 0
    while i < len(bs) and isinstance(bs[i], list):
        parts.append(bs[i])
        i += 1
    return parts, bs[i:]


def expected_params(part, header, maintype_text):
    params = py_params(part, header)
    if header == "content-type":
        if raw_header(part, "content-type") is None or ctype_invalid(part):
            # RFC decides: RFC 2045 5.2, a missing or invalid Content-Type is
            # text/plain; charset=us-ascii (message/rfc822 in a digest, no
            # parameters); the parameters of an invalid field are dropped.
            return [(b"charset", b"us-ascii")] if maintype_text else None
        if maintype_text and not any(k.lower() == b"charset" for k, _ in params):
            # RFC decides: RFC 2045 5.2 / RFC 3501 7.4.2, a text part without
            # charset is us-ascii, and the BODYSTRUCTURE says so.
            params = [(b"charset", b"us-ascii")] + params
    if not params:
        return None
    return [(k.lower(), v) for k, v in params]


def got_params(lst):
    if lst is None:
        return None
    pairs = list(zip(lst[0::2], lst[1::2]))
    return [(k.lower(), v) for k, v in pairs]


def normalize_charset(params):
    """Case of the value of charset is not significant (RFC 2045 5.1)."""
    if params is None:
        return None
    return [(k, v.lower() if k == b"charset" else v) for k, v in params]


def check_extension(chk, where, ext, part):
    """disposition, language, location (after md5 for single parts)."""
    ext = list(ext) + [None] * (3 - len(ext))
    disp, lang, loc = ext[0], ext[1], ext[2]
    cd = content_header(part, "content-disposition")
    if cd.get("content-disposition") is None:
        chk.eq(where + " disposition", disp, None)
    else:
        edisp = cd.get_params(header="content-disposition")[0][0]
        chk.true(where + " disposition", isinstance(disp, list) and len(disp) == 2,
                 repr(disp))
        if isinstance(disp, list) and len(disp) == 2:
            chk.eq(where + " disposition type", lower_str(disp[0]),
                   edisp.lower().encode("latin-1"))
            chk.eq(where + " disposition params", got_params(disp[1]),
                   expected_params(part, "content-disposition", False))
    raw_lang = raw_header(part, "content-language")
    if raw_lang is None:
        chk.eq(where + " language", lang, None)
    else:
        # RFC decides: RFC 3282, Content-Language is a list of tags with CFWS
        # around them; a comment is no part of a tag.
        tags = [t.strip() for t in _blank(raw_lang).split(b",") if t.strip()]
        expect = None if not tags else tags[0] if len(tags) == 1 else tags
        chk.eq(where + " language", lang, expect)
    chk.eq(where + " location", loc, raw_header(part, "content-location"))


class Walk:
    """Walks Tresor's BODYSTRUCTURE and Python's tree together."""

    def __init__(self, chk, raw):
        self.chk = chk
        self.raw = raw
        self.leaves = []  # (section path, Python part, kind)
        self.unrename = {}  # boundary renamed for Python -> the original
        self.bodies = {}  # section path -> BODY[n] bytes checked against Python
        self.sizes = {}  # section path -> size Tresor announced

    def multipart(self, where, bs, part, path, extended):
        chk = self.chk
        kids, rest = split_multipart(bs)
        payload = part._payload
        if not isinstance(payload, list) or not payload:
            # RFC decides: RFC 3501 9 needs at least one body in a multipart; a
            # multipart without any delimited part (no boundary parameter, or
            # no delimiter line) is written with one empty text/plain part, as
            # Dovecot does. Python keeps the text as the multipart's payload.
            chk.eq(where + " parts (none found)", len(kids), 1)
            if kids:
                k = kids[0]
                chk.eq(where + " empty part", [lower_str(x) for x in k[:2] + k[5:6]] + k[6:7],
                       [b"text", b"plain", b"7bit", Atom("0")])
            expected_kids = []
        else:
            chk.eq(where + " parts", len(kids), len(payload))
            expected_kids = payload
        chk.eq(where + " subtype", lower_str(rest[0]) if rest else None, py_type(part)[1])
        for i, (k, sub) in enumerate(zip(kids, expected_kids), 1):
            self.part("%s.%d" % (where, i), k, sub, path + [i], extended)
        if extended:
            chk.true(where + " extension", len(rest) >= 2, repr(rest))
            if len(rest) >= 2:
                expect = expected_params(part, "content-type", False) or []
                expect = [(k, self.unrename.get(v, v)) for k, v in expect] or None
                chk.eq(where + " params", got_params(rest[1]), expect)
                check_extension(self.chk, where, rest[2:5], part)
        else:
            chk.eq(where + " BODY has no extension", len(rest), 1)

    def part(self, where, bs, part, path, extended):
        if not isinstance(bs, list) or not bs:
            self.chk.problems.append("%s: not a body: %r" % (where, bs))
            return
        if isinstance(bs[0], list):
            multi = py_type(part)[0] == b"multipart"
            self.chk.true(where + " is multipart", multi,
                          "tresor multipart, python %r" % (py_type(part),))
            if multi:
                self.multipart(where, bs, part, path, extended)
            return
        self.single(where, bs, part, path, extended)

    def single(self, where, bs, part, path, extended):
        chk = self.chk
        etype, esub = py_type(part)
        if etype == b"multipart":
            chk.problems.append("%s: tresor single part, python multipart" % where)
            return
        default = raw_header(part, "content-type") is None or ctype_invalid(part)
        text = etype == b"text"
        chk.eq(where + " type", lower_str(bs[0]), etype)
        chk.eq(where + " subtype", lower_str(bs[1]), esub)
        if lower_str(bs[0]) != etype:
            return  # the trees differ: the rest would only repeat it
        if default and part.get_default_type() == "message/rfc822":
            chk.eq(where + " params", bs[2], None)
        else:
            chk.eq(where + " params", normalize_charset(got_params(bs[2])),
                   normalize_charset(expected_params(part, "content-type", text)))
        chk.eq(where + " id", bs[3], raw_header(part, "content-id"))
        chk.eq(where + " description", bs[4], raw_header(part, "content-description"))
        cte = raw_header(part, "content-transfer-encoding")
        ecte = re.split(rb"[ \t;(]", cte)[0] if cte else b""
        chk.eq(where + " encoding", lower_str(bs[5]), (ecte or b"7bit").lower())
        size = int(bs[6])
        self.sizes[tuple(path)] = size
        n = 7
        if is_message(part) and len(bs) > 9 and isinstance(bs[7], list):
            inner = part._payload[0]
            check_envelope(chk, where + " envelope", bs[7], inner)
            self.message_body(where, bs[8], inner, path, extended)
            self.leaves.append((tuple(path), part, "message", int(bs[9])))
            n = 10
        else:
            if is_message(part):
                # RFC decides: RFC 2046 5.2.1 allows only 7bit/8bit/binary for
                # message/rfc822; Tresor describes an encoded one as a basic part.
                chk.true(where + " encoded message/rfc822 is basic",
                         ecte.lower() not in (b"", b"7bit", b"8bit", b"binary"),
                         "message/rfc822 not described as a message")
            lines = int(bs[7]) if text else None
            self.leaves.append((tuple(path), part, "leaf", lines))
            n = 8 if text else 7
        if extended:
            chk.eq(where + " md5", bs[n] if len(bs) > n else "missing",
                   raw_header(part, "content-md5"))
            check_extension(chk, where, bs[n + 1 : n + 4], part)
        else:
            chk.eq(where + " BODY has no extension", len(bs), n)

    def message_body(self, where, bs, msg, path, extended):
        """The body of a message (top level or encapsulated): its parts from path.1."""
        if isinstance(bs, list) and bs and isinstance(bs[0], list):
            self.part(where, bs, msg, path, extended)
        else:
            self.part(where + ".1", bs, msg, path + [1], extended)


def section_name(path, suffix=""):
    s = ".".join(str(p) for p in path)
    if suffix:
        s = s + "." + suffix if s else suffix
    return s


def leaf_payload(part):
    """The bytes Python sees as the body of a leaf part, or None (not a str)."""
    if isinstance(part._payload, str):
        return b(part._payload)
    return None


def check_sections(chk, imap, uid, walk, msg, raw):
    """BODY[n] and BODY[n.MIME] of every leaf (and n.HEADER/n.TEXT of messages)."""
    items = []
    for path, part, kind, _ in walk.leaves:
        items += ["BODY.PEEK[%s]" % section_name(path), "BODY.PEEK[%s]" % section_name(path, "MIME")]
        if kind == "message":
            items += ["BODY.PEEK[%s]" % section_name(path, "HEADER"),
                      "BODY.PEEK[%s]" % section_name(path, "TEXT")]
    got = {}
    for i in range(0, len(items), 40):
        resp = imap.fetch(str(uid), "(%s)" % " ".join(items[i : i + 40]), uid=True)
        for v in resp.values():
            got.update(v)
    for path, part, kind, lines in walk.leaves:
        sec = section_name(path)
        body = got.get("BODY[%s]" % sec)
        mime = got.get("BODY[%s.MIME]" % sec)
        if not isinstance(body, bytes) or not isinstance(mime, bytes):
            chk.problems.append("BODY[%s]: %r / MIME %r" % (sec, body, mime))
            continue
        chk.eq("BODY[%s] size" % sec, len(body), walk.sizes.get(path))
        if lines is not None:
            # Lines (RFC 3501 body-fld-lines): the line ends in the body octets,
            # as Dovecot counts them (an unended last line is not counted).
            chk.eq("BODY[%s] lines" % sec, lines, body.count(b"\n"))
        # The part's header and body are contiguous bytes of the message.
        chk.true("BODY[%s.MIME]+BODY[%s] in message" % (sec, sec), mime + body in raw,
                 "not a contiguous slice of the message")
        chk.true("BODY[%s.MIME] ends the header" % sec,
                 mime == b"" or mime.endswith(b"\n"), repr(mime[-10:]))
        # The header Tresor cut is the header Python read.
        hdr = py_message(mime)
        if not (path == (1,) and not is_multipart(msg) and part is msg):
            chk.eq("BODY[%s.MIME] fields" % sec, hdr.raw_items_list(), part.raw_items_list())
        expect = leaf_payload(part)
        if kind == "leaf" and expect is not None:
            expect = closing_line_end(part, expect, body, raw)
            chk.eq("BODY[%s] bytes" % sec, body, expect)
            walk.bodies[path] = expect
        else:
            # message/* parsed by Python (rfc822, delivery-status, external-body):
            # Tresor's bytes, read by Python, are the same tree.
            if is_message(part):
                again = py_message(body)
                chk.eq("BODY[%s] same tree" % sec, tree(again), tree(part._payload[0]))
            else:
                again = py_message(mime + body)
                chk.eq("BODY[%s] same tree" % sec, tree(again), tree(part))
                if tree(again) == tree(part):
                    walk.bodies[path] = body
        if kind == "message":
            h, t = got.get("BODY[%s.HEADER]" % sec), got.get("BODY[%s.TEXT]" % sec)
            chk.true("BODY[%s.HEADER]+TEXT = BODY[%s]" % (sec, sec),
                     isinstance(h, bytes) and isinstance(t, bytes) and h + t == body,
                     "%r + %r" % (h, t))
            inner = part._payload[0]
            if isinstance(t, bytes) and py_type(inner)[0] != b"multipart":
                chk.eq("BODY[%s.TEXT] bytes" % sec, t, b(inner._payload))


KNOWN_CTE = (b"", b"7bit", b"8bit", b"binary", b"base64", b"quoted-printable")


def crlf(data):
    """Bare LF made CRLF (RFC 3516 6: textual sections are sent with CRLF)."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def rfc_base64(body):
    """RFC 2045 6.8 with Python's decoder: characters outside the alphabet are
    ignored (Python's get_payload keeps the raw bytes when it meets them), and
    an incomplete last group gives the whole bytes it holds."""
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", body)
    extra = len(data) % 4
    data = data[: len(data) - 1] if extra == 1 else data + b"=" * ((4 - extra) % 4)
    return base64.b64decode(data)


def rfc_qp(body):
    """RFC 2045 6.7 with Python's decoder (binascii.a2b_qp, what quopri uses):
    (3) trailing white space of every encoded line is transport padding, deleted
    (a2b_qp keeps it); (4) a hard line break is CRLF in the decoded data."""
    lines = re.split(rb"\r?\n", body)
    return binascii.a2b_qp(b"\r\n".join(line.rstrip(b" \t") for line in lines))


def check_binary(chk, imap, uid, walk):
    """BINARY[n] and BINARY.SIZE[n] of every leaf: the verified BODY[n] bytes
    decoded by Python."""
    known, unknown = [], []
    for path, part, kind, _ in walk.leaves:
        if kind != "leaf" or path not in walk.bodies:
            continue
        cte = raw_header(part, "content-transfer-encoding") or b""
        cte = re.split(rb"[ \t;(]", cte.strip())[0].lower()
        (known if cte in KNOWN_CTE else unknown).append((path, part, cte))
    got = {}
    items = []
    for path, _, _ in known:
        items += ["BINARY.PEEK[%s]" % section_name(path), "BINARY.SIZE[%s]" % section_name(path)]
    for i in range(0, len(items), 40):
        for v in imap.fetch(str(uid), "(%s)" % " ".join(items[i : i + 40]), uid=True).values():
            got.update(v)
    for path, part, cte in known:
        sec = section_name(path)
        data = got.get("BINARY[%s]" % sec)
        body = walk.bodies[path]
        expect = rfc_base64(body) if cte == b"base64" else rfc_qp(body) \
            if cte == b"quoted-printable" else body
        if py_type(part)[0] in (b"text", b"message"):
            # RFC 3516 6: textual line-oriented sections go out with CRLF.
            expect = crlf(expect)
        chk.eq("BINARY[%s]" % sec, data, expect)
        chk.eq("BINARY[%s] literal8 iff NUL" % sec, type(data).__name__,
               "Literal8" if isinstance(data, bytes) and b"\0" in data else "bytes")
        chk.eq("BINARY.SIZE[%s]" % sec, int(got.get("BINARY.SIZE[%s]" % sec, -1)),
               len(data) if isinstance(data, bytes) else -1)
    for path, part, cte in unknown:
        # RFC 3516 4.3: an encoding the server cannot undo fails the command.
        _, tagged = imap.cmd("UID FETCH %d BINARY.PEEK[%s]" % (uid, section_name(path)))
        chk.true("BINARY[%s] %s" % (section_name(path), cte.decode("latin-1")),
                 tagged.split(b" ")[1:3] == [b"NO", b"[UNKNOWN-CTE]"], repr(tagged))


def closing_line_end(part, expect, body, raw):
    """Python's payload of the last part of a multipart whose close delimiter is missing."""
    parent = getattr(part, "_tresor_parent", None)
    if parent is None or not any(
        type(d).__name__ == "CloseBoundaryNotFoundDefect" for d in parent.defects
    ):
        return expect
    if parent._payload[-1] is not part:
        return expect
    # RFC decides: RFC 2046 5.1.1 gives the line end before a delimiter line to
    # the delimiter. When no delimiter follows (the close delimiter is missing
    # and the message ends), nothing takes it: it stays in the part. Python
    # strips it anyway.
    for end in (b"\r\n", b"\n"):
        if raw.endswith(expect + end):
            return expect + end
    return expect


def tree(m):
    """A comparable picture of a parsed message: headers and payloads, recursively."""
    if isinstance(m._payload, list):
        return (m.raw_items_list(), [tree(x) for x in m._payload])
    return (m.raw_items_list(), m._payload)


def link_parents(m):
    if isinstance(m._payload, list):
        for x in m._payload:
            x._tresor_parent = m
            link_parents(x)


def _raw_items_list(self):
    return [(k.lower(), unfold(v)) for k, v in self.raw_items()]


email.message.Message.raw_items_list = _raw_items_list


# --- where the RFC decides against Python's reading of a whole message ---------------


def twin_renamed_inner_boundaries(raw, walk):
    """
    RFC decides: msg_15 and msg_39 nest a multipart/alternative that reuses the
    boundary of the multipart around it, which RFC 2046 5.1.2 forbids ("each
    nested multipart entity uses a different boundary") without saying how to
    read it. Tresor, like Dovecot, gives the line to the innermost multipart, so
    every part survives; Python gives it to the outer one and loses the inner
    parts (msg_15 loses its image/gif attachment). Python reads the same bytes
    with each inner boundary renamed (same length, so every offset and size is
    unchanged); the renamed value is mapped back when parameters are compared.
    """
    out = raw
    for m in re.finditer(rb'multipart/alternative;\s*boundary="([^"]+)"', raw, re.I):
        old = m.group(1)
        new = old[:-1] + (b"9" if old[-1:] != b"9" else b"8")
        close = raw.find(b"--" + old + b"--", m.end())
        assert close > 0
        end = close + len(old) + 4
        out = out[: m.start()] + out[m.start() : end].replace(old, new) + out[end:]
        walk.unrename[new] = old
    return out


def split_every_delimiter(msg, raw):
    """
    RFC decides: msg_37 has delimiter lines directly after delimiter lines.
    RFC 2046 5.1.1: every delimiter line starts a body part, and a body part may
    be empty (no header fields, no body); Python's reading ignores repeated
    delimiters. The reference here is Python's parse of each part that the
    delimiter lines delimit.
    """
    body = raw[re.search(rb"\r?\n\r?\n", raw).end() :]
    delim = re.compile(
        rb"(\r?\n)?^--" + re.escape(msg.get_boundary().encode()) + rb"(--)?[ \t]*(\r?\n|$)", re.M
    )
    parts, prev = [], None
    for m in delim.finditer(body):
        if prev is not None:
            parts.append(py_message(body[prev : m.start()]))
        if m.group(2):
            break
        prev = m.end()
    msg._payload = parts
    return msg


_CONTENT_FIELD = re.compile(
    rb"(?mi)^(content-(?:type|disposition|transfer-encoding)[ \t]*:)([^\n]*\n?(?:[ \t][^\n]*\n?)*)"
)


def _blank(value):
    out, depth, quoted, i = bytearray(value), 0, False, 0
    while i < len(out):
        c = out[i : i + 1]
        if c == b"\\" and (quoted or depth) and i + 1 < len(out):
            if depth:
                out[i : i + 2] = b"  "
            i += 2
            continue
        if quoted:
            quoted = c != b'"'
        elif c == b'"' and not depth:
            quoted = True
        elif c == b"(":
            depth += 1
        if depth and c not in (b"\r", b"\n"):
            out[i : i + 1] = b" "
        if c == b")" and depth:
            depth -= 1
        i += 1
    return bytes(out)


def blank_comments(raw):
    """
    RFC decides: Content-Type, Content-Disposition and Content-Transfer-Encoding
    are structured fields (RFC 2045 5.1, 6.1; RFC 2183 2) where a comment may
    stand anywhere and means nothing: "boundary=abc (comment)" is the boundary
    "abc". Python keeps such comments in values (and then finds no boundary).
    Python reads the message with every comment of these fields replaced by
    spaces, so every offset and size stays the same.
    """
    return _CONTENT_FIELD.sub(lambda m: m.group(1) + _blank(m.group(2)), raw)


def py_message(data):
    return email.message_from_bytes(blank_comments(data), policy=email.policy.compat32)


def python_reading(test_id, raw, walk):
    """Python's parse of raw, with the RFC-decided readings above where they apply."""
    stem = test_id.split("-")[-1]
    if stem in ("msg_15", "msg_39"):
        msg = py_message(twin_renamed_inner_boundaries(raw, walk))
    else:
        msg = py_message(raw)
    if stem == "msg_37":
        split_every_delimiter(msg, raw)
    link_parents(msg)
    return msg


# --- the tests -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def imap(server):
    with ByteImap(server.port) as c:
        c.login(*ALICE)
        box = unique("corpus")
        c.ok("CREATE %s" % box)
        c.ok("SELECT %s" % box)
        c.box = box
        yield c


@pytest.mark.parametrize("raw", corpus())
def test_message_matches_python(imap, raw, request):
    uid = imap.append(imap.box, raw)
    resp = imap.fetch(str(uid), "(ENVELOPE BODYSTRUCTURE BODY RFC822.SIZE BODY.PEEK[])", uid=True)
    assert len(resp) == 1, resp
    items = next(iter(resp.values()))
    chk = Check(raw)
    walk = Walk(chk, raw)
    msg = python_reading(request.node.callspec.id, raw, walk)
    chk.eq("RFC822.SIZE", int(items["RFC822.SIZE"]), len(raw))
    chk.eq("BODY[]", items["BODY[]"], raw)
    check_envelope(chk, "ENVELOPE", items["ENVELOPE"], msg)
    walk.message_body("BODYSTRUCTURE", items["BODYSTRUCTURE"], msg, [], True)
    body_walk = Walk(chk, raw)
    body_walk.unrename = walk.unrename
    body_walk.message_body("BODY", items["BODY"], msg, [], False)
    check_sections(chk, imap, uid, walk, msg, raw)
    check_binary(chk, imap, uid, walk)
    COUNTS["messages"] += 1
    COUNTS["fields"] += chk.fields
    assert not chk.problems, "\n".join(chk.problems)


def test_corpus_counts():
    """The run compared what it should; prints the totals for the report."""
    if COUNTS["messages"] == 0:
        pytest.skip("no corpus message ran (test selection)")
    expected = 2 * len(PY_MESSAGES) + len(OWN_MESSAGES)
    print("corpus: %d messages, %d fields compared" % (COUNTS["messages"], COUNTS["fields"]))
    assert len(OWN_MESSAGES) >= 20
    assert PY_MESSAGES, "install libpython3.11-testsuite (Python's test messages)"
    assert COUNTS["messages"] == expected, COUNTS
    assert COUNTS["fields"] >= 40 * expected, COUNTS
