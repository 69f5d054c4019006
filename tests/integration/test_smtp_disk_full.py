"""
A full disk: a message that cannot be stored gets 451 4.3.0, nothing of it is
kept, the session goes on, and the client's retry succeeds once there is room.
The data directory lives on a small tmpfs filled up by the test (root only,
as CI and `make run` run).
"""

import os
import subprocess

import pytest

from conftest import ALICE, RawSmtp, inbox_messages, message, strip_trace

TMPFS_SIZE = "16m"


@pytest.fixture
def small_disk(tmp_path):
    assert os.geteuid() == 0, "this test needs root to mount a tmpfs, as CI has"
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE, "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(path):
    """Writes a file until the file system is full."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def send(srv, raw):
    with RawSmtp(srv) as c:
        c.expect("EHLO client.example.org", 250)
        c.expect("MAIL FROM:<carol@example.org>", 250)
        c.expect("RCPT TO:<%s>" % ALICE[0], 250)
        c.expect("DATA", 354)
        c.send(raw + b".\r\n")
        code, lines = c.reply()
        # The session goes on either way.
        assert c.cmd("NOOP")[0] == 250
        return code, lines


def test_full_disk_answers_451_and_keeps_nothing(small_disk, make_server):
    srv = make_server(server={"data_dir": str(small_disk / "var")})
    before = message(subject="before", body="a" * 900 + "\r\n")
    assert send(srv, before)[0] == 250
    filler = small_disk / "filler"
    fill(filler)
    raw = message(subject="no room", body=("b" * 998 + "\r\n") * 400)
    code, lines = send(srv, raw)
    assert code == 451 and lines[0].startswith("4.3.0"), lines
    os.unlink(filler)
    # The client retries later, as a 4xx tells it to: now it is stored, once and whole.
    assert send(srv, raw)[0] == 250
    stored = [strip_trace(m) for m in inbox_messages(srv)]
    assert stored == [before, raw]
