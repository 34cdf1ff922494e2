"""The browser extension as the server serves it: a CRX3 that verifies, its update manifest, the
enterprise policy files (for the teen's guardians only), and `GET /api/v1/device/about`."""

from __future__ import annotations

import hashlib
import io
import json
import plistlib
import struct
import zipfile

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from accounts.devices.extension_package import extension_id_for, extension_package
from tests.device_support import auth, register
from tests.factories import UserFactory, link

pytestmark = pytest.mark.django_db


def _fields(data: bytes) -> list[tuple[int, bytes]]:
    """Length-delimited protobuf fields (all a CRX3 header has)."""
    fields, offset = [], 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        assert key & 7 == 2, "only length-delimited fields"
        length, offset = _varint(data, offset)
        fields.append((key >> 3, data[offset : offset + length]))
        offset += length
    return fields


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset


def test_the_crx_is_a_signed_crx3_of_the_extension(client):
    response = client.get("/extension/family-pairing.crx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-chrome-extension"
    crx = response.content
    assert crx[:4] == b"Cr24"
    version, header_length = struct.unpack("<II", crx[4:12])
    assert version == 3
    header = dict(_fields(crx[12 : 12 + header_length]))
    archive = crx[12 + header_length :]
    proof = dict(_fields(header[2]))
    signed_header_data = header[10000]
    crx_id = dict(_fields(signed_header_data))[1]
    assert crx_id == hashlib.sha256(proof[1]).digest()[:16]
    public_key = serialization.load_der_public_key(proof[1])
    public_key.verify(  # raises if the signature is wrong
        proof[2],
        b"CRX3 SignedData\x00"
        + struct.pack("<I", len(signed_header_data))
        + signed_header_data
        + archive,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert {"manifest.json", "background.js", "block.html", "lib/rules.js"} <= set(names)
    assert not [name for name in names if name.startswith("test/")]
    assert extension_id_for(proof[1]) == extension_package().extension_id
    assert len(extension_package().extension_id) == 32
    assert set(extension_package().extension_id) <= set("abcdefghijklmnop")


def test_the_same_key_gives_the_same_id_and_bytes(client):
    first = extension_package()
    assert extension_package() == first
    assert client.get("/extension/family-pairing.zip").content == first.zip_bytes


def test_the_update_manifest_names_the_id_version_and_crx(client):
    package = extension_package()
    response = client.get("/extension/updates.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"appid='{package.extension_id}'" in body
    assert "codebase='http://testserver/extension/family-pairing.crx'" in body
    assert f"version='{package.version}'" in body


def test_the_extension_files_refuse_other_methods(client):
    assert client.post("/extension/family-pairing.crx").status_code == 405


def _forcelist(package) -> str:
    return f"{package.extension_id};http://testserver/extension/updates.xml"


def test_linux_policies_force_install_and_turn_off_private_and_guest(alice_client, tom):
    package = extension_package()
    chrome = alice_client.get(f"/teens/{tom.pk}/browser-extension/linux-chrome.json")
    assert chrome.status_code == 200
    assert chrome["Content-Disposition"] == 'attachment; filename="family-pairing.json"'
    assert json.loads(chrome.content) == {
        "ExtensionInstallForcelist": [_forcelist(package)],
        "IncognitoModeAvailability": 1,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
        # The extension's own setting: its options page opens with this server filled in.
        "3rdparty": {"extensions": {package.extension_id: {"server": "http://testserver"}}},
    }
    edge = json.loads(
        alice_client.get(f"/teens/{tom.pk}/browser-extension/linux-edge.json").content
    )
    assert edge["InPrivateModeAvailability"] == 1
    assert "IncognitoModeAvailability" not in edge


def test_the_macos_profile_has_a_payload_per_browser(alice_client, tom):
    response = alice_client.get(f"/teens/{tom.pk}/browser-extension/macos.mobileconfig")
    assert response.status_code == 200
    profile = plistlib.loads(response.content)
    assert profile["PayloadType"] == "Configuration"
    by_domain = {payload["PayloadType"]: payload for payload in profile["PayloadContent"]}
    browsers = {
        "com.google.Chrome",
        "org.chromium.Chromium",
        "com.brave.Browser",
        "com.microsoft.Edge",
    }
    assert browsers <= set(by_domain)
    assert len(by_domain) == 2 * len(browsers)  # and one payload each for the extension's setting
    assert by_domain["com.google.Chrome"]["ExtensionInstallForcelist"] == [
        _forcelist(extension_package())
    ]
    assert by_domain["com.google.Chrome"]["IncognitoModeAvailability"] == 1
    assert by_domain["com.microsoft.Edge"]["InPrivateModeAvailability"] == 1
    assert by_domain["com.brave.Browser"]["BrowserGuestModeEnabled"] is False
    extension_id = extension_package().extension_id
    for domain in ("com.google.Chrome", "com.microsoft.Edge"):
        assert by_domain[f"{domain}.extensions.{extension_id}"]["server"] == "http://testserver"
    # The same file twice replaces the profile rather than adding another.
    again = alice_client.get(f"/teens/{tom.pk}/browser-extension/macos.mobileconfig")
    assert plistlib.loads(again.content)["PayloadUUID"] == profile["PayloadUUID"]


def test_the_windows_registry_file(alice_client, tom):
    response = alice_client.get(f"/teens/{tom.pk}/browser-extension/windows.reg")
    assert response.status_code == 200
    assert response.content[:2] == b"\xff\xfe"  # UTF-16 LE byte-order mark
    text = response.content[2:].decode("utf-16-le")
    assert text.startswith("Windows Registry Editor Version 5.00\r\n")
    assert "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome]" in text
    assert '"IncognitoModeAvailability"=dword:00000001' in text
    assert '"BrowserGuestModeEnabled"=dword:00000000' in text
    assert (
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge\\ExtensionInstallForcelist]"
        in text
    )
    assert '"InPrivateModeAvailability"=dword:00000001' in text
    assert f'"1"="{_forcelist(extension_package())}"' in text
    extension_id = extension_package().extension_id
    edge_key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge"
    assert f"[{edge_key}\\3rdparty\\extensions\\{extension_id}\\policy]" in text
    assert '"server"="http://testserver"' in text


def test_the_install_page_is_for_the_teens_guardians_only(client, alice, bob, tom):
    client.force_login(alice)
    page = client.get(f"/teens/{tom.pk}/browser-extension/")
    assert page.status_code == 200
    assert extension_package().extension_id in page.content.decode()
    assert client.get(f"/teens/{tom.pk}/browser-extension/other.txt").status_code == 404
    client.force_login(bob)
    assert client.get(f"/teens/{tom.pk}/browser-extension/").status_code == 404
    assert client.get(f"/teens/{tom.pk}/browser-extension/windows.reg").status_code == 404
    client.force_login(tom)
    assert client.get(f"/teens/{tom.pk}/browser-extension/linux-chrome.json").status_code == 404
    client.logout()
    assert client.get(f"/teens/{tom.pk}/browser-extension/").status_code == 302


def test_a_device_learns_who_supervises_it(client, alice, tom):
    _, token = register(tom, name="Laptop")
    nameless = UserFactory(email="nameless@example.com", display_name="")
    link(nameless, tom)
    response = client.get("/api/v1/device/about", **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["teen_name"] == "Tom"
    assert body["guardian_names"] == ["A guardian", "Alice"]
    assert body["device"]["name"] == "Laptop"
    assert body["teen_page_url"] == "http://testserver/me/"
    assert "@" not in json.dumps(body)  # no e-mail addresses
    assert client.get("/api/v1/device/about").status_code == 401
