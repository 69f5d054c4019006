"""
Integration test harness: runs the real tresor binary over real sockets.

Each server gets its own temporary directory with a tresor.conf, a data
directory, and free loopback ports for IMAP (plain + STARTTLS), IMAPS, the
SMTP MX listener, submission (STARTTLS) and submissions (implicit TLS), and
POP3 (STLS) and POP3S.
The binary is $TRESOR_BIN, or build/asan/tresor in the repository (built
with AddressSanitizer and UBSan). A server is stopped with SIGTERM at
teardown; the test fails if it exits non-zero, does not stop, or a sanitizer
reported anything on its stderr. On any test failure the tail of each live
server's stderr is attached to the report. A port taken between picking it
and the server's bind (another test's client socket may get it) makes the
server start again on new ports (START_ATTEMPTS).

Fixtures:
  server        one server per test module, with ALICE and BOB accounts
  make_server   factory for servers with their own settings (per test)
Helpers (module functions, import them with `from conftest import ...`):
  imap_plain, imap_starttls, imap_tls, login, append, RawImap, message,
  smtp_mx, smtp_submission, smtp_submissions, RawSmtp, inbox_messages,
  pop3_plain, pop3_stls, pop3_tls
"""

import imaplib
import poplib
import itertools
import os
import re
import smtplib
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRESOR_BIN = os.environ.get("TRESOR_BIN", str(REPO / "build" / "asan" / "tresor"))
if not os.path.isabs(TRESOR_BIN):
    TRESOR_BIN = str(REPO / TRESOR_BIN)

DOMAIN = "example.test"
ALICE = ("alice@example.test", "alice-secret-pw")
BOB = ("bob@example.test", "bob-secret-pw")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")
DEFAULT_MAILBOXES = ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]
TIMEOUT = 10.0

_live_servers = []
_names = itertools.count(1)


def unique(prefix="box"):
    """A name unique within the test run (for mailboxes shared in a module)."""
    return "%s%d_%d" % (prefix, os.getpid() % 1000, next(_names))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sanitizer_problems(text):
    return [m for m in SANITIZER_MARKERS if m in text]


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


# Starts of one server before a port taken by someone else fails the test.
START_ATTEMPTS = 3


class PortTaken(AssertionError):
    """The server could not bind a port picked for it: someone took it meanwhile."""


