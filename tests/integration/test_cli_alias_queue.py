"""The alias and queue admin commands of the real tresor binary: add, del and
list of aliases with one error message per refusal, and queue list, show
and delete. No SMTP is involved: queued messages are written straight into
the database file with the schema of src/store/sqlite.c (version 2), so that
list and show print real items."""

import re
import sqlite3
import time

import pytest

from conftest import TresorServer


@pytest.fixture
def offline(tmp_path):
    """A configuration with the domain example.test and accounts a@ and b@, no server."""
    srv = TresorServer(tmp_path)
    srv.add_domain()
    srv.add_user("a@example.test", "pw-a")
    srv.add_user("b@example.test", "pw-b")
    return srv


def aliases(srv):
    return srv.cli("alias", "list").stdout.splitlines()


# --- aliases ---


def test_alias_add_list_del(offline):
    offline.cli("alias", "add", "Info@Example.TEST", "a@example.test")
    offline.cli("alias", "add", "info@example.test", "B@example.test")
    offline.cli("alias", "add", "@example.test", "a@example.test")
    assert aliases(offline) == [
        "@example.test -> a@example.test",
        "info@example.test -> a@example.test",
        "info@example.test -> b@example.test",
    ]
    offline.cli("alias", "del", "info@example.test", "a@example.test")
    assert aliases(offline) == [
        "@example.test -> a@example.test",
        "info@example.test -> b@example.test",
    ]
    offline.cli("alias", "add", "info@example.test", "a@example.test")
    offline.cli("alias", "del", "INFO@example.test")
    assert aliases(offline) == ["@example.test -> a@example.test"]
    offline.cli("alias", "del", "@example.test")
    assert offline.cli("alias", "list").stdout == ""


def test_alias_add_refusals(offline):
    offline.add_domain("other.test")
    offline.cli("alias", "add", "info@example.test", "a@example.test")
    cases = [
        (["info@example.test", "a@example.test"],
         "tresor: alias info@example.test -> a@example.test already exists\n"),
        (["x@nowhere.test", "a@example.test"], "tresor: domain nowhere.test does not exist\n"),
        (["@nowhere.test", "a@example.test"], "tresor: domain nowhere.test does not exist\n"),
        (["x@example.test", "nobody@example.test"],
         "tresor: account nobody@example.test does not exist\n"),
        (["A@example.test", "b@example.test"],
         "tresor: a@example.test is an account, it cannot be an alias\n"),
    ]
    for args, err in cases:
        p = offline.cli("alias", "add", *args, expect=1)
        assert p.stderr == err
        assert p.stdout == ""
    # An alias of one hosted domain may deliver to an account of another.
    offline.cli("alias", "add", "x@other.test", "a@example.test")
    assert aliases(offline) == [
        "info@example.test -> a@example.test",
        "x@other.test -> a@example.test",
    ]


def test_account_cannot_take_an_alias_address(offline):
    offline.cli("alias", "add", "info@example.test", "a@example.test")
    p = offline.cli(
        "user", "add", "info@example.test", "--password-stdin", input="pw\n", expect=1
    )
    assert p.stderr == "tresor: info@example.test is an alias, it cannot be an account\n"
    assert offline.cli("user", "list").stdout == "a@example.test\nb@example.test\n"


def test_alias_del_refusals(offline):
    offline.cli("alias", "add", "info@example.test", "a@example.test")
    p = offline.cli("alias", "del", "nope@example.test", expect=1)
    assert p.stderr == "tresor: alias nope@example.test does not exist\n"
    p = offline.cli("alias", "del", "info@example.test", "b@example.test", expect=1)
    assert p.stderr == "tresor: alias info@example.test -> b@example.test does not exist\n"
    assert aliases(offline) == ["info@example.test -> a@example.test"]


def test_deleting_an_account_or_domain_removes_its_aliases(offline):
    offline.add_domain("lists.test")
    offline.cli("alias", "add", "team@example.test", "a@example.test")
    offline.cli("alias", "add", "team@example.test", "b@example.test")
    offline.cli("alias", "add", "all@lists.test", "b@example.test")
    offline.cli("user", "del", "a@example.test")
    assert aliases(offline) == [
        "all@lists.test -> b@example.test",
        "team@example.test -> b@example.test",
    ]
    offline.cli("domain", "del", "lists.test")
    assert aliases(offline) == ["team@example.test -> b@example.test"]


@pytest.mark.parametrize(
    "args, err",
    [
        (["add", "no-at-sign", "a@example.test"],
         "tresor: 'no-at-sign' is not an alias (local@domain or @domain)\n"),
        (["add", "@", "a@example.test"],
         "tresor: '@' is not an alias (local@domain or @domain)\n"),
        (["add", "x@example.test", "@example.test"],
         "tresor: '@example.test' is not an address (local@domain)\n"),
        (["del", "a b@example.test"],
         "tresor: 'a b@example.test' is not an alias (local@domain or @domain)\n"),
    ],
)
def test_alias_malformed_addresses_exit_2(offline, args, err):
    p = offline.cli("alias", *args, expect=2)
    assert p.stderr == err


