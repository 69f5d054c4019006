"""
Acknowledged mail survives SIGKILL: several clients send messages on the MX
listener while the server is killed with SIGKILL at random moments and
restarted. RFC 5321 4.1.1.4 and 6.1: a 250 after the message text means the
server has taken responsibility for it, so afterwards

  - every message that got its 250 is in alice's INBOX (and in bob's when it
    was sent to both in one transaction), byte for byte after the trace lines;
  - every stored message equals, whole, one that was sent (a message whose
    250 never came may or may not be there, but never truncated), and none is
    there twice;
  - a message for alice and bob is in both INBOXes or in neither (deliver.c:
    one durable transaction covers every recipient);
  - the store opens cleanly after each kill: the server starts, serves IMAP
    and SMTP, `tresor mailbox list` works, and it stops cleanly on SIGTERM.

The same again with bob sealed (zero-access sealing): his copy is the sealed
form, written in the same transaction as alice's plain one.

Messages vary in size, some over 64 KiB, and have lines starting with "."
so that a kill can land in the middle of a long DATA.
"""

import random
import re
import signal
import socket
import threading
import time
from collections import Counter

from conftest import ALICE, BOB, RawSmtp, inbox_messages, strip_trace

ROUNDS = 5
SENDERS = 4
LINE = 76
SENDER = "carol@example.org"
ID_RE = re.compile(rb"^Message-ID: <(durable-[0-9]+-[0-9]+)@example\.org>\r$", re.M)


def wait_listening(port, limit=30.0):
    deadline = time.monotonic() + limit
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "port %d does not listen" % port
            time.sleep(0.05)


def body_size(rng):
    """Mostly small messages, one in five over 64 KiB (up to ~300 KiB)."""
    if rng.random() < 0.2:
        return rng.randint(65 * 1024, 300 * 1024)
    return rng.randint(0, 8 * 1024)


def make_message(rng, msg_id, to_bob):
    to = ALICE[0] + (", " + BOB[0] if to_bob else "")
    head = (
        "From: %s\r\nTo: %s\r\nSubject: durable %s\r\n"
        "Date: Mon, 7 Feb 2022 21:52:25 +0000\r\nMessage-ID: <%s@example.org>\r\n\r\n"
        % (SENDER, to, msg_id, msg_id)
    ).encode()
    lines, size = [], body_size(rng)
    while size > 0:
        # Some lines start with "." to be dot-stuffed on the wire.
        lead = "." if rng.random() < 0.05 else ""
        lines.append(lead + "%s %d " % (msg_id, len(lines)) + "x" * rng.randint(0, LINE))
        size -= len(lines[-1]) + 2
    return head + "".join(line + "\r\n" for line in lines).encode()


def dot_stuff(raw):
    """RFC 5321 4.5.2: the message on the wire, with its terminating line."""
    return re.sub(rb"(?m)^\.", b"..", raw) + b".\r\n"


def sender(srv, worker, rng, log, stop):
    """Sends messages on one connection until it dies. log.sent gets each
    message sent ({id: (bytes, to_bob)}), log.acked each id answered 250 and
    log.errors any reply other than the expected one."""
    n = 0
    try:
        with RawSmtp(srv) as c:
            c.expect("EHLO client%d.example.org" % worker, 250)
            while not stop.is_set():
                n += 1
                msg_id = "durable-%d-%d" % (worker, n)
                to_bob = rng.random() < 0.4
                raw = make_message(rng, msg_id, to_bob)
                log.sent[msg_id] = (raw, to_bob)
                if not send_one(c, msg_id, raw, to_bob, log):
                    return
    except (OSError, EOFError):
        pass


def send_one(c, msg_id, raw, to_bob, log):
    """One transaction; False (and log.errors) on an unexpected reply."""
    steps = [("MAIL FROM:<%s>" % SENDER, 250), ("RCPT TO:<%s>" % ALICE[0], 250)]
    if to_bob:
        steps.append(("RCPT TO:<%s>" % BOB[0], 250))
    steps.append(("DATA", 354))
    for command, expected in steps:
        code, lines = c.cmd(command)
        if code != expected:
            log.errors.append((msg_id, command, code, lines))
            return False
    c.send(dot_stuff(raw))
    code, lines = c.reply()
    if code != 250:
        log.errors.append((msg_id, "end of data", code, lines))
        return False
    log.acked.append(msg_id)
    return True


class Log:
    def __init__(self):
        self.sent, self.acked, self.errors = {}, [], []


