"""STARTTLS and implicit TLS (RFC 9051 6.2.1, RFC 8314, RFC 2595).

Loopback clients may log in without TLS, so LOGINDISABLED cannot be seen from
127.0.0.1; what is tested here is TLS itself and the STARTTLS state rules,
including the CVE-2011-0411 command injection."""

import socket
import ssl

from conftest import ALICE, RawImap, imap_starttls, imap_tls, no_verify_context


def test_starttls_then_login(server):
    m = imap_starttls(server)
    assert isinstance(m.sock, ssl.SSLSocket)
    typ, caps = m.capability()
    assert typ == "OK"
    words = caps[0].decode().split()
    assert "STARTTLS" not in words
    assert "AUTH=PLAIN" in words and "LOGINDISABLED" not in words
    typ, _ = m.login(*ALICE)
    assert typ == "OK"
    typ, data = m.select("INBOX")
    assert typ == "OK"
    m.shutdown()


def test_logout_after_starttls_delivers_bye_and_ok(server):
    """The last responses must reach the client before the close, also when
    TLS was started on a plain connection (a filter over the socket)."""
    with RawImap(server) as c:
        c.ok("STARTTLS")
        c.sock = no_verify_context().wrap_socket(c.sock)
        c.login()
        c.send("z LOGOUT\r\n")
        assert c.readline() == "* BYE Logging out"
        assert c.readline() == "z OK LOGOUT completed"


def test_logout_over_implicit_tls(server):
    with RawImap(server, tls=True) as c:
        c.login()
        c.send("z LOGOUT\r\n")
        assert c.readline() == "* BYE Logging out"
        assert c.readline() == "z OK LOGOUT completed"


def test_implicit_tls_login(server):
    m = imap_tls(server)
    assert m.sock.version() in ("TLSv1.2", "TLSv1.3")
    # The greeting arrives over TLS and offers no STARTTLS.
    assert "STARTTLS" not in m.welcome.decode()
    assert b"AUTH=PLAIN" in m.welcome
    typ, _ = m.login(*ALICE)
    assert typ == "OK"
    assert m.select("INBOX")[0] == "OK"
    m.logout()


def test_server_certificate_names_the_host(server):
    with RawImap(server, tls=True) as c:
        der = c.sock.getpeercert(binary_form=True)
        assert der
        pem = ssl.DER_cert_to_PEM_cert(der)
        assert "BEGIN CERTIFICATE" in pem
        assert c.greeting.startswith("* OK [CAPABILITY IMAP4rev1 ")


def test_starttls_not_offered_after_tls(server):
    with RawImap(server) as c:
        assert " STARTTLS " in c.greeting
        assert c.cmd("STARTTLS", tag="s1") == ([], "s1 OK Begin TLS negotiation now")
        c.sock = no_verify_context().wrap_socket(c.sock)
        untagged, tagged = c.cmd("CAPABILITY", tag="s2")
        assert tagged == "s2 OK CAPABILITY completed"
        assert "STARTTLS" not in untagged[0].split()
        assert untagged[0].startswith("* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN ")


def test_starttls_twice_is_bad(server):
    with RawImap(server) as c:
        c.ok("STARTTLS")
        c.sock = no_verify_context().wrap_socket(c.sock)
        assert c.cmd("STARTTLS", tag="s3") == ([], "s3 BAD TLS is already active")
        c.login()
        assert c.ok("SELECT INBOX")


def test_starttls_on_implicit_tls_is_bad(server):
    with RawImap(server, tls=True) as c:
        assert c.cmd("STARTTLS", tag="s4") == ([], "s4 BAD TLS is already active")


def test_starttls_with_arguments_is_bad(server):
    with RawImap(server) as c:
        _, tagged = c.cmd("STARTTLS now", tag="s5")
        assert tagged == "s5 BAD STARTTLS takes no arguments"
        # The connection is still plain and usable.
        assert c.cmd("NOOP", tag="s6") == ([], "s6 OK NOOP completed")


def test_starttls_command_injection_is_dropped(server):
    """CVE-2011-0411: commands pipelined after STARTTLS, in the same write,
    must not be run inside the TLS session."""
    with RawImap(server) as c:
        c.send(b"a STARTTLS\r\nb CAPABILITY\r\n")
        assert c.readline() == "a OK Begin TLS negotiation now"
        # No response to b may arrive in plain text before the handshake either.
        assert c.buf == b""
        c.sock = no_verify_context().wrap_socket(c.sock)
        assert c.nothing_pending(wait=0.5), "server answered the injected command: %r" % c.buf
        untagged, tagged = c.cmd("NOOP", tag="c")
        assert (untagged, tagged) == ([], "c OK NOOP completed")
        assert c.nothing_pending(wait=0.2)


def test_plaintext_on_the_tls_port_gets_no_greeting(server):
    s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=5)
    try:
        s.sendall(b"a CAPABILITY\r\n")
        s.settimeout(3)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        assert b"* OK" not in data and b"CAPABILITY" not in data
    finally:
        s.close()


def test_credentials_refused_before_tls(make_server):
    """RFC 8314 / RFC 2595 3.2: without the loopback exception, a plain connection gets
    LOGINDISABLED, and LOGIN and AUTHENTICATE answer NO [PRIVACYREQUIRED] without a
    password being checked; after STARTTLS the same credentials work."""
    srv = make_server(auth={"plaintext_loopback": "0"}, users=(ALICE,))
    with RawImap(srv) as c:
        assert "LOGINDISABLED" in c.greeting and "STARTTLS" in c.greeting
        assert "AUTH=PLAIN" not in c.greeting
        caps = c.ok("CAPABILITY")[0]
        assert "LOGINDISABLED" in caps and "AUTH=" not in caps
        _, tagged = c.cmd('LOGIN "%s" "%s"' % ALICE, tag="l1")
        assert tagged == "l1 NO [PRIVACYREQUIRED] Use STARTTLS or port 993 first"
        _, tagged = c.cmd("AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQtcHc=",
                          tag="a1")
        assert tagged == "a1 NO [PRIVACYREQUIRED] Use STARTTLS or port 993 first"
    m = imap_starttls(srv)
    assert "LOGINDISABLED" not in " ".join(m.capabilities)
    assert m.login(*ALICE)[0] == "OK"
    m.logout()
    m = imap_tls(srv)
    assert m.login(*ALICE)[0] == "OK"
    m.logout()
