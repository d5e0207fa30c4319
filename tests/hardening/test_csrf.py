"""CSRF is enforced on every route of the URLconf (enumerated, so new routes are covered)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from .conftest import logged_in
from .routes import all_routes

pytestmark = pytest.mark.django_db

#: Routes that may take a POST without a CSRF token, and why that is safe.
CSRF_EXEMPT = {
    "api:": "DRF views authenticate by API key header only (no session), so a forged "
    "cross-site request carries no credentials",
    "hsds:": "the HSDS 3.0 API (DRF, read-only, API key header only, like api:)",
    "schema": "the OpenAPI schema (DRF, read-only)",
    "api-docs": "the Swagger UI page (DRF, read-only)",
    "directory:alert-unsubscribe": "one-click unsubscribe (RFC 8058): mail clients POST with no "
    "form; the unguessable token in the address is the credential, and the only change it can "
    "make is stopping that one alert",
}


def exemption(name: str) -> str | None:
    return next((why for prefix, why in CSRF_EXEMPT.items() if name.startswith(prefix)), None)


def test_every_route_refuses_a_post_without_a_csrf_token(superuser):
    client = logged_in(superuser, enforce_csrf_checks=True)
    routes = all_routes()
    refused = []
    for route in routes:
        url, _values = route.placeholder_url()
        response = client.post(url, {"name": "Forged", "action": "approve", "email": "x@x.org"})
        if exemption(route.name):
            view = getattr(route.callback, "cls", None)
            if not route.name.startswith(("api:", "hsds:", "schema", "api-docs")):
                assert getattr(route.callback, "csrf_exempt", False), route
                continue
            assert getattr(route.callback, "csrf_exempt", False), route
            from rest_framework.authentication import SessionAuthentication

            classes = view().get_authenticators() if view else []
            assert not any(isinstance(a, SessionAuthentication) for a in classes), route
            continue
        assert response.status_code == 403, f"{route.name} {url}: {response.status_code}"
        assert b"CSRF" in response.content, route.name
        refused.append(route.name)
    assert len(refused) > 100  # the admin's, allauth's and ours
    for name in (
        "directory:submit-organization",
        "directory:report",
        "set_language",
        "account_login",
        "account_logout",
        "directory:curate-decide",
        "admin:directory_organization_change",
    ):
        assert name in refused


def test_every_post_form_in_our_templates_carries_the_token():
    forms = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
    checked = 0
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for form in forms.findall(path.read_text(encoding="utf-8")):
            opening = form[: form.index(">") + 1].lower()
            if 'method="post"' in opening:
                checked += 1
                assert "{% csrf_token %}" in form, path
    assert checked >= 10
