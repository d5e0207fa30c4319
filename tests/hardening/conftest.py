"""Fixtures for the hostile-input suite: people, two organizations that must not see each
other's things, listings whose every text field is a payload, and an HTML checker."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from directory.models import Event
from tests.factories import (
    PASSWORD,
    AlertFactory,
    ChangeRequestFactory,
    ClaimRequestFactory,
    CuratorFactory,
    EventFactory,
    InitiativeFactory,
    InvitationFactory,
    OrganizationFactory,
    ReportFactory,
    UserFactory,
)

from .payloads import PAYLOADS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing a password the production way takes most of a second on a busy machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(name: str, **extra):
    """``name``@example.org, confirmed, with the password ``PASSWORD``."""
    return UserFactory(username=name, password=PASSWORD, verified=True, **extra)


@pytest.fixture
def curator(db):
    return CuratorFactory(username="curator", password=PASSWORD)


@pytest.fixture
def superuser(db):
    return make_user("root", is_staff=True, is_superuser=True)


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def make_event(organization, **fields) -> Event:
    """A published in-person forum of ``organization`` five days ahead (``EventFactory``)."""
    fields.setdefault("starts_at", timezone.now() + timedelta(days=5))
    return EventFactory(organization=organization, **fields)


@pytest.fixture
def two_orgs(db):
    """An attacker who owns one organization and a victim who owns another, with one of every
    kind of object the victim has: the attacker must reach none of them."""
    attacker, victim = make_user("attacker"), make_user("victim")
    mine = OrganizationFactory(slug="mine", name="Mine", owner=attacker)
    theirs = OrganizationFactory(
        slug="theirs", name="Theirs", website="https://theirs.example", owner=victim
    )
    pending_org = OrganizationFactory(
        slug="their-pending-org",
        status="pending",
        published_at=None,
        submitted_by=victim,
        owner=victim,
    )
    unmanaged = OrganizationFactory(slug="unmanaged", website="https://unmanaged.example")
    objects = {
        "attacker": attacker,
        "victim": victim,
        "mine": mine,
        "theirs": theirs,
        "pending_org": pending_org,
        "unmanaged": unmanaged,
        "initiative": InitiativeFactory(organization=theirs, slug="their-work"),
        "pending_initiative": InitiativeFactory(
            organization=theirs,
            slug="their-pending",
            status="pending",
            published_at=None,
            submitted_by=victim,
        ),
        "pending_event": make_event(
            theirs, slug="their-event", status="pending", published_at=None, submitted_by=victim
        ),
        "change": ChangeRequestFactory(
            listing=theirs, proposed={"name": ["Renamed"]}, submitted_by=victim
        ),
        "claim": ClaimRequestFactory(
            user=victim, organization=unmanaged, evidence="message", message="I run it."
        ),
        "invitation": InvitationFactory(
            organization=theirs, email="friend@example.org", invited_by=victim
        ),
        "alert": AlertFactory(email="victim@example.org", kind="initiatives", query=""),
        "report": ReportFactory(listing=theirs, kind="outdated", message="Old."),
    }
    return objects


@pytest.fixture
def hostile(db):
    """For every payload: a published organization, initiative and event whose every text field
    is that payload (as if an older version, an import or a curator had let it in)."""
    rows = []
    for n, payload in enumerate(PAYLOADS):
        org = OrganizationFactory(
            slug=f"hostile-org-{n}",
            name=payload,
            summary=payload,
            description=payload,
            website=f"https://org{n}.example/?q=%22%3E",
            email=f"org{n}@example.org",
        )
        initiative = InitiativeFactory(
            organization=org,
            slug=f"hostile-{n}",
            title=payload,
            summary=payload,
            description=payload + "\nsecond line " + payload,
            get_involved=payload,
            postal_code="80302",
        )
        event = make_event(
            org,
            slug=f"hostile-event-{n}",
            title=payload,
            summary=payload,
            description=payload,
            cost=payload[:120],
            accessibility=payload,
            mode="hybrid",
            join_url=f"https://join{n}.example/",
        )
        rows.append((payload, org, initiative, event))
    return rows


class MarkupAudit(HTMLParser):
    """Collects what a page would *run*: scripts, event-handler attributes, script URLs."""

    SAFE_SCRIPT_TYPES = {"application/ld+json", "application/json"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []  # the text of inline JSON scripts
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and value:
                scheme = value.strip().lower().replace("\t", "").replace("\n", "")
                if scheme.startswith(("javascript:", "data:text/html", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if "src" not in attrs and attrs.get("type") not in self.SAFE_SCRIPT_TYPES:
                self.problems.append(f"inline <script {attrs}>")
            self._in_script = "src" not in attrs
            self.scripts.append("")
        if tag in ("iframe", "svg", "img") and any(
            v and ("evil" in v or v == "x") for v in attrs.values()
        ):
            self.problems.append(f"injected <{tag}>")
        if tag in ("x:evil",):
            self.problems.append("injected element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def audit_html(html: str) -> MarkupAudit:
    parser = MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser
