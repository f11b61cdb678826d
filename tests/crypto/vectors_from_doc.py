#!/usr/bin/python3
"""An independent check of docs/protocol.md §11.3, written from the document alone.

Recomputes the Double Ratchet known answer (Alice's first envelope E1, Bob's reply E2) from
the §11.2 values and the §5 formulas, with Python's hashlib/hmac and PyNaCl's X25519 and
XChaCha20-Poly1305, and checks that every value it computes is printed in §11.3 under its
label. Shares no code with the C++ implementation.

  vectors_from_doc.py DOC        check; exit 0 when all agree, 1 otherwise
  vectors_from_doc.py DOC --print  print the computed values
Exit 77 when PyNaCl is not installed (the C++ test fails: scripts/ install python3-nacl).
"""
import hashlib
import hmac
import re
import sys

try:
    from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_encrypt as aead,
                               crypto_scalarmult, crypto_scalarmult_base)
except ImportError:
    print("PyNaCl (python3-nacl) is not installed", file=sys.stderr)
    sys.exit(77)


def run(start, n=32):  # §11.2: the byte run start, start + 1, ...
    return bytes((start + i) & 0xFF for i in range(n))


def hkdf(salt, ikm, info, length):  # §1.2, RFC 5869 with SHA-256
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm, i = okm + t, i + 1
    return okm[:length]


def kdf_rk(rk, dh):  # §5.3
    okm = hkdf(rk, dh, b"Exile_Ratchet_v1", 96)
    return okm[:32], okm[32:64], okm[64:]


def kdf_ck(ck):  # §5.3
    return hmac.new(ck, b"\x01", hashlib.sha256).digest(), hmac.new(ck, b"\x02", hashlib.sha256).digest()


def message_keys(mk, header_nonce):  # §5.3
    okm = hkdf(bytes(32), mk, b"Exile_MessageKeys_v1" + header_nonce, 56)
    return okm[:32], okm[32:]


def pad(text):  # §5.6, bucket 1024
    return text + b"\x80" + bytes(1024 - len(text) - 1)


def envelope(hk, ad, dhs_pub, pn, n, mk, header_nonce, text):  # §5.5, §5.8
    header = dhs_pub + pn.to_bytes(4, "big") + n.to_bytes(4, "big")
    prefix = b"\x01" + header_nonce + aead(header, ad, header_nonce, hk)
    body_key, body_nonce = message_keys(mk, header_nonce)
    body = aead(pad(text), ad + prefix, body_nonce, body_key)
    return prefix + body, body_key, body_nonce


def section(doc, title):
    start = doc.index(title)
    block = doc.index("```", start)
    return doc[block + 3:doc.index("```", block + 3)]


def main():
    doc = open(sys.argv[1], encoding="utf-8").read()
    x3dh = section(doc, "### 11.2 X3DH known answer")
    ratchet = section(doc, "### 11.3 Double Ratchet known answer")

    def value(label):  # a §11.2 value, continuation lines joined
        m = re.search(r"^" + re.escape(label) + r"\s+([0-9a-f]+(?:\n\s+[0-9a-f]+)*)", x3dh, re.M)
        return bytes.fromhex(re.sub(r"\s+", "", m.group(1)))

    root, hka, nhkb, ad, initial_header = (value(k) for k in ("root_key", "HKa", "NHKb", "AD", "header"))
    spk_b = crypto_scalarmult_base(run(0x40))

    out = []
    # Alice: §5.4 initiator, then her first message (§5.8).
    a_dhs = run(0xA0)
    a_pub = crypto_scalarmult_base(a_dhs)
    rk1, a_cks, a_nhks = kdf_rk(root, crypto_scalarmult(a_dhs, spk_b))
    mk1, a_cks1 = kdf_ck(a_cks)
    e1_ratchet, bk1, bn1 = envelope(hka, ad, a_pub, 0, 0, mk1, run(0xB0, 24), b"Hello, Bob")
    e1 = initial_header + e1_ratchet
    out += [("DHs.public", a_pub), ("RK", rk1), ("CKs", a_cks), ("NHKs", a_nhks), ("MK", mk1),
            ("CKs'", a_cks1), ("body_key", bk1), ("body_nonce", bn1),
            ("ratchet envelope bytes 0..81:", e1_ratchet[:81]),
            ("body ciphertext, first 32 bytes", e1_ratchet[81:113]),
            ("body tag (last 16 bytes of E1)", e1[-16:]), ("SHA-256(E1)", hashlib.sha256(e1).digest())]
    assert len(e1) == 1216
    # Bob: receive half (the same DH from his side), then his reply with the send half.
    rk_b, ckr, nhkr = kdf_rk(root, crypto_scalarmult(run(0x40), a_pub))
    assert (rk_b, nhkr) == (rk1, a_nhks) and kdf_ck(ckr)[1] == kdf_ck(a_cks)[1]
    b_dhs = run(0xC0)
    b_pub = crypto_scalarmult_base(b_dhs)
    rk2, b_cks, b_nhks = kdf_rk(rk1, crypto_scalarmult(b_dhs, a_pub))
    mk2, _ = kdf_ck(b_cks)
    e2, bk2, bn2 = envelope(nhkb, ad, b_pub, 0, 0, mk2, run(0xD0, 24), b"Hi Alice")
    assert len(e2) == 1121
    out += [("CKr", a_cks1), ("DHs.public", b_pub), ("RK", rk2), ("CKs", b_cks), ("NHKs", b_nhks),
            ("MK", mk2), ("body_key", bk2), ("body_nonce", bn2), ("bytes 0..81:", e2[:81]),
            ("body tag", e2[-16:]), ("SHA-256(E2)", hashlib.sha256(e2).digest())]

    if "--print" in sys.argv:
        for label, v in out:
            print(f"{label:34} {v.hex()}")
        return 0
    squashed = re.sub(r"\s+", "", ratchet)
    bad = [(label, v.hex()) for label, v in out
           if re.sub(r"\s+", "", label) + v.hex() not in squashed]
    for label, v in bad:
        print(f"§11.3 does not print {label} = {v}", file=sys.stderr)
    print(f"{len(out) - len(bad)} of {len(out)} §11.3 values reproduced from the document")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
