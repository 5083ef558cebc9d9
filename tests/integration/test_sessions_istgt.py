"""Sessions through swiscsid against istgt, the second target implementation: login with
mutual CHAP from the node record, the listing, the negotiated values istgt imposes, logout, and
a wrong target secret refused as an authentication failure."""
ISTGT_IQN = "iqn.2026-11.test.istgt:"


def update(adm, target, *pairs):
    args = [a for k, v in pairs for a in ("-n", k, "-v", v)]
    r = adm.run("-m", "node", "-T", target, "-o", "update", *args)
    assert r.rc == 0, r


def chap(adm, target, password_in):
    update(adm, target, ("node.session.auth.authmethod", "CHAP"),
           ("node.session.auth.username", "alice"),
           ("node.session.auth.password", "alicesecret12"),
           ("node.session.auth.username_in", "disk"),
           ("node.session.auth.password_in", password_in))


def test_mutual_chap_login_list_logout(adm, istgt, swiscsid):
    istgt.unit("mutual", chap="CHAP Mutual")
    istgt.unit("open")
    istgt.user("alice", "alicesecret12", "disk", "disksecret123")
    istgt.start()
    r = adm.run("-m", "discovery", "-t", "st", "-p", istgt.portal)
    assert r.rc == 0, r
    mutual, open_ = ISTGT_IQN + "mutual", ISTGT_IQN + "open"
    chap(adm, mutual, "disksecret123")
    swiscsid.forbidden = ["alicesecret12", "disksecret123"]
    swiscsid.start()
    r = adm.run("-m", "node", "-l")
    assert r.rc == 0, r
    assert r.out.count("successful.") == 2, r
    r = adm.run("-m", "session")
    assert sorted(r.out.splitlines()) == [f"tcp: [1] {istgt.portal},1 {mutual} (non-flash)",
                                          f"tcp: [2] {istgt.portal},1 {open_} (non-flash)"], r
    tree = adm.run("-m", "session", "-r", "1", "-P", "2").out
    # istgt's global settings, negotiated: its InitialR2T=Yes wins, the bursts are the minima
    for line in ("\t\tInitialR2T: Yes", "\t\tImmediateData: Yes", "\t\tMaxBurstLength: 1048576",
                 "\t\tusername_in: disk", "\t\tpassword_in: ********"):
        assert line + "\n" in tree, tree
    r = adm.run("-m", "node", "-U", "all")
    assert r.rc == 0 and r.out.count("successful.") == 2, r
    assert adm.run("-m", "session").rc == 21
    # a wrong target secret: the target fails our check of its answer
    chap(adm, mutual, "notthesecret1")
    r = adm.run("-m", "node", "-T", mutual, "-l")
    assert r.rc == 24, r
    assert "notthesecret1" not in r.out + r.err
    assert adm.run("-m", "session").rc == 21
    assert swiscsid.terminate() == 0
