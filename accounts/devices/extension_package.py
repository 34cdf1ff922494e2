"""The browser extension as the server hands it out (issue 15): `clients/chromium/` packed into a
zip and a signed CRX3, its extension id, and the update manifest Chrome and Edge poll.

CRX3 (Chromium's components/crx_file/crx3.proto) is

    "Cr24" | uint32le 3 | uint32le N | CrxFileHeader (N bytes, protobuf) | the zip

with `CrxFileHeader { repeated AsymmetricKeyProof sha256_with_rsa = 2; bytes
signed_header_data = 10000; }`, `AsymmetricKeyProof { bytes public_key = 1; bytes signature = 2; }`
and `SignedData { bytes crx_id = 1; }`. The crx id is the first 16 bytes of the SHA-256 of the
public key (DER SubjectPublicKeyInfo); the signature is RSA PKCS#1 v1.5 with SHA-256 over
`"CRX3 SignedData\\0" | uint32le len(signed_header_data) | signed_header_data | the zip`. The
extension id a browser shows is the crx id in hex with the digits 0-f written a-p.

The signing key is the server's own (settings.EXTENSION_SIGNING_KEY, PEM, or the file
settings.EXTENSION_SIGNING_KEY_FILE, made on first use): the same key keeps the same extension id,
so the enterprise policy a family installed goes on working across updates.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import threading
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

EXTENSION_DIR = Path(__file__).resolve().parents[2] / "clients" / "chromium"
# Not shipped: the extension's own tests.
EXCLUDED_DIRS = {"test"}
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed: the same files give the same archive
MAGIC = b"Cr24"
SIGNATURE_CONTEXT = b"CRX3 SignedData\x00"
KEY_BITS = 2048


@dataclass(frozen=True)
class Package:
    extension_id: str
    version: str
    zip_bytes: bytes
    crx_bytes: bytes


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def extension_files(directory: Path = EXTENSION_DIR) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not EXCLUDED_DIRS.intersection(path.relative_to(directory).parts)
        and not path.name.startswith(".")
    )


def extension_zip(directory: Path = EXTENSION_DIR) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in extension_files(directory):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def public_key_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def crx_id(public_der: bytes) -> bytes:
    return hashlib.sha256(public_der).digest()[:16]


def extension_id_for(public_der: bytes) -> str:
    """The id a browser shows: the crx id's hex digits 0-f written as the letters a-p."""
    return "".join(chr(ord("a") + int(digit, 16)) for digit in crx_id(public_der).hex())


def crx3(zip_bytes: bytes, key: rsa.RSAPrivateKey) -> bytes:
    public_der = public_key_der(key)
    signed_header_data = _field(1, crx_id(public_der))
    signed = (
        SIGNATURE_CONTEXT
        + struct.pack("<I", len(signed_header_data))
        + signed_header_data
        + zip_bytes
    )
    signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    header = _field(2, _field(1, public_der) + _field(2, signature)) + _field(
        10000, signed_header_data
    )
    return MAGIC + struct.pack("<II", 3, len(header)) + header + zip_bytes


_key_lock = threading.Lock()


def signing_key() -> rsa.RSAPrivateKey:
    """The server's extension key: from settings, else from its file, made there on first use
    (readable by the server's user only)."""
    configured = getattr(settings, "EXTENSION_SIGNING_KEY", "")
    if configured:
        return serialization.load_pem_private_key(configured.encode(), password=None)
    path = Path(settings.EXTENSION_SIGNING_KEY_FILE)
    with _key_lock:
        if not path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        return serialization.load_pem_private_key(path.read_bytes(), password=None)


def extension_version(directory: Path = EXTENSION_DIR) -> str:
    return json.loads((directory / "manifest.json").read_text())["version"]


_cache: dict[tuple, Package] = {}


def extension_package(directory: Path = EXTENSION_DIR) -> Package:
    """The packed extension, built once per set of files and key (kept in memory)."""
    key = signing_key()
    public_der = public_key_der(key)
    files = extension_files(directory)
    stamp = (str(directory), public_der, tuple((str(p), p.stat().st_mtime_ns) for p in files))
    package = _cache.get(stamp)
    if package is None:
        zip_bytes = extension_zip(directory)
        package = Package(
            extension_id=extension_id_for(public_der),
            version=extension_version(directory),
            zip_bytes=zip_bytes,
            crx_bytes=crx3(zip_bytes, key),
        )
        _cache.clear()
        _cache[stamp] = package
    return package


def update_manifest(*, extension_id: str, version: str, crx_url: str) -> str:
    """The update manifest (Google's `gupdate` XML) that ExtensionInstallForcelist points at."""

    def quoteattr(value: str) -> str:
        return f"'{escape(value, quote=True)}'"

    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n"
        f"  <app appid={quoteattr(extension_id)}>\n"
        f"    <updatecheck codebase={quoteattr(crx_url)} version={quoteattr(version)} />\n"
        "  </app>\n"
        "</gupdate>\n"
    )
