"""
Started as root, the server binds its ports and then runs as [server] user,
which owns the data directory; admin commands run as root become that user
too, so the store's files keep one owner.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ALICE, TresorServer, login

SERVICE_USER = "tresor"


@pytest.fixture
def service_user():
    assert os.geteuid() == 0, "this test needs root, as CI and `make run` have"
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
        )
    return pwd.getpwnam(SERVICE_USER)


@pytest.fixture
def open_dir():
    """A directory the service user can traverse (pytest's own tmp is root-only)."""
    d = tempfile.mkdtemp(prefix="tresor-privs-", dir="/tmp")
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def status_ids(pid):
    ids = {}
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid"):
            ids[key] = [int(x) for x in value.split()]
    return ids


def owners(path):
    return {(p.stat().st_uid, p.stat().st_gid) for p in [path] + list(path.rglob("*"))}


def test_server_drops_root_and_owns_its_data(service_user, open_dir):
    srv = TresorServer(open_dir / "srv", server={"user": SERVICE_USER})
    srv.add_domain()
    srv.add_user(*ALICE)
    srv.start()
    try:
        ids = status_ids(srv.proc.pid)
        assert ids["Uid"] == [service_user.pw_uid] * 4
        assert ids["Gid"] == [service_user.pw_gid] * 4
        m = login(srv)
        assert m.select("INBOX")[0] == "OK"
        m.logout()
        # An admin command as root while the server runs: still one owner.
        srv.cli("user", "add", "carol@example.test", "--password-stdin", input="pw-carol\n")
        assert owners(srv.data_dir) == {(service_user.pw_uid, service_user.pw_gid)}
        m = login(srv, ("carol@example.test", "pw-carol"))
        m.logout()
    finally:
        srv.stop_or_fail()


def test_missing_service_user_is_a_clear_error(open_dir):
    srv = TresorServer(open_dir / "srv", server={"user": "no-such-user-tresor"})
    p = srv.cli("domain", "add", "example.test", expect=1)
    assert "user 'no-such-user-tresor' does not exist" in p.stderr
