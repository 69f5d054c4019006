"""The tresor command line: help, version, domain/user/mailbox administration,
argument and configuration errors, and admin commands while the server runs."""

import imaplib
import re
import subprocess

import pytest

from conftest import (
    ALICE,
    DEFAULT_MAILBOXES,
    TRESOR_BIN,
    RawImap,
    TresorServer,
    append,
    imap_plain,
    login,
    sanitizer_env,
    unique,
)

VERSION = "0.1.0"


def run(*args, input=None, cwd=None):
    p = subprocess.run(
        [TRESOR_BIN] + list(args),
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        env=sanitizer_env(),
        cwd=cwd,
    )
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


def imap_login_ok(srv, address, password):
    m = imap_plain(srv)
    try:
        m.login(address, password)
        return True
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e)
        return False
    finally:
        m.shutdown()


@pytest.fixture
def offline(tmp_path):
    """A configuration and data directory with no server running."""
    srv = TresorServer(tmp_path)
    srv.add_domain()
    return srv


def test_help():
    p = run("--help")
    assert p.returncode == 0
    assert p.stdout.startswith("Tresor %s - mail server\n\nusage:\n" % VERSION)
    for line in (
        "  tresor [-c FILE] serve\n",
        "  tresor [-c FILE] domain add|del DOMAIN | domain list\n",
        "  tresor [-c FILE] mailbox list ADDRESS\n",
        "  tresor help COMMAND\n",
        "  tresor version\n",
    ):
        assert line in p.stdout
    assert run("-h").stdout == p.stdout


def test_no_arguments_is_a_usage_error():
    p = run()
    assert p.returncode == 2
    assert p.stdout == ""
    assert "usage:\n  tresor [-c FILE] serve\n" in p.stderr


def test_help_user():
    p = run("help", "user")
    assert p.returncode == 0
    assert p.stdout.startswith(
        "usage: tresor [-c FILE] user add|passwd ADDRESS [--password-stdin] | "
        "user del|show ADDRESS | user set ADDRESS protect_subject on|off | user list"
        "\n\nManages accounts."
    )
    assert "Junk and Archive" in p.stdout


def test_help_unknown_command():
    p = run("help", "frobnicate")
    assert p.returncode == 2
    assert p.stderr == "tresor: no command 'frobnicate'\n"


def test_version():
    for arg in ("version", "--version"):
        p = run(arg)
        assert (p.returncode, p.stdout) == (0, "tresor %s\n" % VERSION)


def test_unknown_command():
    p = run("frobnicate")
    assert p.returncode == 2
    assert p.stderr == "tresor: unknown command 'frobnicate' (try tresor --help)\n"


@pytest.mark.parametrize(
    "args",
    [
        ["domain"],
        ["domain", "add"],
        ["domain", "list", "extra"],
        ["domain", "frob", "x.test"],
        ["user"],
        ["user", "add"],
        ["user", "add", "a@example.test", "--password"],
        ["user", "del", "a@example.test", "--password-stdin"],
        ["user", "frob", "a@example.test"],
        ["user", "list", "extra"],
        ["mailbox"],
        ["mailbox", "list"],
        ["mailbox", "frob", "a@example.test"],
        ["serve", "extra"],
    ],
)
def test_bad_arguments_exit_2_with_usage(offline, args):
    p = offline.cli(*args, expect=2)
    assert re.match(r"usage: tresor ", p.stderr), p.stderr
    assert p.stdout == ""


def test_not_an_address(offline):
    p = offline.cli("user", "add", "no-at-sign", "--password-stdin", input="pw\n", expect=2)
    assert p.stderr == "tresor: 'no-at-sign' is not an address (local@domain)\n"


def test_unknown_config_key_names_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\n[server]\ndata_dir = %s\n\n[imap]\nbogus = 1\n" % tmp_path)
    p = run("-c", str(conf), "domain", "list")
    assert p.returncode == 1
    assert p.stderr == "tresor: %s:6: unknown key bogus in [imap]\n" % conf


