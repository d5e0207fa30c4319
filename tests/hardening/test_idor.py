"""No insecure direct object references: a member of one organization, guessing or copying the
slugs, ids and tokens of another organization's things, reaches none of them.

Every route of the URLconf that takes an argument must appear in ``CASES`` (or be an admin
route, which a non-staff account never reaches), so a new object route cannot be forgotten.
"""

import uuid

import pytest

from directory.models import Membership

from .conftest import logged_in
from .routes import all_routes

pytestmark = pytest.mark.django_db

NOT_FOUND = {404}
SIGN_IN = {302, 403}  # bounced to the sign-in page (curators' pages) or refused
HIJACK = {
    "name": "Hijacked",
    "title": "Hijacked",
    "summary": "Hijacked",
    "scope": "national",
    "action": "approve",
    "email": "attacker@example.org",
    "evidence": "message",
    "message": "It is mine now.",
    "kind": "spam",
}


def listing_kinds(o):
    return [
        ({"kind": "organizations", "slug": "theirs"}, NOT_FOUND),
        ({"kind": "organizations", "slug": "their-pending-org"}, NOT_FOUND),
        ({"kind": "initiatives", "slug": "their-work"}, NOT_FOUND),
        ({"kind": "initiatives", "slug": "their-pending"}, NOT_FOUND),
        ({"kind": "events", "slug": "their-event"}, NOT_FOUND),
    ]


def their_membership(o):
    return Membership.objects.get(user=o["victim"], organization=o["theirs"])


def victim_endpoint():
    """Another partner's webhook endpoint (the same one for every route that asks)."""
    from directory.models import WebhookEndpoint
    from tests.factories import APIKeyFactory

    endpoint = WebhookEndpoint.objects.filter(description="victim").first()
    return endpoint or WebhookEndpoint.objects.create(
        key=APIKeyFactory(),
        url="https://partner.example.org/hook",
        events=[],
        description="victim",
        contact_email="ops@partner.example.org",
    )


def random_token(o):
    return [({"token": uuid.uuid4().hex}, NOT_FOUND)]


#: route name → (why, the victim's objects to try: [(arguments, allowed statuses)])
CASES = {
    "directory:listing-edit": ("members only", listing_kinds),
    "directory:listing-withdraw": ("members only", listing_kinds),
    "directory:listing-confirm": ("members only", listing_kinds),
    "directory:invite": (
        "owners only",
        lambda o: [({"slug": "theirs"}, NOT_FOUND), ({"slug": "their-pending-org"}, NOT_FOUND)],
    ),
    "directory:members": (
        "owners only",
        lambda o: [({"slug": "theirs"}, NOT_FOUND), ({"slug": "their-pending-org"}, NOT_FOUND)],
    ),
    "directory:membership-remove": (
        "owners only, and only the members of their own organization",
        lambda o: [
            ({"slug": slug, "pk": their_membership(o).pk}, NOT_FOUND) for slug in ("theirs", "mine")
        ],
    ),
    "directory:invitation-revoke": (
        "owners only, and only their own organization's invitations",
        lambda o: [
            ({"slug": slug, "pk": o["invitation"].pk}, NOT_FOUND) for slug in ("theirs", "mine")
        ],
    ),
    "directory:change-detail": ("members only", lambda o: [({"pk": o["change"].pk}, NOT_FOUND)]),
    "directory:claim": (
        "anyone may ask curators to manage a published listing; not a pending one",
        lambda o: [({"slug": "their-pending-org"}, NOT_FOUND)],
    ),
    "directory:claim-verify": ("the token is the proof (sent to the work address)", random_token),
    "directory:invitation-accept": (
        "the invitation is for its e-mail address only",
        lambda o: [({"token": o["invitation"].token}, {302}), *random_token(o)],
    ),
    "directory:alert-confirm": ("the token is the proof (sent to the address)", random_token),
    "directory:alert-unsubscribe": ("the token is the proof (sent to the address)", random_token),
    "directory:report": (
        "anyone may report a published listing; not a pending one",
        lambda o: [
            ({"kind": "initiatives", "slug": "their-pending"}, NOT_FOUND),
            ({"kind": "organizations", "slug": "their-pending-org"}, NOT_FOUND),
        ],
    ),
    "directory:curate-decide": (
        "curators only",
        lambda o: [
            ({"kind": "initiative", "pk": o["pending_initiative"].pk}, SIGN_IN),
            ({"kind": "claim", "pk": o["claim"].pk}, SIGN_IN),
            ({"kind": "change", "pk": o["change"].pk}, SIGN_IN),
        ],
    ),
    "directory:curate-history": (
        "curators only",
        lambda o: [({"kind": "initiatives", "slug": "their-pending"}, SIGN_IN)],
    ),
    "directory:curate-sources": (
        "curators only",
        lambda o: [({"kind": "initiatives", "slug": "their-pending"}, SIGN_IN)],
    ),
    "directory:curate-revert": (
        "curators only",
        lambda o: [
            (
                {
                    "kind": "initiatives",
                    "slug": "their-work",
                    "history_id": o["initiative"].history.first().history_id,
                },
                SIGN_IN,
            )
        ],
    ),
    "directory:initiative-detail": (
        "public when published; not pending",
        lambda o: [({"slug": "their-pending"}, NOT_FOUND)],
    ),
    "directory:organization-detail": (
        "public when published; not pending",
        lambda o: [({"slug": "their-pending-org"}, NOT_FOUND)],
    ),
    "directory:event-detail": (
        "public when published; not pending",
        lambda o: [({"slug": "their-event"}, NOT_FOUND)],
    ),
    "directory:event-ics": (
        "public when published; not pending",
        lambda o: [({"slug": "their-event"}, NOT_FOUND)],
    ),
    "api:initiative-detail": (
        "public when published; not pending",
        lambda o: [({"id": str(o["pending_initiative"].uuid)}, NOT_FOUND)],
    ),
    "api:organization-detail": (
        "public when published; not pending",
        lambda o: [({"id": str(o["pending_org"].uuid)}, NOT_FOUND)],
    ),
    "api:event-detail": (
        "public when published; not pending",
        lambda o: [({"id": str(o["pending_event"].uuid)}, NOT_FOUND)],
    ),
    **{
        f"api:webhook-{action}": (
            "a partner's own endpoints, by its API key; a session is no key",
            lambda o: [({"id": str(victim_endpoint().uuid)}, {401, 403})],
        )
        for action in ("detail", "deliveries", "ping", "resume")
    },
    **{
        f"hsds:{kind}-detail": (
            "public when published; not pending (HSDS read API)",
            lambda o: [
                ({"id": str(o["pending_initiative"].uuid)}, NOT_FOUND),
                ({"id": str(o["pending_org"].uuid)}, NOT_FOUND),
            ],
        )
        for kind in (
            "services",
            "organizations",
            "locations",
            "service_at_locations",
            "taxonomies",
            "taxonomy_terms",
        )
    },
    "goals:goal-detail": ("the public taxonomy", lambda o: []),
    "roles:role-detail": ("the public taxonomy", lambda o: []),
    "api:goal-detail": ("the public taxonomy", lambda o: []),
    "api:role-detail": ("the public taxonomy", lambda o: []),
    "api:role-group-detail": ("the public taxonomy", lambda o: []),
    "api:language-detail": ("the public list of languages", lambda o: []),
    "account_confirm_email": (
        "allauth: the key is the proof",
        lambda o: [({"key": "forged-key"}, {200, 302, 404})],
    ),
    "account_reset_password_from_key": (
        "allauth: the key is the proof",
        lambda o: [({"uidb36": "2", "key": "set-password"}, {200, 302})],
    ),
}


