"""No open redirects: a ``next`` (or a Referer) pointing off-site is never followed."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme

from .conftest import PASSWORD, logged_in, make_user
from .routes import all_routes

pytestmark = pytest.mark.django_db

EVIL = [
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http:evil.example",
    "https:/\\evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example@testserver",
    "http://testserver@evil.example",
    "http://evil.example\\@testserver",
    "/%09/evil.example",
]


def assert_stays_here(response, what) -> None:
    if response.status_code not in (301, 302, 303, 307, 308):
        return
    location = response["Location"]
    assert url_has_allowed_host_and_scheme(location, {"testserver"}), (what, location)
    assert "evil" not in (urlsplit(location.strip()).netloc or ""), (what, location)
    assert not location.lstrip().lower().startswith(("javascript:", "data:")), (what, location)


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_ignores_an_off_site_next(target):
    make_user("ana")
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "ana@example.org", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302  # signed in
    assert_stays_here(response, "login")
    page = Client().get("/accounts/login/", {"next": target})
    assert page.status_code == 200


def test_sign_out_and_the_language_switcher_ignore_off_site_targets():
    user = make_user("ben")
    for target in EVIL:
        client = logged_in(user)
        assert_stays_here(client.post("/accounts/logout/", {"next": target}), f"logout {target}")
        response = Client().post("/i18n/setlang/", {"language": "es", "next": target})
        assert response.status_code == 302
        assert_stays_here(response, f"setlang {target}")
        response = Client().post(
            "/i18n/setlang/", {"language": "es"}, HTTP_REFERER=target.replace("\\", "/")
        )
        assert_stays_here(response, f"setlang referer {target}")


def test_curators_next_stays_on_the_site(curator):
    from tests.factories import InitiativeFactory

    client = logged_in(curator)
    for target in EVIL:
        initiative = InitiativeFactory(status="pending", published_at=None)
        response = client.post(
            f"/curate/decide/initiative/{initiative.pk}/", {"action": "approve", "next": target}
        )
        assert_stays_here(response, f"decide {target}")


def test_no_route_redirects_off_site_whatever_next_says(two_orgs, curator):
    """Every route (the admin's object pages aside), anonymous and signed in, GET and POST."""
    clients = {
        "anonymous": Client(),
        "member": logged_in(two_orgs["attacker"]),
        "curator": logged_in(curator),
    }
    redirects = 0
    for route in all_routes():
        if route.name.startswith("admin:") and route.params:
            continue
        url, _ = route.placeholder_url()
        for who, client in clients.items():
            for method, target in (("get", "//evil.example"), ("post", "https://evil.example/")):
                response = getattr(client, method)(url, {"next": target, "language": "es"})
                assert response.status_code < 500, (who, method, url)
                assert_stays_here(response, f"{who} {method} {url}")
                redirects += response.status_code in (301, 302, 303)
    assert redirects > 20
