"""The OpenAPI document's finishing touches (drf-spectacular postprocessing hook).

Spectral's `spectral:oas` rules want a description on every operation. Where a view gives only
a summary, the description says the summary again with who may call the operation, which is
what a client author needs next; views with more to say carry their own description.
"""

from __future__ import annotations

WHO = {
    "deviceToken": "Called by a device with its token (`Authorization: Bearer fpd_…`); it acts "
    "for its own teen only.",
    "appSessionToken": "Called by a signed-in person: an app with allauth's headless session "
    "token (`X-Session-Token`) or a browser session. Another family's objects answer 404.",
    None: "Needs no credentials.",
}


def describe_operations(result, generator, request, public):
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or operation.get("description"):
                continue
            security = operation.get("security")
            scheme = next(iter(security[0]), None) if security else None
            summary = operation.get("summary", "").rstrip(".")
            operation["description"] = f"{summary}. {WHO.get(scheme, WHO['appSessionToken'])}"
    return result