class TresorServer:
    """One tresor process with its own configuration and data directory."""

    def __init__(self, root, imap=None, auth=None, server=None, smtp=None, pop3=None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf = self.root / "tresor.conf"
        self.data_dir = self.root / "var"
        self.stderr_path = self.root / "server.stderr"
        self.proc = None
        self._stderr = None
        self._opts = dict(imap=imap, auth=auth, server=server, smtp=smtp, pop3=pop3)
        self._configure()

    def _configure(self):
        """Picks free ports and writes tresor.conf with them and the options."""
        imap, auth, server = self._opts["imap"], self._opts["auth"], self._opts["server"]
        smtp, pop3 = self._opts["smtp"], self._opts["pop3"]
        self.port = free_port()
        self.tls_port = free_port()
        self.mx_port = free_port()
        self.sub_port = free_port()
        self.subs_port = free_port()
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        imap_opts = {
            "listen": "127.0.0.1:%d" % self.port,
            "listen_tls": "127.0.0.1:%d" % self.tls_port,
        }
        imap_opts.update(imap or {})
        auth_opts = {"failure_delay_ms": "50"}
        auth_opts.update(auth or {})
        server_opts = {
            "hostname": "mail.example.test",
            "data_dir": str(self.data_dir),
            "user": "",
            "workers": "2",
        }
        server_opts.update(server or {})
        self.write_conf(
            {
                "server": server_opts,
                "imap": imap_opts,
                "pop3": dict(
                    {
                        "listen": "127.0.0.1:%d" % self.pop3_port,
                        "listen_tls": "127.0.0.1:%d" % self.pop3s_port,
                    },
                    **(pop3 or {})
                ),
                "smtp": dict(
                    {
                        "listen_mx": "127.0.0.1:%d" % self.mx_port,
                        "listen_submission": "127.0.0.1:%d" % self.sub_port,
                        "listen_submissions": "127.0.0.1:%d" % self.subs_port,
                    },
                    **(smtp or {})
                ),
                "auth": auth_opts,
            }
        )

    def write_conf(self, sections):
        lines = ["# written by tests/integration/conftest.py"]
        for name, opts in sections.items():
            lines.append("[%s]" % name)
            lines.extend("%s = %s" % (k, v) for k, v in opts.items())
            lines.append("")
        self.conf.write_text("\n".join(lines))

    # --- admin commands ---

    def cli(self, *args, input=None, expect=0):
        """Runs `tresor -c CONF ARGS`; asserts the exit code and a clean stderr."""
        p = subprocess.run(
            [TRESOR_BIN, "-c", str(self.conf)] + list(args),
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            env=sanitizer_env(),
        )
        assert not sanitizer_problems(p.stderr), p.stderr
        if expect is not None:
            assert p.returncode == expect, "tresor %s -> %d\nstdout: %s\nstderr: %s" % (
                " ".join(args),
                p.returncode,
                p.stdout,
                p.stderr,
            )
        return p

    def add_domain(self, domain=DOMAIN):
        self.cli("domain", "add", domain)

    def add_user(self, address, password):
        self.cli("user", "add", address, "--password-stdin", input=password + "\n")

    # --- process ---

    def start(self):
        """Starts the server; a port taken between free_port() and the bind (a
        client socket of another test may get it as its own port) means new
        ports and another try."""
        for attempt in range(START_ATTEMPTS):
            try:
                return self._start()
            except PortTaken:
                if attempt + 1 == START_ATTEMPTS:
                    raise
                self._configure()

    def _start(self):
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [TRESOR_BIN, "-c", str(self.conf), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=self._stderr,
            env=sanitizer_env(),
        )
        _live_servers.append(self)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                _live_servers.remove(self)
                self._stderr.close()
                if "Address already in use" in self.stderr_text():
                    raise PortTaken(self.stderr_text())
                raise AssertionError(
                    "tresor serve exited with %d at start:\n%s"
                    % (self.proc.returncode, self.stderr_text())
                )
            try:
                for port in self.listening_ports():
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("tresor serve did not listen:\n" + self.stderr_text())
                time.sleep(0.05)

    def listening_ports(self):
        """The ports of every listener the configuration turns on."""
        text = self.conf.read_text()
        return [int(p) for p in re.findall(r"^listen\w* = 127\.0\.0\.1:(\d+)$", text, re.M)]

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self):
        """Stops the server; returns a list of problems (empty when all is well)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append("did not stop within 30 s of SIGTERM")
        else:
            problems.append("had already exited before teardown")
        if self.proc.returncode != 0:
            problems.append("exit status %d" % self.proc.returncode)
        self._stderr.close()
        if self in _live_servers:
            _live_servers.remove(self)
        found = sanitizer_problems(self.stderr_text())
        if found:
            problems.append("sanitizer reported: " + ", ".join(found))
        self.proc = None
        return problems

    def stop_or_fail(self):
        problems = self.stop()
        if problems:
            pytest.fail(
                "tresor serve (%s): %s\n--- stderr ---\n%s"
                % (self.root, "; ".join(problems), tail(self.stderr_text())),
                pytrace=False,
            )


def tail(text, lines=200):
    return "\n".join(text.splitlines()[-lines:])


def new_server(root, users=(ALICE, BOB), **opts):
    srv = TresorServer(root, **opts)
    srv.add_domain()
    for address, password in users:
        srv.add_user(address, password)
    return srv.start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = new_server(tmp_path_factory.mktemp("tresor"))
    yield srv
    srv.stop_or_fail()


@pytest.fixture
def make_server(tmp_path):
    """make_server(imap={...}, auth={...}, users=[...]) -> a started server for one test."""
    made = []

    def make(**opts):
        srv = new_server(tmp_path / ("srv%d" % len(made)), **opts)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop_or_fail()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in _live_servers:
            report.sections.append(("tresor stderr (%s)" % srv.root, tail(srv.stderr_text())))


# --- clients ---


def no_verify_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def imap_plain(srv):
    return imaplib.IMAP4("127.0.0.1", srv.port, timeout=TIMEOUT)


def imap_starttls(srv):
    m = imap_plain(srv)
    typ, _ = m.starttls(ssl_context=no_verify_context())
    assert typ == "OK"
    return m


def imap_tls(srv):
    return imaplib.IMAP4_SSL(
        "127.0.0.1", srv.tls_port, ssl_context=no_verify_context(), timeout=TIMEOUT
    )


def login(srv, user=ALICE, conn=imap_plain):
    m = conn(srv)
    typ, data = m.login(*user)
    assert typ == "OK", data
    return m


def message(subject="Test", body="Hello.\r\n", sender="carol@example.org", to=None, extra=""):
    to = to or ALICE[0]
    return (
        "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 7 Feb 2022 21:52:25 +0000\r\n"
        "Message-ID: <%s@example.org>\r\n%s\r\n%s"
        % (sender, to, subject, unique("msg"), extra, body)
    ).encode()


def append(m, mailbox, msg=None, flags=None, date=None):
    """APPENDs and returns the new message's UID (from APPENDUID)."""
    msg = msg if msg is not None else message()
    typ, data = m.append(mailbox, flags, date, msg)
    assert typ == "OK", data
    found = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
    assert found, data
    return int(found.group(2))


