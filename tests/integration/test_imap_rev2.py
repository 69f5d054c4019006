"""
IMAP4rev2 after ENABLE IMAP4rev2 (RFC 9051): UTF-8 mailbox names in both
directions, no RECENT or UNSEEN in SELECT, ESEARCH answers to SEARCH, while a
session that did not enable it keeps IMAP4rev1's modified UTF-7 names.
"""

from conftest import ALICE, RawImap, append, login, message


def test_rev2_uses_utf8_names_and_rev1_sees_mutf7(server):
    rev2 = RawImap(server).login(ALICE)
    assert rev2.ok("ENABLE IMAP4rev2") == ["* ENABLED IMAP4rev2"]
    rev2.ok('CREATE "Entwürfe/台北"')
    listing = rev2.ok('LIST "" "Entw*"')
    assert '* LIST (\\HasChildren) "/" "Entwürfe"' in listing
    assert '* LIST (\\HasNoChildren) "/" "Entwürfe/台北"' in listing
    rev1 = RawImap(server).login(ALICE)
    listing = rev1.ok('LIST "" "Entw*"')
    assert '* LIST (\\HasChildren) "/" "Entw&APw-rfe"' in listing
    assert '* LIST (\\HasNoChildren) "/" "Entw&APw-rfe/&U,BTFw-"' in listing
    rev1.ok('SELECT "Entw&APw-rfe/&U,BTFw-"')
    rev2.ok('DELETE "Entwürfe/台北"')
    rev2.ok('DELETE "Entwürfe"')
    rev1.close()
    rev2.close()


def test_rev2_select_has_no_recent_and_search_answers_esearch(server):
    m = login(server)
    uid = append(m, "INBOX", message(subject="rev2 check"))
    m.logout()
    c = RawImap(server).login(ALICE)
    c.ok("ENABLE IMAP4rev2")
    untagged = c.ok("SELECT INBOX")
    assert not [line for line in untagged if line.endswith(" RECENT")], untagged
    assert not [line for line in untagged if "[UNSEEN " in line], untagged
    assert [line for line in untagged if line.endswith(" EXISTS")]
    untagged, tagged = c.cmd('UID SEARCH SUBJECT "rev2 check"', tag="s1")
    assert tagged.startswith("s1 OK")
    assert untagged == ['* ESEARCH (TAG "s1") UID ALL %d' % uid]
    c.close()
