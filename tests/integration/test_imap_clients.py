"""
Real IMAP clients against the real server: curl (list, fetch, search, append)
and mbsync (isync) syncing a mailbox to a local Maildir and back, each over
STARTTLS and over implicit TLS. The bytes that come back must equal the bytes
put in.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ALICE, BOB, append, login, message

TRANSPORTS = ["starttls", "imaps"]


def curl_url(srv, transport, path=""):
    if transport == "imaps":
        return "imaps://127.0.0.1:%d/%s" % (srv.tls_port, path)
    return "imap://127.0.0.1:%d/%s" % (srv.port, path)


def curl(srv, transport, path="", *extra, user=ALICE, input=None):
    args = ["curl", "--silent", "--show-error", "--insecure", "--max-time", "30"]
    if transport == "starttls":
        args.append("--ssl-reqd")
    args += ["--user", "%s:%s" % user, curl_url(srv, transport, path)] + list(extra)
    p = subprocess.run(args, input=input, capture_output=True, timeout=60)
    assert p.returncode == 0, (args, p.returncode, p.stderr)
    return p.stdout


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_curl_list_fetch_search_append(make_server, tmp_path, transport):
    srv = make_server()
    original = message(subject="curl check %s" % transport, body="line one\r\nline two\r\n")
    m = login(srv)
    uid = append(m, "INBOX", original)
    m.logout()

    listing = curl(srv, transport, "").decode()
    for name in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert re.search(r'^\* LIST \([^)]*\) "/" "?%s"?\r?$' % name, listing, re.M), listing

    fetched = curl(srv, transport, "INBOX;UID=%d" % uid)
    assert fetched == original

    found = curl(srv, transport, "INBOX?SUBJECT%%20%%22curl%%20check%%20%s%%22" % transport)
    assert found.decode().strip() == "* SEARCH %d" % uid

    upload = tmp_path / "upload.eml"
    sent = message(subject="uploaded by curl", body="uploaded\r\n")
    upload.write_bytes(sent)
    curl(srv, transport, "Drafts", "--upload-file", str(upload))
    m = login(srv)
    typ, data = m.select("Drafts")
    assert typ == "OK" and data == [b"1"]
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and data[0][1] == sent
    m.logout()


def mbsync_config(srv, tmp_path, transport, user):
    maildir = tmp_path / "Mail"
    maildir.mkdir(exist_ok=True)
    conf = tmp_path / "mbsyncrc"
    conf.write_text(
        """IMAPAccount tresor
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType {ssltype}
CertificateFile {cert}

IMAPStore remote
Account tresor

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX
Create Both
Expunge Both
SyncState *
""".format(
            port=srv.tls_port if transport == "imaps" else srv.port,
            user=user[0],
            password=user[1],
            ssltype="IMAPS" if transport == "imaps" else "STARTTLS",
            cert=srv.data_dir / "tls" / "cert.pem",
            maildir=maildir,
        )
    )
    return conf, maildir / "INBOX"


def mbsync(conf):
    p = subprocess.run(
        ["mbsync", "-c", str(conf), "-a"], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, (p.stdout, p.stderr)
    return p


def as_maildir(raw):
    """What mbsync writes locally for a message: LF line ends (its Maildir format)."""
    return raw.replace(b"\r\n", b"\n")


def maildir_messages(box):
    """{bytes: (path, flags)} of every message in a Maildir folder, with mbsync's
    X-TUID tracking header (which it adds while propagating) taken out."""
    out = {}
    for sub in ("cur", "new"):
        for f in (box / sub).iterdir():
            flags = f.name.split(":2,", 1)[1] if ":2," in f.name else ""
            raw = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", f.read_bytes())
            out[raw] = (f, flags)
    return out


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_mbsync_round_trip(make_server, tmp_path, transport):
    srv = make_server()
    user = BOB
    m = login(srv, user)
    originals = [message(subject="mbsync %d" % i, to=user[0], body="body %d\r\n" % i) for i in range(3)]
    uids = [append(m, "INBOX", raw) for raw in originals]
    m.select("INBOX")
    m.store("1", "+FLAGS", "(\\Flagged)")
    m.logout()

    conf, box = mbsync_config(srv, tmp_path, transport, user)
    mbsync(conf)
    local = maildir_messages(box)
    assert set(local) == {as_maildir(raw) for raw in originals}
    assert "F" in local[as_maildir(originals[0])][1]

    # Local changes: mark one seen, delete one (trashed + expunged), add one.
    path, flags = local[as_maildir(originals[1])]
    os.rename(path, str(path).split(":2,")[0] + ":2,S")
    path, _ = local[as_maildir(originals[2])]
    path.unlink()
    added = message(subject="written locally", to=user[0], body="local body\r\n")
    (box / "new" / "1700000000.local.tresor-test").write_bytes(as_maildir(added))
    mbsync(conf)

    m = login(srv, user)
    typ, data = m.select("INBOX")
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
    assert typ == "OK"
    server_msgs = {}
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode()
            # mbsync tags what it uploads with X-TUID; everything else is byte-exact.
            raw = re.sub(rb"(?m)^X-TUID: [^\r\n]*\r\n", b"", item[1])
            server_msgs[raw] = (uid, flags)
    assert set(server_msgs) == {originals[0], originals[1], added}
    assert "\\Seen" in server_msgs[originals[1]][1]
    assert "\\Flagged" in server_msgs[originals[0]][1]
    assert server_msgs[originals[0]][0] == uids[0]

    # A change on the server comes back down.
    m.uid("STORE", str(uids[0]), "+FLAGS", "(\\Seen)")
    m.logout()
    mbsync(conf)
    local = maildir_messages(box)
    assert set(local) == {as_maildir(raw) for raw in (originals[0], originals[1], added)}
    flags = local[as_maildir(originals[0])][1]
    assert "S" in flags and "F" in flags
