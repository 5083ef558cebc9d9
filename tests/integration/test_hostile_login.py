"""A hostile target during login and SendTargets (issue #9): a login that skips security
negotiation or the CHAP exchange, mutual CHAP without the target's answer, malformed Login
Response headers, repeated keys, inconsistent burst lengths, a one-byte challenge, and Continue
floods. Each ends with a clean error naming the cause and the exit code of its class: 24 for
anything that would leave authentication undone, 5 for other login protocol errors."""
import pytest

from conftest import Adm
from faketarget import OP_LOGIN_RSP, OP_TEXT_REQ, OP_TEXT_RSP, RESERVED, encode_keys
from test_faketarget import CHAP_ENV, MUTUAL_ENV, SECRET, TSECRET, no_secret, readcap, run
from test_faketarget import targets  # noqa: F401 - the fixture

T, C = 0x80, 0x40
SECURITY, OPERATIONAL, FULL = 0, 1, 3
CHAP_TARGET = dict(user="alice", secret=SECRET, target_user="disk", target_secret=TSECRET,
                   algs=[5])


def answer(conn, req, csg, nsg=0, transit=False, pairs=(), more=False, isid=None, version=0):
    """A Login Response with every header field under the test's control."""
    flags = csg << 2 | (T | nsg if transit else 0) | (C if more else 0)
    lun = (conn.isid if isid is None else isid) + (0x1234 if transit and nsg == FULL else 0
                                                    ).to_bytes(2, "big")
    conn.send(OP_LOGIN_RSP, encode_keys(pairs), flags=flags, lun=lun, itt=req.itt, b3=version,
              **conn.sn_fields())
    return True


def first_request(hook):
    """A login hook that answers only the first Login Request of each connection itself."""
    def on_login(conn, req, keys):
        if "InitiatorName" not in keys:
            return False
        return hook(conn, req, keys)
    return on_login


def refused(r, rc, *words):
    assert r.rc == rc, r
    for w in words:
        assert w in r.err, r
    assert "Blocks:" not in r.out, r


# ---- 1. skipping security negotiation ----

@pytest.mark.parametrize("chap", [False, True], ids=["no-chap", "chap-required"])
def test_first_response_jumps_to_full_feature(targets, chap):
    """T=1 CSG=1 NSG=3 in the first response: an answer for a stage the login never entered."""
    t = targets(chap=CHAP_TARGET if chap else None)
    t.on_login = first_request(lambda conn, req, keys: answer(
        conn, req, OPERATIONAL, FULL, True, [("AuthMethod", "None")]))
    r = readcap(t, env=CHAP_ENV if chap else None)
    refused(r, 24, "answered for operational negotiation", "we are in security negotiation")
    no_secret(r, SECRET)


def test_security_stage_transits_past_operational(targets):
    """We offer CSG=0 NSG=1; a target answering NSG=3 skips operational negotiation."""
    t = targets()
    t.on_login = first_request(lambda conn, req, keys: answer(
        conn, req, SECURITY, FULL, True, [("AuthMethod", "None")]))
    refused(readcap(t), 24, "moved on to full feature phase")


def test_transit_while_chap_is_pending(targets):
    """CHAP required: the first response (we sent T=0) says T=1 CSG=0 NSG=3."""
    t = targets(chap=CHAP_TARGET)
    t.on_login = first_request(lambda conn, req, keys: answer(
        conn, req, SECURITY, FULL, True, [("AuthMethod", "CHAP")]))
    refused(readcap(t, env=CHAP_ENV), 24, "moved on, unasked, to full feature phase")


def chap_answer_hook(reply):
    """Answers the Login Request that carries CHAP_R with reply(conn, req); the rest honestly."""
    def on_login(conn, req, keys):
        return "CHAP_R" in keys and reply(conn, req)
    return on_login


def test_mutual_chap_skipped_by_changing_stage(targets):
    """Mutual CHAP: the target answers our CHAP_R with CSG=1 T=1 NSG=3 and no CHAP_N/CHAP_R."""
    t = targets(chap=CHAP_TARGET)
    t.on_login = chap_answer_hook(lambda conn, req: answer(conn, req, OPERATIONAL, FULL, True))
    r = readcap(t, env=MUTUAL_ENV)
    refused(r, 24, "answered for operational negotiation")
    no_secret(r, SECRET, TSECRET)


