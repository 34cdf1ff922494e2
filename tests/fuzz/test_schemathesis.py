"""Schemathesis against the OpenAPI schema: every operation, as a guardian, a teen and a device.

Every response must not be a 5xx, must carry a status code the schema documents for that operation
(an undocumented one is a bug in the view or in its `extend_schema`), must have the documented
content type and body, and an operation that needs authentication must refuse the same request
without credentials (schemathesis re-sends it: its `ignored_auth` check). Each operation is
fuzzed with schema-valid and schema-invalid input, with ids of the caller's own family in the
path (so requests get past the access check into validation), and with generated ids. Bounded and
derandomized: the same few examples on every run, a minute or two for all three roles.

schemathesis' own pytest integration (`schemathesis.pytest.from_fixture`) does not run on pytest 9
(it writes `Node._nodeid`, which pytest 9 removed), so the operations are driven here with
`operation.as_strategy()` and hypothesis directly; failures are gathered and reported per
operation, each with a `curl` line that reproduces it.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = 6
DEVICE_SCHEME = "deviceToken"
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a CI failure reproduces locally
    suppress_health_check=list(HealthCheck),
    database=None,
    report_multiple_bugs=False,
)


# Path arguments and the cast object they name (tests/access/cast.py builds them in tom's family).
OWN_OBJECTS = {
    "device_id": "device",
    "window_id": "window",
    "time_request_id": "time_request",
    "link_id": "link",
    "request_id": "unlink_request",
    "invitation_id": "invitation",
}


def own_path_values(cast) -> dict[str, object]:
    """Ids in tom's family: the guardian's, the teen's and the device's own objects."""
    values: dict[str, object] = {"teen_id": cast.tom.pk}
    values.update({name: cast.objects[key].pk for name, key in OWN_OBJECTS.items()})
    return values


def serves(operation, role: str) -> bool:
    """Whether the operation is meant for this kind of caller (devices have their own API)."""
    schemes = {
        name
        for requirement in operation.definition.raw.get("security", [{}])
        for name in requirement
    }
    device_only = schemes == {DEVICE_SCHEME}
    return device_only if role == "device" else not device_only


def _resolves(path: str) -> bool:
    try:
        resolve(unquote(path.split("?")[0]))
    except Resolver404:
        return False
    return True


def fuzz_operation(operation, *, headers, path_values, mode) -> str | None:
    """Run one operation's bounded examples; the first failure as text, or None."""
    names = {p.name for p in operation.path_parameters} if operation.path_parameters else set()
    fixed = {name: value for name, value in path_values.items() if name in names} or None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    @BOUNDED
    @given(case=strategy)
    def run(case):
        # A path the URL router cannot match (`/teens/-1/`, `/teens/1.5e-7/`) never reaches an
        # API view: Django's plain 404 answers it, which is not the API's to document.
        assume(_resolves(case.formatted_path))
        # Not checked: that every schema-valid request succeeds. Business rules the schema
        # cannot express (a code that expired, a request already open) rightly answer a
        # documented 400/409.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    try:
        run()
    except Unsatisfiable:  # negative input for an operation with nothing to make invalid
        return None
    except (Exception, BaseExceptionGroup) as exc:  # a failed check, a 5xx, an undocumented status
        where = (", own ids" if fixed else ", generated ids") if names else ""
        return f"{operation.label} ({mode.value} input{where}):\n{exc}"
    return None


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ["guardian", "teen", "device"])
def test_the_api_survives_anything_sent_by(role, api_schema, fuzz_cast, credentials):
    headers = credentials(role)
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations, "the schema lists no operations"
    own = own_path_values(fuzz_cast)
    for operation in operations:
        if serves(operation, role):
            passes = [(GenerationMode.POSITIVE, own), (GenerationMode.NEGATIVE, own)]
            if operation.path_parameters:
                passes.append((GenerationMode.POSITIVE, {}))  # strangers' and unknown ids
        else:  # not this caller's API: one pass shows the refusal is clean and documented
            passes = [(GenerationMode.POSITIVE, own)]
        for mode, path_values in passes:
            failure = fuzz_operation(operation, headers=headers, path_values=path_values, mode=mode)
            if failure:
                failures.append(failure)
                break
    assert not failures, f"{len(failures)} failing as {role}:\n\n" + "\n\n".join(failures)
