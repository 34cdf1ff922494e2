from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from tests.access.cast import app_token, build_cast


@pytest.fixture
def fuzz_cast(transactional_db, alice, bob, tom, tina, carl, uma):
    # Committed data (not one rolled-back transaction): each fuzzed request commits or rolls
    # back on its own, as in production, so one failed statement cannot poison the next ones
    # on PostgreSQL, and on-commit work (tasks, e-mails) runs.
    return build_cast(alice=alice, bob=bob, tom=tom, tina=tina, carl=carl, uma=uma)


@pytest.fixture
def api_schema(fuzz_cast):
    """The live schema, called in-process through WSGI (no server, no network)."""
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def credentials(fuzz_cast):
    """Headers for each role the API serves: an app token for people, a bearer for devices."""

    def for_role(role: str) -> dict[str, str]:
        if role == "device":
            return {"Authorization": f"Bearer {fuzz_cast.device_tokens['device']}"}
        user = {"guardian": fuzz_cast.alice, "teen": fuzz_cast.tom}[role]
        return {"X-Session-Token": app_token(user)}

    return for_role