@pytest.mark.parametrize("nsg", [OPERATIONAL, FULL], ids=["to-operational", "to-full-feature"])
def test_mutual_chap_without_the_targets_answer(targets, nsg):
    t = targets(chap=CHAP_TARGET)
    t.on_login = chap_answer_hook(lambda conn, req: answer(conn, req, SECURITY, nsg, True))
    r = readcap(t, env=MUTUAL_ENV)
    refused(r, 24, "mutual CHAP: the target did not answer our challenge" if nsg == OPERATIONAL
            else "moved on to full feature phase")


def test_one_byte_challenge(targets):
    t = targets(chap=CHAP_TARGET)

    def short_challenge(conn, req, keys):
        if "CHAP_A" not in keys:
            return False
        conn.chap_alg, conn.chap_ident, conn.chap_challenge = 5, 1, b"\x01"
        return answer(conn, req, SECURITY, pairs=[("CHAP_A", "5"), ("CHAP_I", "1"),
                                                   ("CHAP_C", "0x01")])
    t.on_login = short_challenge
    refused(readcap(t, env=CHAP_ENV), 24, "shorter than 16 bytes")


@pytest.mark.parametrize("alg", ["4294967301", "", "5,7"])
def test_chap_algorithm_that_is_not_one(targets, alg):
    """CHAP_A must be one number we offered: 2^32 + 5 is not MD5."""
    t = targets(chap=CHAP_TARGET)

    def odd_algorithm(conn, req, keys):
        if "CHAP_A" not in keys:
            return False
        conn.chap_alg, conn.chap_ident, conn.chap_challenge = 5, 1, bytes(16)
        return answer(conn, req, SECURITY, pairs=[("CHAP_A", alg), ("CHAP_I", "1"),
                                                   ("CHAP_C", "0x" + "00" * 16)])
    t.on_login = odd_algorithm
    refused(readcap(t, env=CHAP_ENV), 24, "a CHAP algorithm we did not offer")


@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_longest_challenge_in_either_encoding(targets, encoding):
    """1024 bytes, the most we accept, hex or base64: the login works; 1025 are refused."""
    import base64
    import os
    t = targets(chap=dict(CHAP_TARGET, target_user=None))
    challenge = os.urandom(1024)
    text = "0x" + challenge.hex() if encoding == "hex" else "0b" + base64.b64encode(challenge).decode()

    def long_challenge(conn, req, keys):
        if "CHAP_A" not in keys:
            return False
        conn.chap_alg, conn.chap_ident, conn.chap_challenge = 5, 7, challenge
        return answer(conn, req, SECURITY, pairs=[("CHAP_A", "5"), ("CHAP_I", "7"),
                                                   ("CHAP_C", text)])
    t.on_login = long_challenge
    r = readcap(t, env=CHAP_ENV)
    assert r.rc == 0 and "CHAP: MD5" in r.out, r
    challenge += b"\0"  # one byte more: refused, whichever the encoding
    text = "0x" + challenge.hex() if encoding == "hex" else "0b" + base64.b64encode(challenge).decode()
    t.on_login = long_challenge
    refused(readcap(t, env=CHAP_ENV), 24, "CHAP_C is not a valid challenge")


# ---- 2. malformed Login Response headers ----

def test_transit_and_continue_both_set(targets):
    t = targets()
    t.on_login = first_request(lambda conn, req, keys: answer(
        conn, req, SECURITY, OPERATIONAL, True, [("AuthMethod", "None")], more=True))
    refused(readcap(t), 5, "sets both Transit and Continue")


def test_response_for_another_isid(targets):
    t = targets()

    def other_isid(conn, req, keys):
        conn.isid = bytes([0x80, 1, 2, 3, 0, 0])  # every reply of this connection carries it
        return False
    t.on_login = first_request(other_isid)
    refused(readcap(t), 5, "the Login Response is for ISID 800102030000")


def test_response_with_another_version(targets):
    t = targets()
    t.on_login = first_request(lambda conn, req, keys: answer(
        conn, req, SECURITY, OPERATIONAL, True, [("AuthMethod", "None")], version=1))
    refused(readcap(t), 5, "an iSCSI version we did not offer")


# ---- 3. what the keys say ----

def test_repeated_negotiation_key(targets):
    t = targets()
    t.extra_answers = [("MaxBurstLength", "512")]  # answered a second time, differently
    refused(readcap(t), 5, "the target sent MaxBurstLength more than once")


def test_first_burst_above_max_burst(targets):
    t = targets(params={"MaxBurstLength": 4096, "FirstBurstLength": 65536})
    refused(readcap(t), 5, "FirstBurstLength=65536 above MaxBurstLength=4096")


