"""
A small IMAP response parser and byte-exact client for the tests.

RFC 3501 9 / RFC 9051 9 (response syntax): atoms, numbers, quoted strings
(with \\" and \\\\ escapes), literals {n} and literal8 ~{n} (RFC 3516), NIL,
parenthesized lists, and FETCH items whose name carries a section with spaces
and parentheses (BODY[HEADER.FIELDS (FROM TO)]<0>).

Values returned by parse():
  list   a parenthesized list
  bytes  a quoted string or a literal (exact bytes, escapes undone)
  None   NIL
  Atom   any other token (a str subclass), e.g. FLAGS, 12, \\Seen, BODY[1]<0>
  Literal8  (a bytes subclass) for ~{n}

ByteImap is conftest.RawImap answering in bytes: it never touches the bytes it
sends or receives (imaplib rewrites bare LF to CRLF in APPEND, and RawImap
decodes responses to str), so message bytes can be compared exactly.
"""

import re

from conftest import RawImap

TIMEOUT = 20.0


class Atom(str):
    """An IMAP atom (or number), as opposed to a string."""


class Literal8(bytes):
    """Data that the server sent as literal8 (~{n})."""


class ParseError(ValueError):
    pass


_ATOM_END = b" ()\r\n"


class _Parser:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def peek(self):
        return self.data[self.pos : self.pos + 1]

    def skip_spaces(self):
        while self.peek() == b" ":
            self.pos += 1

    def value(self):
        c = self.peek()
        if c == b"":
            raise ParseError("unexpected end at %d in %r" % (self.pos, self.data[:200]))
        if c == b"(":
            return self.parse_list()
        if c == b'"':
            return self.quoted()
        if c == b"{" or (c == b"~" and self.data[self.pos + 1 : self.pos + 2] == b"{"):
            return self.literal()
        return self.atom()

    def parse_list(self):
        assert self.peek() == b"("
        self.pos += 1
        out = []
        while True:
            self.skip_spaces()
            c = self.peek()
            if c == b")":
                self.pos += 1
                return out
            if c == b"":
                raise ParseError("unclosed list in %r" % self.data[:200])
            out.append(self.value())

    def quoted(self):
        self.pos += 1
        out = bytearray()
        while True:
            c = self.peek()
            if c == b"":
                raise ParseError("unclosed quoted string")
            if c in (b"\r", b"\n"):
                raise ParseError("CR or LF in a quoted string at %d" % self.pos)
            self.pos += 1
            if c == b'"':
                return bytes(out)
            if c == b"\\":
                c = self.peek()
                if c not in (b'"', b"\\"):
                    raise ParseError("bad quoted escape %r" % c)
                self.pos += 1
            out += c

    def literal(self):
        binary = self.peek() == b"~"
        m = re.compile(rb"~?\{(\d+)\}\r\n").match(self.data, self.pos)
        if not m:
            raise ParseError("bad literal at %d: %r" % (self.pos, self.data[self.pos : self.pos + 20]))
        n = int(m.group(1))
        start = m.end()
        if start + n > len(self.data):
            raise ParseError("literal runs past the data")
        self.pos = start + n
        chunk = self.data[start : start + n]
        return Literal8(chunk) if binary else bytes(chunk)

    def atom(self):
        start = self.pos
        depth = 0
        while self.pos < len(self.data):
            c = self.data[self.pos : self.pos + 1]
            if c == b"[":
                depth += 1
            elif c == b"]":
                depth -= 1
            elif depth == 0 and c in (b" ", b"(", b")", b"\r", b"\n"):
                break
            self.pos += 1
        word = self.data[start : self.pos]
        if not word:
            raise ParseError("empty atom at %d in %r" % (start, self.data[:200]))
        if word.upper() == b"NIL":
            return None
        return Atom(word.decode("latin-1"))


def parse(data):
    """Parses a sequence of values separated by spaces; returns the list of them."""
    p = _Parser(data)
    out = []
    while True:
        p.skip_spaces()
        if p.pos >= len(data):
            return out
        out.append(p.value())


def parse_one(data):
    vals = parse(data)
    if len(vals) != 1:
        raise ParseError("expected one value, got %d" % len(vals))
    return vals[0]


def parse_fetch(line):
    """'* 3 FETCH (...)' as bytes -> (3, {ITEM-NAME-UPPER: value}); None if not FETCH."""
    m = re.match(rb"\* (\d+) FETCH ", line)
    if not m:
        return None
    items = parse_one(line[m.end() :])
    if not isinstance(items, list) or len(items) % 2:
        raise ParseError("FETCH data is not a list of pairs: %r" % line[:200])
    out = {}
    for name, value in zip(items[0::2], items[1::2]):
        if not isinstance(name, Atom):
            raise ParseError("FETCH item name is not an atom: %r" % name)
        key = name.upper()
        if key in out:
            raise ParseError("item %s twice in one FETCH response" % key)
        out[key] = value
    return int(m.group(1)), out


def envelope_dict(env):
    """An ENVELOPE list as a dict of its ten fields."""
    keys = ("date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
            "in-reply-to", "message-id")
    if not isinstance(env, list) or len(env) != 10:
        raise ParseError("ENVELOPE must have 10 fields: %r" % (env,))
    return dict(zip(keys, env))


class ByteImap(RawImap):
    """A byte-exact IMAP client: commands as str, responses as bytes."""

    def __init__(self, port, timeout=TIMEOUT):
        super().__init__(port=port, timeout=timeout)

    def read_line(self):
        return self.read_line_bytes()

    def read_response(self, tag):
        untagged = []
        while True:
            line = self.read_line()
            if line.startswith(tag.encode() + b" "):
                return untagged, line
            untagged.append(line)

    def cmd(self, text):
        """Sends one command; returns (untagged lines, tagged line) as bytes."""
        tag = "b%d" % next(self.tags)
        self.send("%s %s\r\n" % (tag, text))
        return self.read_response(tag)

    def ok(self, text):
        untagged, tagged = self.cmd(text)
        status = tagged.split(b" ")[1]
        assert status == b"OK", (text, untagged, tagged)
        return untagged

    def login(self, user, password):
        self.ok('LOGIN "%s" "%s"' % (user, password))
        return self

    def append(self, mailbox, data, flags="", date=None):
        """APPENDs the exact bytes of data; returns the new UID (APPENDUID)."""
        tag = "b%d" % next(self.tags)
        args = mailbox
        if flags:
            args += " (%s)" % flags
        if date:
            args += ' "%s"' % date
        self.send("%s APPEND %s {%d}\r\n" % (tag, args, len(data)))
        line = self.read_line()
        assert line.startswith(b"+"), line
        self.send(data + b"\r\n")
        untagged, tagged = self.read_response(tag)
        assert tagged.split(b" ")[1] == b"OK", (untagged, tagged)
        m = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged)
        assert m, tagged
        return int(m.group(1))

    def fetch(self, seqset, items, uid=False):
        """FETCH (UID FETCH if uid): {sequence number: {ITEM: value}}."""
        untagged = self.ok("%sFETCH %s %s" % ("UID " if uid else "", seqset, items))
        return fetch_map(untagged)


def fetch_map(untagged):
    """The FETCH responses among untagged lines, merged per sequence number."""
    out = {}
    for line in untagged:
        parsed = parse_fetch(line)
        if parsed is None:
            continue
        seq, items = parsed
        out.setdefault(seq, {}).update(items)
    return out
