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
from pathlib import Path

import pytest
from django.core.management import call_command

from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

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


@pytest.fixture
def taxonomy(transactional_db):
    """The real goals and roles, as the product has them (the database is empty here)."""
    call_command("loaddata", "goals", "roles", verbosity=0)
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
            title="Boulder neighbor conversations", slug="boulder-neighbor-conversations",
            organization=org, postal_code="80302", welcomes_newcomers=True,
            summary="Monthly conversations between neighbors who vote differently.",
            get_involved="Come to the next circle at the public library; no experience needed.",
            get_involved_url="https://example.org/circles/join",
            goals=[goal["compromise"]], roles=[role["facilitators"], role["bridge-builders"]],
        ),
        "walks": make(
            title="Lafayette conversation walks", slug="lafayette-conversation-walks",
            organization=org, postal_code="80026",
            summary="Walks where two people who disagree talk about one local question.",
            goals=[goal["compromise"]], roles=[role["facilitators"]],
        ),
        "online": make(
            title="Online conversation network", slug="online-conversation-network",
            scope="national", summary="Video conversations across the country, every week.",
            goals=[goal["compromise"], goal["reconciliation"]], roles=[role["facilitators"]],
        ),
        # Near and on topic, but another role.
        "cafe": make(
            title="Longmont conversation cafe", slug="longmont-conversation-cafe",
            postal_code="80501", summary="A weekly cafe for conversation about town issues.",
            goals=[goal["compromise"]], roles=[role["bridge-builders"]],
        ),
        # Same goal and role, far away.
        "chicago": make(
            title="Chicago conversation circles", slug="chicago-conversation-circles",
            postal_code="60601", summary="Conversation circles on the South Side.",
            goals=[goal["compromise"]], roles=[role["facilitators"]],
        ),
        # Near, same goal and role, but not about conversations.
        "polls": make(
            title="Boulder poll worker drive", slug="boulder-poll-worker-drive",
            postal_code="80302", summary="Recruits and trains election workers.",
            goals=[goal["compromise"]], roles=[role["facilitators"]],
        ),
    }  # fmt: skip
    listings["expected"] = {listings[key].title for key in ("circles", "walks", "online")}
    return listings