# ---- 4. floods ----

def at_most(most, reply):
    """A login hook answering every request with reply(conn, req, keys), `most` times at the
    most, then dropping the connection (a bound on the test, should the initiator not stop);
    returns the hook and the list that counts the answers."""
    sent = []

    def hook(conn, req, keys):
        if len(sent) >= most:
            conn.drop()
            return True
        sent.append(1)
        return reply(conn, req, keys)
    return hook, sent


def test_login_continue_flood(targets):
    """Every Login Request gets another Continue PDU of 8 KiB; 64 KiB of login text is the cap
    (the target gives up after 1 MiB, so without a cap the login would fail another way)."""
    t = targets()
    t.on_login, sent = at_most(128, lambda conn, req, keys: answer(
        conn, req, SECURITY, pairs=[("X-Flood", "a" * 8180)], more=True))
    refused(readcap(t), 5, "the target's login text exceeds 65536 bytes")
    assert len(sent) <= 9, "the initiator stopped asking for more at the cap"


def test_login_rounds_are_bounded(targets):
    """Empty T=0 responses for ever: the login ends after 256 responses."""
    t = targets()
    t.on_login, sent = at_most(1000, lambda conn, req, keys: answer(
        conn, req, (req.flags >> 2) & 3,
        pairs=[("AuthMethod", "None")] if "InitiatorName" in keys else []))
    refused(readcap(t), 5, "more than 256 responses")
    assert len(sent) == 257, len(sent)


def test_sendtargets_final_and_continue(targets):
    t = targets()

    def both(conn, p):
        if p.opcode != OP_TEXT_REQ:
            return False
        conn.send(OP_TEXT_RSP, encode_keys([("TargetName", t.iqn)]), flags=0x80 | C, itt=p.itt,
                  w20=0x1000, **conn.sn_fields())
        return True
    t.on_pdu = both
    r = run("swiscsi-ls", f"iscsi://{t.portal}")
    assert r.rc == 1 and "sets both Final and Continue" in r.err, r


def sendtargets_flood(t, pairs, continued):
    """Answers each Text Request with a Continue PDU of pairs, and the real answer after
    `continued` of them; returns the list that counts the Text Responses sent."""
    sent = []

    def flood(conn, p):
        if p.opcode != OP_TEXT_REQ:
            return False
        sent.append(1)
        final = len(sent) > continued
        answer = [("TargetName", t.iqn), ("TargetAddress", f"{t.portal},1")] if final else pairs
        conn.send(OP_TEXT_RSP, encode_keys(answer), flags=0x80 if final else C, itt=p.itt,
                  w20=RESERVED if final else 0x1000 + len(sent), **conn.sn_fields())
        return True
    t.on_pdu = flood
    return sent


def test_sendtargets_continue_flood(targets, tmp_path):
    """A SendTargets answer that never ends (4 KiB Continue PDUs of valid but useless pairs):
    refused at 1 MiB, and nothing is recorded."""
    t = targets()
    sent = sendtargets_flood(t, [("X-Pad", "p" * 4080)], 400)  # 1.6 MiB in all: past the cap
    adm = Adm(tmp_path)
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)
    # 1: iscsiadm's generic error, what a discovery that the target botched exits with
    assert r.rc == 1 and "the answer exceeds 1048576 bytes" in r.err, r
    assert len(sent) <= 260, "the initiator stopped asking for more at the cap"
    nodes = adm.db / "nodes"
    assert not nodes.exists() or not any(nodes.iterdir()), "nothing recorded"
    sent.clear()
    r = run("swiscsi-ls", f"iscsi://{t.portal}")
    assert r.rc == 1 and "the answer exceeds 1048576 bytes" in r.err, r


def test_sendtargets_empty_continue_flood(targets, tmp_path):
    """Empty Continue PDUs never reach the byte cap: 256 Text Responses per SendTargets is the
    bound (the target would give a real answer after 1000, so without it discovery succeeds)."""
    t = targets()
    sent = sendtargets_flood(t, [], 1000)
    adm = Adm(tmp_path)
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)
    assert r.rc == 1 and "the answer takes more than 256 Text Responses" in r.err, r
    assert len(sent) == 257, "the initiator stopped asking for more at the cap"
    nodes = adm.db / "nodes"
    assert not nodes.exists() or not any(nodes.iterdir()), "nothing recorded"
