"""
Where SMTP mail goes: local accounts over MX (byte-identical plus trace
headers), aliases, catch-alls and sub-addresses, unknown users (550 5.1.1),
relaying (554 5.7.1 unless authenticated), submission rules (authentication
before MAIL, the sender and From must be the account's: 553 5.7.1), the
headers submission adds, the outbound queue with DSN parameters, and one
stored copy for several local recipients.
"""

import re
import smtplib
import sqlite3

import pytest

from conftest import (
    ALICE,
    BOB,
    RawImap,
    RawSmtp,
    inbox_messages,
    message,
    smtp_mx,
    smtp_submission,
    smtp_submissions,
    strip_trace,
    unique,
)


def delivered(srv, raw, user=ALICE):
    return [m for m in inbox_messages(srv, user) if strip_trace(m) == raw]


def send_raw(srv, sender, rcpts, raw, port=None):
    """One transaction on the MX listener; returns the reply codes of each RCPT and DATA."""
    with RawSmtp(srv, port=port) as c:
        c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<%s>" % sender, 250)
        codes = [c.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts]
        if 250 in codes:
            c.expect("DATA", 354)
            c.send(raw + b".\r\n")
            codes.append(c.reply()[0])
        return codes


def test_mx_delivery_is_byte_identical_with_trace_headers(server):
    raw = message(subject="exact bytes", body="line one\r\n.leading dot\r\n\r\nend\r\n")
    # The client dot-stuffs the line (RFC 5321 4.5.2); the store holds it unstuffed.
    sent = raw.replace(b"\r\n.", b"\r\n..")
    assert send_raw(server, "carol@example.org", [ALICE[0]], sent) == [250, 250]
    got = delivered(server, raw)
    assert len(got) == 1
    head = got[0].split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("Return-Path: <carol@example.org>\r\nReceived: from client.example.org ([127.0.0.1])")
    assert "by mail.example.test (Tresor) with ESMTP id " in head
    assert "for <alice@example.test>;" in head


