from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from familypairing.celery import app


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: teens on their own page, everyone else on the guardian dashboard."""
    if request.user.is_teen:
        return redirect("teen_home")
    return redirect("dashboard")


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; the class name says which
        return type(exc).__name__
    return None


def _broker_ok() -> str | None:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return type(exc).__name__
    return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    failing = [name for name, error in checks.items() if error]
    body = {
        "status": "ok" if not failing else "error",
        "checks": {
            name: ("ok" if error is None else f"error: {error}") for name, error in checks.items()
        },
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def not_offered(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"status": 404, "errors": [{"message": "Family Pairing does not use phone numbers."}]},
        status=404,
    )