def kill_and_restart(srv, stop):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    stop.set()
    srv._stderr.close()
    srv.proc = None
    srv.start()
    wait_listening(srv.mx_port)


def run_rounds(srv, rng, log):
    for r in range(ROUNDS):
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=sender,
                args=(srv, r * SENDERS + i, random.Random(rng.random()), log, stop),
                daemon=True,
            )
            for i in range(SENDERS)
        ]
        for t in threads:
            t.start()
        # Let the senders get going, then kill at a random moment.
        start, deadline = len(log.acked), time.monotonic() + 20
        while len(log.acked) < start + 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6))
        kill_and_restart(srv, stop)
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive(), "a sender hung after the kill"


def stored_by_id(srv, user, sent):
    """{id: count} of user's INBOX; asserts each message equals one that was sent."""
    counts = Counter()
    for data in inbox_messages(srv, user):
        assert data.startswith(b"Return-Path: <%s>\r\n" % SENDER.encode()), data[:200]
        body = strip_trace(data)
        found = ID_RE.search(body)
        assert found, "a stored message without a known Message-ID: %r" % body[:300]
        msg_id = found.group(1).decode()
        assert msg_id in sent, "%s was never sent" % msg_id
        raw = sent[msg_id][0]
        assert body == raw, "%s stored as %d bytes, sent as %d (truncated or changed)" % (
            msg_id,
            len(body),
            len(raw),
        )
        counts[msg_id] += 1
    return counts


def sealed_by_id(srv, user, sent):
    """{id: count} of a sealed user's INBOX: each message is the PGP/MIME form of one
    that was sent (found by its outer Message-ID), nothing of its body outside."""
    counts = Counter()
    for data in inbox_messages(srv, user):
        assert b"Content-Type: multipart/encrypted;" in data, data[:300]
        assert b"-----END PGP MESSAGE-----" in data, "a sealed message cut short"
        assert b"Return-Path:" not in data and b"Received:" not in data, data[:300]
        found = ID_RE.search(data)
        assert found, "a sealed message without a known Message-ID: %r" % data[:300]
        msg_id = found.group(1).decode()
        assert msg_id in sent, "%s was never sent" % msg_id
        counts[msg_id] += 1
    return counts


def check_after_kills(srv, rng, log, bob_sealed):
    sent, acked = log.sent, log.acked
    assert not log.errors, "unexpected replies: %s" % log.errors[:5]
    assert len(acked) > 20, "too few messages were acknowledged to prove anything"
    assert any(len(sent[i][0]) > 64 * 1024 for i in acked), "no large message was acknowledged"

    # After the last restart: the store opens, the CLI and IMAP read it, SMTP accepts.
    listing = srv.cli("mailbox", "list", ALICE[0]).stdout
    assert re.search(r"^INBOX\tmessages=\d+ ", listing, re.M), listing
    with RawSmtp(srv) as c:
        c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<%s>" % SENDER, 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("DATA", 354)
        raw = make_message(rng, "durable-0-0", False)
        sent["durable-0-0"] = (raw, False)
        c.send(dot_stuff(raw))
        assert c.reply()[0] == 250
        acked.append("durable-0-0")

    alice = stored_by_id(srv, ALICE, sent)
    bob = (sealed_by_id if bob_sealed else stored_by_id)(srv, BOB, sent)
    twice = [i for i, n in list(alice.items()) + list(bob.items()) if n > 1]
    assert not twice, "stored more than once: %s" % twice
    lost = [i for i in acked if i not in alice or (sent[i][1] and i not in bob)]
    assert not lost, "acknowledged but lost: %s" % lost
    assert all(sent[i][1] for i in bob), "bob got a message sent to alice only"
    half = [i for i in sent if sent[i][1] and (i in alice) != (i in bob)]
    assert not half, "delivered to only one of alice and bob: %s" % half


def test_acknowledged_messages_survive_sigkill(make_server):
    srv = make_server()
    wait_listening(srv.mx_port)
    rng = random.Random(11)
    log = Log()
    run_rounds(srv, rng, log)
    check_after_kills(srv, rng, log, bob_sealed=False)


def test_acknowledged_messages_survive_sigkill_with_a_sealed_recipient(make_server):
    """The same with bob sealed: a message for both is a plain copy for alice and a
    sealed one for bob in one transaction, so both are there or neither is."""
    srv = make_server()
    srv.cli("key", "generate", BOB[0], input="durable passphrase\n")
    wait_listening(srv.mx_port)
    rng = random.Random(12)
    log = Log()
    run_rounds(srv, rng, log)
    check_after_kills(srv, rng, log, bob_sealed=True)
