#!/usr/bin/env python3
"""The ADAuthInfo envelope, written from its layout with Python's
`cryptography`, independently of hashsync's Rust code.

Layout (little-endian int32 x 8, then the parts):
  version 1, reserved 0, key algorithm 1 (RSA-OAEP SHA-1),
  payload algorithm 1 (AES-256-CBC), thumbprint size 20,
  wrapped-key size = modulus bytes, IV size 16, ciphertext size;
  SHA-1 thumbprint of the certificate's DER; RSA-OAEP(SHA-1, MGF1-SHA-1)
  of the AES-256 key with the bytes reversed (CryptoAPI order); IV;
  AES-256-CBC with PKCS#7 over the plaintext.

Subcommands:
  generate DIR   new RSA-2048 self-signed certificates and
                 tests/data/envelope/vectors.json (fixed key material)
  seal CERT      hex plaintext on stdin -> base64 envelope (random key material)
  open CERT KEY  base64 envelope on stdin -> hex plaintext
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

HEADER = struct.Struct("<8i")


def thumbprint(cert):
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()


def mgf1_sha1(seed, length):
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def oaep_sha1_with_seed(public_key, message, seed):
    """RSAES-OAEP-ENCRYPT (RFC 8017 7.1.1) with SHA-1, MGF1-SHA-1, empty
    label and a caller-chosen seed, so fixed-material vectors are exact."""
    numbers = public_key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    h_len = 20
    assert len(seed) == h_len
    assert len(message) <= k - 2 * h_len - 2
    l_hash = hashlib.sha1(b"").digest()
    ps = b"\x00" * (k - len(message) - 2 * h_len - 2)
    db = l_hash + ps + b"\x01" + message
    masked_db = bytes(a ^ b for a, b in zip(db, mgf1_sha1(seed, k - h_len - 1)))
    masked_seed = bytes(a ^ b for a, b in zip(seed, mgf1_sha1(masked_db, h_len)))
    em = b"\x00" + masked_seed + masked_db
    c = pow(int.from_bytes(em, "big"), numbers.e, numbers.n)
    return c.to_bytes(k, "big")


def oaep_sha1_random(public_key, message):
    return public_key.encrypt(
        message,
        asym_padding.OAEP(
            mgf=asym_padding.MGF1(algorithm=hashes.SHA1()),
            algorithm=hashes.SHA1(),
            label=None,
        ),
    )


def aes_cbc_pkcs7(key, iv, plaintext):
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def seal(cert, plaintext, aes_key=None, iv=None, oaep_seed=None):
    aes_key = aes_key if aes_key is not None else os.urandom(32)
    iv = iv if iv is not None else os.urandom(16)
    public_key = cert.public_key()
    if oaep_seed is None:
        wrapped = oaep_sha1_random(public_key, aes_key)
    else:
        wrapped = oaep_sha1_with_seed(public_key, aes_key, oaep_seed)
    wrapped_reversed = wrapped[::-1]
    ciphertext = aes_cbc_pkcs7(aes_key, iv, plaintext)
    header = HEADER.pack(1, 0, 1, 1, 20, len(wrapped_reversed), 16, len(ciphertext))
    return header + thumbprint(cert) + wrapped_reversed + iv + ciphertext


def open_envelope(cert, private_key, envelope):
    fields = HEADER.unpack_from(envelope, 0)
    version, reserved, key_alg, payload_alg, tp_size, key_size, iv_size, ct_size = fields
    if (version, reserved, key_alg, payload_alg, tp_size, iv_size) != (1, 0, 1, 1, 20, 16):
        raise ValueError(f"unexpected header {fields}")
    if HEADER.size + tp_size + key_size + iv_size + ct_size != len(envelope):
        raise ValueError("sizes do not add up to the envelope length")
    p = HEADER.size
    tp = envelope[p : p + tp_size]
    p += tp_size
    wrapped = envelope[p : p + key_size][::-1]
    p += key_size
    iv = envelope[p : p + iv_size]
    p += iv_size
    ciphertext = envelope[p : p + ct_size]
    if tp != thumbprint(cert):
        raise ValueError(f"sealed to {tp.hex().upper()}, not this certificate")
    aes_key = private_key.decrypt(
        wrapped,
        asym_padding.OAEP(
            mgf=asym_padding.MGF1(algorithm=hashes.SHA1()),
            algorithm=hashes.SHA1(),
            label=None,
        ),
    )
    dec = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).decryptor()
    padded = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def self_signed(common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def write(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def records(*pairs):
    return b"".join(struct.pack("<II", i, len(v)) + v for i, v in pairs)


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    key, cert = self_signed("hashsync test managed domain")
    other_key, other_cert = self_signed("hashsync test other domain")
    pem = serialization.Encoding.PEM
    write(f"{out_dir}/managed_domain_cert.pem", cert.public_bytes(pem))
    write(f"{out_dir}/managed_domain_cert.der", cert.public_bytes(serialization.Encoding.DER))
    write(
        f"{out_dir}/managed_domain_key.pem",
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    write(
        f"{out_dir}/managed_domain_key_pkcs1.pem",
        key.private_bytes(
            pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
    )
    write(f"{out_dir}/other_domain_cert.pem", other_cert.public_bytes(pem))
    write(
        f"{out_dir}/other_domain_key.pem",
        other_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )

    # NT hash of "Summer2024!" is not needed here: any 16 bytes stand in
    # for it; the record layout is what matters.
    nt_hash = bytes.fromhex("cf3a5525ee9414229e66279623ed5c58")
    plaintexts = {
        "empty": b"",
        "one_byte": b"\x01",
        "fifteen_bytes": bytes(range(15)),
        "one_block": bytes(range(16)),
        "seventeen_bytes": bytes(range(17)),
        "unicode_pwd_record": records((0x0009005A, nt_hash)),
        "two_records": records((0x0009005A, nt_hash), (0x0009007D, b"\x00" * 0x6F + b"P")),
    }
    fixed = []
    for i, (name, plaintext) in enumerate(plaintexts.items()):
        aes_key = hashlib.sha256(f"aes key {i}".encode()).digest()
        iv = hashlib.sha256(f"iv {i}".encode()).digest()[:16]
        seed = hashlib.sha1(f"oaep seed {i}".encode()).digest()
        exact = seal(cert, plaintext, aes_key, iv, seed)
        randomized = seal(cert, plaintext, aes_key, iv)
        # The hand-written OAEP must be what cryptography decrypts.
        assert open_envelope(cert, key, exact) == plaintext
        assert open_envelope(cert, key, randomized) == plaintext
        header = HEADER.unpack_from(exact, 0)
        wrapped_size = header[5]
        p = HEADER.size + 20
        fixed.append(
            {
                "name": name,
                "plaintext_hex": plaintext.hex(),
                "aes_key_hex": aes_key.hex(),
                "iv_hex": iv.hex(),
                "oaep_seed_hex": seed.hex(),
                "header": list(header),
                "thumbprint_hex": thumbprint(cert).hex(),
                "wrapped_key_reversed_hex": exact[p : p + wrapped_size].hex(),
                "ciphertext_hex": exact[p + wrapped_size + 16 :].hex(),
                "envelope_b64": base64.b64encode(exact).decode(),
                "envelope_random_oaep_b64": base64.b64encode(randomized).decode(),
            }
        )
    random_material = [
        {"plaintext_hex": p.hex(), "envelope_b64": base64.b64encode(seal(cert, p)).decode()}
        for p in plaintexts.values()
    ]
    doc = {
        "source": "tools/vectors/envelope.py (Python cryptography "
        + __import__("cryptography").__version__
        + ", written from the ADAuthInfo layout)",
        "certificate": "managed_domain_cert.pem",
        "thumbprint_hex": thumbprint(cert).hex(),
        "other_certificate": "other_domain_cert.pem",
        "other_thumbprint_hex": thumbprint(other_cert).hex(),
        "modulus_bytes": (cert.public_key().key_size + 7) // 8,
        "fixed_key_material": fixed,
        "random_key_material": random_material,
        "sealed_to_other": base64.b64encode(seal(other_cert, b"not for you")).decode(),
    }
    write(f"{out_dir}/vectors.json", json.dumps(doc, indent=1) + "\n", "w")


def load_cert(path):
    data = open(path, "rb").read()
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def main(argv):
    if len(argv) >= 2 and argv[1] == "generate" and len(argv) == 3:
        generate(argv[2])
    elif len(argv) == 3 and argv[1] == "seal":
        plaintext = bytes.fromhex(sys.stdin.readline().strip())
        print(base64.b64encode(seal(load_cert(argv[2]), plaintext)).decode())
    elif len(argv) == 4 and argv[1] == "open":
        cert = load_cert(argv[2])
        key = serialization.load_pem_private_key(open(argv[3], "rb").read(), password=None)
        envelope = base64.b64decode(sys.stdin.readline().strip(), validate=True)
        print(open_envelope(cert, key, envelope).hex())
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