def test_every_route_with_an_argument_is_classified():
    unclassified = [
        route.name
        for route in all_routes()
        if route.params and route.name not in CASES and not route.name.startswith("admin:")
    ]
    assert unclassified == [], "say who may reach these routes (CASES in test_idor.py)"


def test_a_member_reaches_nothing_of_another_organization(two_orgs):
    o = two_orgs
    client = logged_in(o["attacker"])
    tried = 0
    for route in all_routes():
        if route.name not in CASES:
            continue
        for values, allowed in CASES[route.name][1](o):
            url = route.url(**values)
            for method in ("get", "post"):
                response = getattr(client, method)(url, HIJACK)
                if response.status_code == 405:
                    continue  # the route does not take this method at all
                assert response.status_code in allowed, (method, url, response.status_code)
                if response.status_code == 302 and allowed is SIGN_IN:
                    assert response["Location"].startswith("/accounts/login/"), url
                tried += 1
    assert tried >= 40
    assert_untouched(o)


def test_admin_object_routes_turn_a_member_away(two_orgs):
    client = logged_in(two_orgs["attacker"])
    admin_routes = [r for r in all_routes() if r.name.startswith("admin:") and r.params]
    assert len(admin_routes) > 40
    for route in admin_routes:
        url, _ = route.placeholder_url()
        for method in ("get", "post"):
            response = getattr(client, method)(url, HIJACK)
            assert response.status_code in (302, 403, 404), (url, response.status_code)
            if response.status_code == 302:
                assert "/login/" in response["Location"], url
    assert_untouched(two_orgs)


def assert_untouched(o):
    for key in ("theirs", "pending_org", "initiative", "pending_initiative", "pending_event"):
        before = o[key]
        after = type(before).objects.get(pk=before.pk)
        assert (after.status, str(after)) == (before.status, str(before)), key
        assert after.last_verified_at == before.last_verified_at, key
    assert their_membership(o).role == "owner"
    assert list(
        Membership.objects.filter(user=o["attacker"]).values_list("organization__slug", flat=True)
    ) == ["mine"]
    o["change"].refresh_from_db()
    o["claim"].refresh_from_db()
    o["invitation"].refresh_from_db()
    o["report"].refresh_from_db()
    assert o["change"].status == "pending" and o["claim"].status == "pending"
    assert o["invitation"].accepted_at is None and o["report"].state == "open"
    assert not o["theirs"].change_requests.exclude(pk=o["change"].pk).exists()
    assert not o["initiative"].change_requests.exists()
    assert not o["theirs"].invitations.exclude(pk=o["invitation"].pk).exists()
