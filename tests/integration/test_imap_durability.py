"""
Acknowledged mail survives SIGKILL: APPEND in a loop while the server is
killed with SIGKILL at random moments and restarted. Every message whose
APPEND got its tagged OK must be in the mailbox afterwards, byte for byte,
and the store must open cleanly each time.
"""

import random
import re
import signal
import threading
import time

from conftest import ALICE, RawImap, login, message

ROUNDS = 5


def appender(srv, acked, stop):
    """APPENDs until the connection dies; records (uid, bytes) of every OK."""
    try:
        with RawImap(srv) as c:
            c.login(ALICE)
            n = 0
            while not stop.is_set():
                raw = message(subject="durable %d" % n, body=("x" * (n % 7000)) + "\r\n")
                n += 1
                c.send("a%d APPEND INBOX {%d+}\r\n" % (n, len(raw)))
                c.send(raw + b"\r\n")
                _, tagged = c.read_response("a%d" % n)
                found = re.search(r"\[APPENDUID \d+ (\d+)\]", tagged)
                if tagged.split(" ")[1] == "OK" and found:
                    acked.append((int(found.group(1)), raw))
    except (OSError, EOFError):
        pass


def test_acknowledged_appends_survive_sigkill(make_server):
    srv = make_server()
    acked = []
    rng = random.Random(7)
    for _ in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=appender, args=(srv, acked, stop)) for _ in range(3)]
        for t in threads:
            t.start()
        # Let the appenders log in (Argon2id) and get going, then kill at a random moment.
        start, deadline = len(acked), time.monotonic() + 30
        while len(acked) < start + 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        srv._stderr.close()
        srv.proc = None
        srv.start()
    assert len(acked) > 20, "too few appends were acknowledged to prove anything"
    m = login(srv)
    typ, data = m.select("INBOX")
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    assert typ == "OK"
    stored = {}
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            stored[uid] = item[1]
    for uid, raw in acked:
        assert stored.get(uid) == raw, "acknowledged UID %d lost or changed" % uid
    m.logout()
