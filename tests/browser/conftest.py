"""Real-browser tests: Playwright (through pytest-playwright) drives Chromium against a live server.

Every test here is marked ``browser`` (``-m "not browser"`` leaves them out) and is
transactional: the live server answers from another thread, so what a test creates must be
committed, and pytest-django empties the database after each test. The taxonomy loaded once per
session in ``tests/conftest.py`` is therefore loaded again, per test, by ``taxonomy``.

The browser is the system's Chromium (``/usr/bin/chromium`` on Debian, or ``CHROMIUM_PATH``):
nothing is downloaded, and ``playwright install`` is never needed. Requests that leave the
machine (map tiles) are refused, so the tests never wait on a network they do not have.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from directory.models import Event, Language, Membership, Report
from goals.models import Goal
from roles.models import FinderAnswer, FinderWeight, Role, RoleGroup
from tests.factories import InitiativeFactory, OrganizationFactory

from .helpers import SOON, make_user

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Anything but the live server on the loopback interface.
OFFSITE = re.compile(r"^(?!https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?/)")
TIMEOUT_MS = 10_000


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests after every other database test.

    pytest-django runs transactional tests last because each one empties the database (the
    taxonomy included). pytest-playwright's session-scoped ``browser_name`` parameter makes
    pytest regroup the browser tests after that sort, in the middle of the suite; move them
    back to the end, keeping every other test where it was.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM_PATH).exists():
        raise pytest.UsageError(
            f"No Chromium at {CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH."
        )
    args = list(CHROMIUM_ARGS)
    if browser_type_launch_args.get("headless") is False:  # pytest --headed
        args.remove("--headless=new")
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": args}


@pytest.fixture(scope="session")
def _django_in_playwright_loop():
    """Let Django touch the database while Playwright's sync API runs its event loop.

    Playwright's sync API keeps an asyncio loop running on the main thread, so Django would
    refuse every ORM call from the tests ("you cannot call this from an async context"). The
    tests are plain synchronous code, so this is safe; the setting lasts only while the browser
    tests' Playwright is running.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def playwright(_django_in_playwright_loop, playwright):
    return playwright


@pytest.fixture(scope="session")
def base_url(live_server):
    """``page.goto("/initiatives/")`` goes to the live server."""
    return live_server.url


