"""The enterprise policy that force-installs the extension on a teen's computer, for Linux, macOS
and Windows, in Chrome (and Chromium, Brave) and Edge (issue 15).

Each file sets, as Chrome's and Edge's policy lists document:

- `ExtensionInstallForcelist`: `<extension id>;<update manifest URL>` (installed, kept installed,
  cannot be switched off or removed by the user);
- private browsing off: Chrome's `IncognitoModeAvailability` = 1, Edge's
  `InPrivateModeAvailability` = 1 (in a private window the extension would not run);
- `BrowserGuestModeEnabled` = false and `BrowserAddPersonEnabled` = false (a guest window or a
  new profile has no extension either);
- the extension's own managed setting `server` (its `managed_schema.json`, read from
  `chrome.storage.managed`): the options page opens with this server's address filled in. In
  JSON that is `3rdparty.extensions.<id>`; on Windows the key `3rdparty\\extensions\\<id>\\policy`;
  on macOS a payload of type `<browser domain>.extensions.<id>`.

Where they go: Linux reads JSON from /etc/opt/chrome/policies/managed/ (Chrome),
/etc/chromium/policies/managed/ (Chromium), /etc/brave/policies/managed/ (Brave) and
/etc/opt/edge/policies/managed/ (Edge); macOS takes a configuration profile (.mobileconfig) with
one payload per browser; Windows takes the values under HKLM\\SOFTWARE\\Policies (a .reg file).
"""

from __future__ import annotations

import json
import plistlib
import uuid
from dataclasses import dataclass

LINUX_CHROME_DIRS = (
    "/etc/opt/chrome/policies/managed",
    "/etc/chromium/policies/managed",
    "/etc/brave/policies/managed",
)
LINUX_EDGE_DIR = "/etc/opt/edge/policies/managed"
POLICY_FILE_NAME = "family-pairing.json"
# Windows registry keys of the Chromium-based browsers' policies.
WINDOWS_KEYS = {
    "chrome": r"SOFTWARE\Policies\Google\Chrome",
    "chromium": r"SOFTWARE\Policies\Chromium",
    "brave": r"SOFTWARE\Policies\BraveSoftware\Brave",
    "edge": r"SOFTWARE\Policies\Microsoft\Edge",
}
# macOS preference domains of the same browsers.
MACOS_DOMAINS = {
    "Google Chrome": "com.google.Chrome",
    "Chromium": "org.chromium.Chromium",
    "Brave": "com.brave.Browser",
    "Microsoft Edge": "com.microsoft.Edge",
}
PROFILE_NAMESPACE = uuid.UUID("5b0c1d52-8f7e-4c1a-9a53-6f1e2d7c9b10")


@dataclass(frozen=True)
class ExtensionSource:
    extension_id: str
    update_url: str
    server_url: str

    @property
    def forcelist_entry(self) -> str:
        return f"{self.extension_id};{self.update_url}"


def chrome_policy(source: ExtensionSource) -> dict:
    """Chrome's, Chromium's and Brave's policy names and values."""
    return {
        "ExtensionInstallForcelist": [source.forcelist_entry],
        "IncognitoModeAvailability": 1,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
    }


def edge_policy(source: ExtensionSource) -> dict:
    """Edge's: the same, but private browsing is `InPrivateModeAvailability`."""
    return {
        "ExtensionInstallForcelist": [source.forcelist_entry],
        "InPrivateModeAvailability": 1,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
    }


def extension_settings(source: ExtensionSource) -> dict:
    """The extension's own managed settings (clients/chromium/managed_schema.json)."""
    return {"server": source.server_url}


def linux_json(source: ExtensionSource, *, edge: bool = False) -> str:
    policy = edge_policy(source) if edge else chrome_policy(source)
    policy["3rdparty"] = {"extensions": {source.extension_id: extension_settings(source)}}
    return json.dumps(policy, indent=2) + "\n"


def macos_mobileconfig(source: ExtensionSource) -> bytes:
    """A configuration profile with one payload per browser. UUIDs are fixed for a server and
    extension, so installing a newer copy replaces the profile instead of adding a second."""
    seed = source.forcelist_entry
    payloads = []
    for name, domain in MACOS_DOMAINS.items():
        policy = edge_policy(source) if domain == "com.microsoft.Edge" else chrome_policy(source)
        payloads.append(
            {
                "PayloadType": domain,
                "PayloadIdentifier": f"org.familypairing.browser.{domain}",
                "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, f"{seed}|{domain}")).upper(),
                "PayloadVersion": 1,
                "PayloadDisplayName": f"Family Pairing for {name}",
                **policy,
            }
        )
        extension_domain = f"{domain}.extensions.{source.extension_id}"
        payloads.append(
            {
                "PayloadType": extension_domain,
                "PayloadIdentifier": f"org.familypairing.browser.{extension_domain}",
                "PayloadUUID": str(
                    uuid.uuid5(PROFILE_NAMESPACE, f"{seed}|{extension_domain}")
                ).upper(),
                "PayloadVersion": 1,
                "PayloadDisplayName": f"Family Pairing's server for {name}",
                **extension_settings(source),
            }
        )
    profile = {
        "PayloadContent": payloads,
        "PayloadDisplayName": "Family Pairing browser rules",
        "PayloadDescription": "Installs the Family Pairing extension in Chrome, Chromium, Brave "
        "and Edge, keeps it installed, and turns off private and guest windows.",
        "PayloadIdentifier": "org.familypairing.browser",
        "PayloadOrganization": "Family Pairing",
        "PayloadScope": "System",
        "PayloadType": "Configuration",
        "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, seed)).upper(),
        "PayloadVersion": 1,
        "PayloadRemovalDisallowed": False,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=False)


def _reg_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reg_value(value) -> str:
    if isinstance(value, bool):
        return f"dword:{int(value):08x}"
    if isinstance(value, int):
        return f"dword:{value:08x}"
    return _reg_string(str(value))


def windows_reg(source: ExtensionSource) -> bytes:
    """A registry file (Regedit 5: UTF-16 little-endian with a byte-order mark, CRLF)."""
    lines = ["Windows Registry Editor Version 5.00", ""]
    for browser, key in WINDOWS_KEYS.items():
        policy = edge_policy(source) if browser == "edge" else chrome_policy(source)
        forcelist = policy.pop("ExtensionInstallForcelist")
        lines.append(f"[HKEY_LOCAL_MACHINE\\{key}]")
        lines += [f"{_reg_string(name)}={_reg_value(value)}" for name, value in policy.items()]
        lines.append("")
        lines.append(f"[HKEY_LOCAL_MACHINE\\{key}\\ExtensionInstallForcelist]")
        lines += [f'"{index}"={_reg_string(entry)}' for index, entry in enumerate(forcelist, 1)]
        lines.append("")
        lines.append(
            f"[HKEY_LOCAL_MACHINE\\{key}\\3rdparty\\extensions\\{source.extension_id}\\policy]"
        )
        lines += [
            f"{_reg_string(name)}={_reg_value(value)}"
            for name, value in extension_settings(source).items()
        ]
        lines.append("")
    return "\ufeff".encode("utf-16-le") + "\r\n".join(lines).encode("utf-16-le")