def test_received_header_names_tls(server):
    raw = message(subject="over tls")
    with RawSmtp(server) as c:
        c.expect("EHLO a.example.org", 250)
        c.starttls()
        c.expect("EHLO a.example.org", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        assert c.reply()[0] == 250
    (got,) = delivered(server, raw)
    assert re.search(rb"with ESMTPS id \w+\r\n\t\(version=TLSv1\.[23] cipher=", got), got[:400]


def test_unknown_user_in_hosted_domain(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        code, lines = c.cmd("RCPT TO:<nobody@example.test>")
        assert code == 550 and lines[0].startswith("5.1.1"), lines


def test_mx_is_not_an_open_relay(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        code, lines = c.cmd("RCPT TO:<someone@elsewhere.example>")
        assert code == 554 and lines[0].startswith("5.7.1"), lines
    assert "someone@elsewhere.example" not in server.cli("queue", "list").stdout


def test_postmaster_without_domain_is_accepted(make_server):
    srv = make_server()
    srv.cli("domain", "add", "mail.example.test")
    srv.add_user("postmaster@mail.example.test", "pm-secret-pw")
    raw = message(subject="to postmaster")
    assert send_raw(srv, "carol@example.org", ["Postmaster"], raw) == [250, 250]
    assert delivered(srv, raw, ("postmaster@mail.example.test", "pm-secret-pw"))


def test_alias_catch_all_and_subaddress(make_server):
    srv = make_server()
    srv.cli("alias", "add", "team@example.test", ALICE[0])
    srv.cli("alias", "add", "team@example.test", BOB[0])
    raw = message(subject="to the team")
    assert send_raw(srv, "carol@example.org", ["team@example.test"], raw) == [250, 250]
    assert delivered(srv, raw, ALICE) and delivered(srv, raw, BOB)

    raw = message(subject="tagged")
    assert send_raw(srv, "carol@example.org", ["alice+lists@example.test"], raw) == [250, 250]
    assert delivered(srv, raw, ALICE)

    # No catch-all yet: unknown; with one, delivered to its target.
    assert send_raw(srv, "carol@example.org", ["random@example.test"], b"") == [550]
    srv.cli("alias", "add", "@example.test", BOB[0])
    raw = message(subject="caught")
    assert send_raw(srv, "carol@example.org", ["random@example.test"], raw) == [250, 250]
    assert delivered(srv, raw, BOB) and not delivered(srv, raw, ALICE)


def test_several_local_recipients_share_one_stored_copy(make_server):
    srv = make_server()
    raw = message(subject="stored once")
    assert send_raw(srv, "carol@example.org", [ALICE[0], BOB[0], "alice+x@example.test"], raw) == [
        250,
        250,
        250,
        250,
    ]
    assert len(delivered(srv, raw, ALICE)) == 1  # alice and alice+x: one entry
    assert len(delivered(srv, raw, BOB)) == 1
    db = sqlite3.connect("file:%s?mode=ro" % (srv.data_dir / "tresor.db"), uri=True)
    (blobs,) = db.execute("SELECT count(*) FROM messages").fetchone()
    (entries,) = db.execute("SELECT count(*) FROM entries").fetchone()
    db.close()
    assert (blobs, entries) == (1, 2)


def test_submission_requires_authentication(server):
    s = smtp_submission(server, user=None)
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        s.sendmail(ALICE[0], [BOB[0]], message(sender=ALICE[0]))
    assert e.value.smtp_code == 530
    s.quit()


def test_submission_sender_must_be_the_account(make_server):
    srv = make_server()
    srv.cli("alias", "add", "sales@example.test", ALICE[0])
    s = smtp_submission(srv)
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        s.sendmail(BOB[0], [BOB[0]], message(sender=BOB[0]))
    assert e.value.smtp_code == 553
    # The account's own address, a +tag form and an alias it owns are fine.
    for sender in (ALICE[0], "alice+news@example.test", "sales@example.test"):
        raw = message(subject="as " + sender, sender=sender, to=BOB[0])
        assert s.sendmail(sender, [BOB[0]], raw) == {}
        assert delivered(srv, raw, BOB)
    s.quit()


def test_submission_from_header_must_be_the_account(server):
    s = smtp_submission(server)
    raw = message(subject="forged from", sender=BOB[0], to=BOB[0])
    with pytest.raises(smtplib.SMTPDataError) as e:
        s.sendmail(ALICE[0], [BOB[0]], raw)
    assert e.value.smtp_code == 553
    s.quit()
    assert not delivered(server, raw, BOB)


def test_submission_adds_date_and_message_id_when_missing(server):
    raw = b"From: %s\r\nTo: %s\r\nSubject: bare %s\r\n\r\nhi\r\n" % (
        ALICE[0].encode(),
        BOB[0].encode(),
        unique("s").encode(),
    )
    s = smtp_submissions(server)
    s.sendmail(ALICE[0], [BOB[0]], raw)
    s.quit()
    (got,) = [m for m in inbox_messages(server, BOB) if raw.split(b"\r\n")[2] in m]
    body = strip_trace(got)
    assert re.match(rb"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n", body), body
    assert re.search(rb"\r\nMessage-ID: <[0-9a-f]{32}@mail\.example\.test>\r\n", body), body
    assert body.endswith(raw)
    # A message that has both is left alone.
    raw2 = message(subject="complete", sender=ALICE[0], to=BOB[0])
    s = smtp_submissions(server)
    s.sendmail(ALICE[0], [BOB[0]], raw2)
    s.quit()
    assert delivered(server, raw2, BOB)


def test_remote_recipient_is_queued_with_dsn_parameters(make_server):
    srv = make_server()
    raw = message(subject="outbound", sender=ALICE[0], to="dave@remote.example")
    s = smtp_submission(srv)
    s.ehlo()
    refused = s.sendmail(
        ALICE[0],
        ["dave@remote.example", BOB[0]],
        raw,
        mail_options=["RET=HDRS", "ENVID=abc+2Bdef"],
        rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;dave@remote.example"],
    )
    assert refused == {}
    s.quit()
    assert delivered(srv, raw, BOB)
    listing = srv.cli("queue", "list").stdout
    found = re.search(r"id=(\d+) .*from=<alice@example.test>", listing)
    assert found, listing
    shown = srv.cli("queue", "show", found.group(1)).stdout
    assert "dave@remote.example" in shown
    assert "SUCCESS,FAILURE" in shown and "rfc822;dave@remote.example" in shown
    assert "HDRS" in shown and "abc+2Bdef" in shown
    # The queued copy has the Received header but no Return-Path (RFC 5321 4.4).
    assert raw.decode().replace("\r\n", "\n") in shown
    assert "Return-Path:" not in shown


def test_size_parameter_over_the_limit(make_server):
    srv = make_server(smtp={"max_message_size": "2048"})
    with RawSmtp(srv) as c:
        lines = c.expect("EHLO x", 250)
        assert "SIZE 2048" in lines
        code, lines = c.cmd("MAIL FROM:<a@example.org> SIZE=4096")
        assert code == 552 and lines[0].startswith("5.3.4")
        c.expect("MAIL FROM:<a@example.org> SIZE=100", 250)


def test_unknown_mail_parameter(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        assert c.cmd("MAIL FROM:<a@example.org> FROBNICATE=1")[0] == 555
        assert c.cmd("MAIL FROM:<a@example.org> BODY=9BIT")[0] == 555


def test_8bitmime_body_kept_as_is(server):
    raw = message(subject="8bit", body="Gr\u00fc\u00dfe aus K\u00f6ln\r\n").replace(
        b"Subject", b"Content-Type: text/plain; charset=utf-8\r\nSubject"
    )
    s = smtp_mx(server)
    s.sendmail("carol@example.org", [ALICE[0]], raw, mail_options=["BODY=8BITMIME"])
    s.quit()
    assert delivered(server, raw)


def test_smtputf8_addresses(make_server):
    srv = make_server()
    srv.cli("alias", "add", "j\u00f6rg@example.test", BOB[0])
    assert "j\u00f6rg@example.test -> bob@example.test" in srv.cli("alias", "list").stdout
    raw = message(subject="utf8 envelope")
    with RawSmtp(srv) as c:
        c.expect("EHLO x", 250)
        # Without SMTPUTF8, a non-ASCII address is refused.
        code, lines = c.cmd("MAIL FROM:<m\u00fcller@example.org>")
        assert code == 553 and lines[0].startswith("5.6.7"), lines
        c.expect("MAIL FROM:<m\u00fcller@example.org> SMTPUTF8", 250)
        # A UTF-8 recipient: an alias of bob's; another one has no account or alias.
        c.expect("RCPT TO:<j\u00f6rg@example.test>", 250)
        code, lines = c.cmd("RCPT TO:<m\u00e4x@example.test>")
        assert code == 550 and lines[0].startswith("5.1.1"), lines
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        assert c.reply()[0] == 250
    (got,) = delivered(srv, raw)
    assert b"with UTF8SMTP id" in got
    assert got.startswith("Return-Path: <m\u00fcller@example.org>".encode())
    assert delivered(srv, raw, BOB)


def test_smtputf8_remote_recipient_is_queued(make_server):
    srv = make_server()
    raw = message(subject="utf8 outbound", sender=ALICE[0], to="r\u00e9mi@remote.example")
    s = smtp_submission(srv)
    assert s.sendmail(ALICE[0], ["r\u00e9mi@remote.example"], raw, mail_options=["SMTPUTF8"]) == {}
    s.quit()
    listing = srv.cli("queue", "list").stdout
    found = re.search(r"id=(\d+) ", listing)
    assert found, listing
    assert "r\u00e9mi@remote.example" in srv.cli("queue", "show", found.group(1)).stdout


def test_bdat_chunks_and_binarymime(server):
    raw = message(subject="chunked", body="part one\r\n.\r\npart two\r\n")
    binary = message(subject="binary", body="\x00\x01 binary\r\n")
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        half = len(raw) // 2
        c.send(b"BDAT %d\r\n" % half + raw[:half])
        code, lines = c.reply()
        assert code == 250 and lines[0] == "2.0.0 %d octets received" % half
        c.send(b"BDAT %d LAST\r\n" % (len(raw) - half) + raw[half:])
        assert c.reply()[0] == 250
        # BINARYMIME: BDAT only, and NUL bytes are fine there.
        c.expect("MAIL FROM:<carol@example.org> BODY=BINARYMIME", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        assert c.cmd("DATA")[0] == 503
        c.send(b"BDAT %d LAST\r\n" % len(binary) + binary)
        assert c.reply()[0] == 250
    assert delivered(server, raw)
    assert delivered(server, binary)


def test_bdat_without_transaction_still_reads_the_chunk(server):
    with RawSmtp(server) as c:
        c.expect("EHLO x", 250)
        # RFC 3030 2: the chunk is read even when refused; "NOOP" inside it is not a command.
        c.send(b"BDAT 6 LAST\r\nNOOP\r\n")
        code, _ = c.reply()
        assert code == 503
        assert c.cmd("NOOP")[0] == 250


def test_bdat_over_the_size_limit(make_server):
    srv = make_server(smtp={"max_message_size": "1024"})
    with RawSmtp(srv) as c:
        c.expect("EHLO x", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.send(b"BDAT 2000 LAST\r\n" + b"x" * 2000)
        code, lines = c.reply()
        assert code == 552 and lines[0].startswith("5.3.4")
        assert c.cmd("NOOP")[0] == 250
    assert inbox_messages(srv) == []


def test_delivered_message_reaches_an_idle_session(make_server):
    srv = make_server()
    with RawImap(srv) as watcher:
        watcher.login(ALICE)
        select = watcher.ok("SELECT INBOX")
        assert "* 0 EXISTS" in select
        watcher.send("idle IDLE\r\n")
        assert watcher.readline() == "+ idling"
        s = smtp_mx(srv)
        s.sendmail("carol@example.org", [ALICE[0]], message(subject="pushed"))
        s.quit()
        # RFC 2177: the new message is announced without the client asking.
        watcher.sock.settimeout(3.0)
        assert watcher.readline() == "* 1 EXISTS"
        watcher.sock.settimeout(10)
        watcher.send("DONE\r\n")
        assert watcher.read_response("idle")[1] == "idle OK IDLE terminated"