@pytest.fixture
def new_context(new_context):
    """Every browser context refuses off-machine requests and fails fast."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.route(OFFSITE, lambda route: route.abort())
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context

    return make


# In the order they refer to each other.
TAXONOMY_MODELS = (Goal, RoleGroup, Role, FinderAnswer, FinderWeight, Language)
_taxonomy_rows: list[list] = []


def _load_taxonomy() -> None:
    """``loaddata`` the first time; then insert the rows it made, five queries instead of ~700.

    Each transactional test starts from an empty database, and loading the fixtures by natural
    key again would cost most of a second per test.
    """
    if _taxonomy_rows and not Goal.objects.exists():
        for rows in _taxonomy_rows:
            rows[0].__class__.objects.bulk_create(rows)
        with connection.cursor() as cursor:  # the rows keep their ids: move sequences past them
            for sql in connection.ops.sequence_reset_sql(no_style(), TAXONOMY_MODELS):
                cursor.execute(sql)
        return
    call_command("loaddata", "goals", "roles", "role_finder", "languages", verbosity=0)
    _taxonomy_rows[:] = [list(model.objects.order_by("pk")) for model in TAXONOMY_MODELS]


@pytest.fixture
def taxonomy(transactional_db):
    """The real goals, roles and role-finder answers, as the product has them (the database is
    empty here)."""
    _load_taxonomy()
    return {
        "goal": {goal.slug: goal for goal in Goal.objects.all()},
        "role": {role.slug: role for role in Role.objects.all()},
    }


@pytest.fixture
def boulder(taxonomy):
    """Initiatives around Boulder, CO (ZIP 80302) and further away, for the citizen's search.

    Searching "conversation" near 80302 with the goal "Cultivate Compromise" and the role
    Facilitators finds exactly ``expected``; each of the others fails one condition.
    """
    goal, role = taxonomy["goal"], taxonomy["role"]
    org = OrganizationFactory(
        name="Front Range Dialogue", slug="front-range-dialogue", postal_code="80302"
    )
    make = InitiativeFactory
    listings = {
        "circles": make(
            title="Boulder neighbor conversations",
            slug="boulder-neighbor-conversations",
            organization=org,
            postal_code="80302",
            welcomes_newcomers=True,
            summary="Monthly conversations between neighbors who vote differently.",
            get_involved="Come to the next circle at the public library; no experience needed.",
            get_involved_url="https://example.org/circles/join",
            goals=[goal["compromise"]],
            roles=[role["facilitators"], role["bridge-builders"]],
        ),
        "walks": make(
            title="Lafayette conversation walks",
            slug="lafayette-conversation-walks",
            organization=org,
            postal_code="80026",
            summary="Walks where two people who disagree talk about one local question.",
            goals=[goal["compromise"]],
            roles=[role["facilitators"]],
        ),
        "online": make(
            title="Online conversation network",
            slug="online-conversation-network",
            scope="national",
            summary="Video conversations across the country, every week.",
            goals=[goal["compromise"], goal["reconciliation"]],
            roles=[role["facilitators"]],
        ),
        # Near and on topic, but another role.
        "cafe": make(
            title="Longmont conversation cafe",
            slug="longmont-conversation-cafe",
            postal_code="80501",
            summary="A weekly cafe for conversation about town issues.",
            goals=[goal["compromise"]],
            roles=[role["bridge-builders"]],
        ),
        # Same goal and role, far away.
        "chicago": make(
            title="Chicago conversation circles",
            slug="chicago-conversation-circles",
            postal_code="60601",
            summary="Conversation circles on the South Side.",
            goals=[goal["compromise"]],
            roles=[role["facilitators"]],
        ),
        # Near, same goal and role, but not about conversations.
        "polls": make(
            title="Boulder poll worker drive",
            slug="boulder-poll-worker-drive",
            postal_code="80302",
            summary="Recruits and trains election workers.",
            goals=[goal["compromise"]],
            roles=[role["facilitators"]],
        ),
    }
    listings["expected"] = {listings[key].title for key in ("circles", "walks", "online")}
    return listings


@pytest.fixture
def listings(taxonomy):
    """A small directory that shows every kind of badge, link and list a page can have, an
    event, a member with pending listings and a curator with a queue (an organization, an
    initiative and a problem report)."""
    goal, role = taxonomy["goal"], taxonomy["role"]
    network = OrganizationFactory(
        name="Bridge Alliance",
        slug="bridge-alliance",
        is_network=True,
        scope="national",
        source="paper",
        website="https://example.org",
        email="hello@example.org",
        description="A coalition of bridge-building groups.",
        last_verified_at=timezone.now(),
        goals=[goal["compromise"]],
        roles=[role["convenors"]],
    )
    local = OrganizationFactory(
        name="Boulder Civic Commons (example)",
        slug="boulder-civic-commons",
        postal_code="80302",
        is_demo=True,
        goals=[goal["reconciliation"]],
        roles=[role["facilitators"]],
    )
    local.networks.add(network)
    InitiativeFactory(
        title="Neighborhood conversation circles",
        slug="circles",
        organization=local,
        postal_code="80302",
        welcomes_newcomers=True,
        is_demo=True,
        get_involved="Come to a monthly circle.",
        get_involved_url="https://example.org/join",
        website="https://example.org/circles",
        description="Small, facilitated conversations.",
        last_verified_at=timezone.now(),
        goals=[goal["compromise"], goal["reconciliation"]],
        roles=[role["facilitators"], role["bridge-builders"]],
    )
    InitiativeFactory(
        title="National listening tour",
        slug="tour",
        organization=network,
        scope="national",
        source="paper",
        goals=[goal["compromise"]],
        roles=[role["convenors"]],
    )
    clinic = InitiativeFactory(
        title="Chicago mediation clinic",
        slug="clinic",
        postal_code="60601",
        goals=[goal["compromise"]],
        roles=[role["mediators"]],
    )
    event = Event(
        organization=local,
        title="Town forum on the library budget",
        slug="town-forum",
        summary="A public forum.",
        description="Bring your questions.",
        starts_at=SOON,
        ends_at=SOON + timedelta(hours=2),
        mode="in_person",
        postal_code="80302",
        registration_url="https://example.org/forum",
        cost="Free",
        accessibility="Step-free entrance.",
        status="published",
        published_at=timezone.now(),
    )
    event.save()
    event.goals.set([goal["compromise"]])
    event.roles.set([role["convenors"]])
    # A member with pending listings, which wait in the curators' queue with a report.
    member = make_user("member@example.org", password=None)
    Membership.objects.create(user=member, organization=local, role="owner")
    pending = OrganizationFactory(
        name="Harbor Dialogue Project",
        slug="harbor",
        status="pending",
        published_at=None,
        submitted_by=member,
        roles=[role["facilitators"]],
    )
    Membership.objects.create(user=member, organization=pending, role="owner")
    InitiativeFactory(
        title="Kitchen-table conversations",
        slug="kitchen",
        organization=pending,
        status="pending",
        published_at=None,
        submitted_by=member,
        postal_code="80302",
    )
    Report.objects.create(initiative=clinic, kind="outdated", message="It moved.")
    curator = make_user("curator@example.org", curator=True, password=None)
    return {"member": member, "curator": curator}