@pytest.mark.parametrize(
    "args",
    [
        ["alias"],
        ["alias", "add", "x@example.test"],
        ["alias", "add", "x@example.test", "a@example.test", "extra"],
        ["alias", "del"],
        ["alias", "list", "extra"],
        ["alias", "frob", "x@example.test"],
        ["queue"],
        ["queue", "list", "extra"],
        ["queue", "show"],
        ["queue", "delete", "1", "2"],
        ["queue", "frob", "1"],
    ],
)
def test_bad_arguments_exit_2_with_usage(offline, args):
    p = offline.cli(*args, expect=2)
    assert re.match(r"usage: tresor %s " % args[0], p.stderr), p.stderr
    assert p.stdout == ""


def test_help_names_the_commands(offline):
    usage = offline.cli("--help").stdout
    alias = "  tresor [-c FILE] alias add ALIAS TARGET | alias del ALIAS [TARGET] | alias list\n"
    assert alias in usage
    assert "  tresor [-c FILE] queue list | queue show|delete ID\n" in usage
    for cmd in ("alias", "queue"):
        assert offline.cli("help", cmd).stdout.startswith("usage: tresor [-c FILE] %s " % cmd)


# --- queue ---

MESSAGE = b"From: a@example.test\r\nTo: carol@remote.test\r\nSubject: out\r\n\r\nbody\r\n"


def enqueue(srv, sender, rcpts, created, ret=None, envid=None, data=MESSAGE):
    """Writes a queued message as store_deliver_queue would; returns its id."""
    db = sqlite3.connect(str(srv.data_dir / "tresor.db"), timeout=10)
    try:
        with db:
            cur = db.execute(
                "INSERT INTO queue (created, sender, user, ret, envid, size, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (created, sender, "a@example.test", ret, envid, len(data), data),
            )
            qid = cur.lastrowid
            for i, (address, notify, orcpt) in enumerate(rcpts):
                db.execute(
                    "INSERT INTO queue_rcpts (queue_id, idx, address, notify, orcpt)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (qid, i, address, notify, orcpt),
                )
        return qid
    finally:
        db.close()


def test_queue_list_empty(offline):
    p = offline.cli("queue", "list")
    assert (p.stdout, p.stderr) == ("", "")


def test_queue_unknown_ids(offline):
    for verb in ("show", "delete"):
        p = offline.cli("queue", verb, "42", expect=1)
        assert p.stderr == "tresor: queued message 42 does not exist\n"
        assert p.stdout == ""
        for bad in ("x", "-1", "", "1.5", "99999999999999999999"):
            p = offline.cli("queue", verb, bad, expect=2)
            assert p.stderr == "tresor: '%s' is not a queue id (a number from queue list)\n" % bad


def test_queue_list_show_delete(offline):
    offline.cli("domain", "list")  # creates the database with the current schema
    now = int(time.time())
    first = enqueue(
        offline,
        "a@example.test",
        [("Carol@remote.test", "SUCCESS,FAILURE", "rfc822;Carol@remote.test"),
         ("dave@remote.test", None, None)],
        now - 2 * 3600 - 5,
        ret="HDRS",
        envid="ENV+2B1",
    )
    second = enqueue(offline, "", [("erin@remote.test", "NEVER", None)], now)

    lines = offline.cli("queue", "list").stdout.splitlines()
    assert len(lines) == 2
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 2 * 3600 - 5))
    assert lines[0] == (
        "id=%d created=%s age=2h size=%d rcpts=2 attempts=0 from=<a@example.test>"
        % (first, created, len(MESSAGE))
    )
    assert re.fullmatch(
        r"id=%d created=\S+Z age=\d+s size=%d rcpts=1 attempts=0 from=<>"
        % (second, len(MESSAGE)),
        lines[1],
    ), lines[1]

    p = offline.cli("queue", "show", str(first))
    head, sep, body = p.stdout.partition("\n\n")
    assert sep
    assert head.splitlines() == [
        "id: %d" % first,
        "created: %s (age 2h)" % created,
        "user: a@example.test",
        "from: <a@example.test>",
        "ret: HDRS",
        "envid: ENV+2B1",
        "size: %d" % len(MESSAGE),
        "attempts: 0",
        "rcpt: <Carol@remote.test> notify=SUCCESS,FAILURE orcpt=rfc822;Carol@remote.test",
        "rcpt: <dave@remote.test>",
    ]
    # The message bytes as stored (text mode turned CRLF into LF).
    assert body == MESSAGE.decode().replace("\r\n", "\n")

    offline.cli("queue", "delete", str(first))
    p = offline.cli("queue", "show", str(first), expect=1)
    assert p.stderr == "tresor: queued message %d does not exist\n" % first
    lines = offline.cli("queue", "list").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["id=%d" % second]
    offline.cli("queue", "delete", str(second))
    assert offline.cli("queue", "list").stdout == ""