def test_bad_config_value_and_section(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[imap]\nidle_timeout = 1\n")
    p = run("-c", str(conf), "domain", "list")
    assert p.returncode == 1
    assert p.stderr == (
        "tresor: %s:2: [imap] idle_timeout must be a number from 2 to 86400\n" % conf
    )
    conf.write_text("[server]\n[nosuch]\n")
    p = run("-c", str(conf), "serve")
    assert p.returncode == 1
    assert p.stderr == "tresor: %s:2: unknown section [nosuch]\n" % conf
    p = run("-c", str(tmp_path / "missing.conf"), "domain", "list")
    assert p.returncode == 1
    assert p.stderr == "tresor: %s: No such file or directory\n" % (tmp_path / "missing.conf")


def test_domain_add_list_del(offline):
    offline.cli("domain", "add", "Other.TEST")
    assert offline.cli("domain", "list").stdout == "example.test\nother.test\n"
    p = offline.cli("domain", "add", "other.test", expect=1)
    assert p.stderr == "tresor: domain other.test already exists\n"
    offline.add_user("someone@other.test", "pw-someone")
    p = offline.cli("domain", "del", "other.test", expect=1)
    assert p.stderr == "tresor: domain other.test: not allowed (domain has accounts)\n"
    assert "other.test" in offline.cli("domain", "list").stdout
    offline.cli("user", "del", "someone@other.test")
    offline.cli("domain", "del", "other.test")
    assert offline.cli("domain", "list").stdout == "example.test\n"
    p = offline.cli("domain", "del", "other.test", expect=1)
    assert p.stderr == "tresor: domain other.test does not exist\n"


def test_user_add_needs_its_domain(offline):
    p = offline.cli("user", "add", "x@nowhere.test", "--password-stdin", input="pw\n", expect=1)
    assert p.stderr == "tresor: domain nowhere.test does not exist\n"
    assert offline.cli("user", "list").stdout == ""


def test_user_add_twice_and_list(offline):
    offline.add_user("u1@example.test", "pw1")
    p = offline.cli(
        "user", "add", "U1@Example.test", "--password-stdin", input="pw2\n", expect=1
    )
    assert p.stderr == "tresor: account u1@example.test already exists\n"
    offline.add_user("u2@example.test", "pw2")
    assert offline.cli("user", "list").stdout == "u1@example.test\nu2@example.test\n"


def test_password_stdin_must_not_be_empty(offline):
    p = offline.cli("user", "add", "e@example.test", "--password-stdin", input="", expect=1)
    assert p.stderr == "tresor: no password on stdin (one line, 1 to 1024 bytes)\n"
    p = offline.cli("user", "add", "e@example.test", "--password-stdin", input="\n", expect=1)
    assert "no password on stdin" in p.stderr
    assert offline.cli("user", "list").stdout == ""


def test_mailbox_list_shows_the_default_mailboxes(offline):
    offline.add_user("m@example.test", "pw")
    p = offline.cli("mailbox", "list", "m@example.test")
    lines = p.stdout.splitlines()
    assert sorted(lines) == sorted(
        "%s\tmessages=0 unseen=0 size=0" % name for name in DEFAULT_MAILBOXES
    )
    p = offline.cli("mailbox", "list", "nobody@example.test", expect=1)
    assert p.stderr == "tresor: account nobody@example.test does not exist\n"


def test_generated_password_is_printed_once_and_logs_in(server):
    address = unique("gen") + "@example.test"
    p = server.cli("user", "add", address)
    found = re.fullmatch(r"password: (\S+)\n", p.stdout)
    assert found, p.stdout
    password = found.group(1)
    assert len(password) >= 16
    assert imap_login_ok(server, address, password)
    assert not imap_login_ok(server, address, password + "x")
    assert imap_login_ok(server, address, password)  # resets the failure throttle


def test_password_stdin_logs_in(server):
    address = unique("stdin") + "@example.test"
    p = server.cli("user", "add", address, "--password-stdin", input="correct horse\n")
    assert p.stdout == ""
    assert imap_login_ok(server, address, "correct horse")


def test_passwd_while_the_server_runs(server):
    address = unique("pw") + "@example.test"
    server.add_user(address, "old-password")
    # Logged in once: the verification cache now knows the old password.
    assert imap_login_ok(server, address, "old-password")
    server.cli("user", "passwd", address, "--password-stdin", input="new-password\n")
    assert imap_login_ok(server, address, "new-password")
    assert not imap_login_ok(server, address, "old-password")
    assert imap_login_ok(server, address, "new-password")
    # A generated one replaces it too.
    p = server.cli("user", "passwd", address)
    generated = re.fullmatch(r"password: (\S+)\n", p.stdout).group(1)
    assert not imap_login_ok(server, address, "new-password")
    assert imap_login_ok(server, address, generated)
    p = server.cli(
        "user", "passwd", "ghost@example.test", "--password-stdin", input="x\n", expect=1
    )
    assert p.stderr == "tresor: account ghost@example.test does not exist\n"


def test_user_del_while_the_server_runs(server):
    address = unique("del") + "@example.test"
    server.add_user(address, "doomed")
    assert imap_login_ok(server, address, "doomed")
    server.cli("user", "del", address)
    assert address not in server.cli("user", "list").stdout.split()
    assert not imap_login_ok(server, address, "doomed")
    imap_login_ok(server, *ALICE)
    p = server.cli("user", "del", address, expect=1)
    assert p.stderr == "tresor: account %s does not exist\n" % address


def test_admin_commands_while_a_session_is_open(server):
    address = unique("live") + "@example.test"
    server.add_user(address, "live-pw")
    m = login(server, (address, "live-pw"))
    assert m.select("INBOX")[0] == "OK"
    append(m, "INBOX", b"Subject: hi\r\n\r\nbody\r\n")
    lines = server.cli("mailbox", "list", address).stdout.splitlines()
    assert "INBOX\tmessages=1 unseen=1 size=21" in lines
    assert "example.test" in server.cli("domain", "list").stdout.split()
    assert m.noop()[0] == "OK"
    m.logout()


def test_admin_in_default_config_directory(tmp_path):
    """Without -c, ./tresor.conf is read."""
    srv = TresorServer(tmp_path)
    p = run("domain", "add", "cwd.test", cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert run("domain", "list", cwd=str(tmp_path)).stdout == "cwd.test\n"
    assert srv.cli("domain", "list").stdout == "cwd.test\n"


def test_user_del_with_a_live_session(server):
    address = unique("gone") + "@example.test"
    server.add_user(address, "gone-pw")
    with RawImap(server) as c:
        c.login((address, "gone-pw"))
        c.ok("SELECT INBOX")
        server.cli("user", "del", address)
        # The session must survive in some defined way: an answer, not a crash.
        untagged, tagged = c.cmd("NOOP")
        assert tagged.split()[1] in ("OK", "NO", "BAD"), tagged