class RawClient:
    """A socket client that shows every byte the server sends (base of RawImap, RawSmtp)."""

    def __init__(self, port, tls=False, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            self.sock = no_verify_context().wrap_socket(self.sock)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection; unread: %r" % self.buf)
        self.buf += chunk

    def read_until_eof(self, limit=5.0):
        """Everything the server sends until it closes (AssertionError if it does not)."""
        self.sock.settimeout(limit)
        data = self.buf
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data.decode("utf-8", "replace")
                data += chunk
        except socket.timeout:
            raise AssertionError("connection still open; received %r" % data)
        except ConnectionResetError:
            return data.decode("utf-8", "replace")

    def nothing_pending(self, wait=0.3):
        """True if the server sends nothing within `wait` seconds."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(TIMEOUT)
        self.buf += chunk
        return False


class RawImap(RawClient):
    """A line-level IMAP client that shows every byte the server sends."""

    def __init__(self, srv=None, port=None, tls=False, timeout=TIMEOUT):
        super().__init__(port or (srv.tls_port if tls else srv.port), tls, timeout)
        self.tags = itertools.count(1)
        self.greeting = self.readline()

    def read_line_bytes(self):
        """One protocol line with its literals ({n}, {n+}, ~{n}) inlined, without the
        final CRLF, byte for byte."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            out += line
            lit = re.search(rb"~?\{(\d+)\+?\}$", line)
            if not lit or out.startswith(b"+"):
                return out
            n = int(lit.group(1))
            while len(self.buf) < n:
                self._fill()
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]

    def readline(self):
        """One protocol line (with any literals inlined), without CRLF, as str."""
        return self.read_line_bytes().decode("utf-8", "replace")

    def read_response(self, tag):
        """Reads up to the tagged line: (untagged lines, tagged line)."""
        untagged = []
        while True:
            line = self.readline()
            if line.startswith(tag + " "):
                return untagged, line
            untagged.append(line)

    def cmd(self, text, tag=None):
        tag = tag or "t%d" % next(self.tags)
        self.send("%s %s\r\n" % (tag, text))
        return self.read_response(tag)

    def ok(self, text):
        untagged, tagged = self.cmd(text)
        assert tagged.split(" ")[1] == "OK", (text, untagged, tagged)
        return untagged

    def login(self, user=ALICE):
        self.ok('LOGIN "%s" "%s"' % user)
        return self


# --- SMTP clients ---


def smtp_mx(srv, helo="client.example.org"):
    """smtplib on the MX listener, after EHLO."""
    s = smtplib.SMTP("127.0.0.1", srv.mx_port, local_hostname=helo, timeout=TIMEOUT)
    s.ehlo()
    return s


def smtp_submission(srv, user=ALICE, tls=True):
    """smtplib on the submission listener: EHLO, STARTTLS (unless tls=False), AUTH."""
    s = smtplib.SMTP("127.0.0.1", srv.sub_port, local_hostname="laptop", timeout=TIMEOUT)
    s.ehlo()
    if tls:
        s.starttls(context=no_verify_context())
        s.ehlo()
    if user is not None:
        s.login(*user)
    return s


def smtp_submissions(srv, user=ALICE):
    """smtplib over implicit TLS (port 465 style), logged in."""
    s = smtplib.SMTP_SSL(
        "127.0.0.1",
        srv.subs_port,
        local_hostname="laptop",
        context=no_verify_context(),
        timeout=TIMEOUT,
    )
    s.ehlo()
    if user is not None:
        s.login(*user)
    return s


def inbox_messages(srv, user=ALICE, mailbox="INBOX"):
    """Every message of a mailbox as stored, as a list of bytes (by UID)."""
    m = login(srv, user)
    typ, _ = m.select(mailbox, readonly=True)
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert typ == "OK", data
    m.logout()
    return [part[1] for part in data if isinstance(part, tuple)]


def strip_trace(data):
    """The message without the Return-Path and Received lines Tresor put in front."""
    head = re.match(rb"Return-Path: <[^>]*>\r\nReceived: [^\r]*(\r\n\t[^\r]*)*\r\n", data)
    assert head, data[:400]
    return data[head.end():]


class RawSmtp(RawClient):
    """A byte-level SMTP client: every reply as the server wrote it."""

    def __init__(self, srv=None, port=None, tls=False, timeout=TIMEOUT):
        super().__init__(port or (srv.subs_port if tls else srv.mx_port), tls, timeout)
        self.greeting = self.reply()

    def starttls(self):
        code, _ = self.cmd("STARTTLS")
        assert code == 220
        assert self.buf == b""
        self.sock = no_verify_context().wrap_socket(self.sock)

    def reply(self):
        """One whole reply: (code, [text lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            line = line.decode("utf-8", "replace")
            lines.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def expect(self, text, code):
        got, lines = self.cmd(text)
        assert got == code, (text, got, lines)
        return lines



# --- POP3 clients ---


def pop3_plain(srv):
    return poplib.POP3("127.0.0.1", srv.pop3_port, timeout=TIMEOUT)


def pop3_stls(srv):
    p = pop3_plain(srv)
    p.stls(context=no_verify_context())
    return p


def pop3_tls(srv):
    return poplib.POP3_SSL("127.0.0.1", srv.pop3s_port, context=no_verify_context(), timeout=TIMEOUT)
