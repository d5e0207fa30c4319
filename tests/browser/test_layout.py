"""Layouts a new user met broken: the month calendar on desktop, phone-width pages that scrolled
sideways, the coverage chart's labels, and map pins hidden under each other.

Each runs at a phone's width (390 px) and a desktop's (1280 px, and 1600 px for the calendar).
"""

import contextlib
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from directory.models import Event
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PINS = "#map .leaflet-marker-icon:not(.marker-cluster)"
LONG_WORD = "Antidisestablishmentarianismconversationcircles"
# 25 ZIP codes far enough apart to be told apart at the country's zoom; two listings on each.
ZIPS = [
    "10001",
    "60601",
    "80302",
    "94103",
    "98101",
    "30303",
    "02108",
    "33101",
    "75201",
    "85004",
    "19103",
    "48201",
    "55401",
    "63101",
    "70112",
    "97201",
    "84101",
    "89101",
    "73102",
    "37203",
    "28202",
    "46204",
    "53202",
    "64105",
    "27601",
]


def open_page(new_context, viewport: dict, url: str) -> Page:
    page = new_context(viewport=viewport).new_page()
    page.goto(url)
    return page


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def month_of_events(taxonomy):
    """An event on most days of this month, so the calendar's every column has something."""
    org = OrganizationFactory(name="Town Hall Project", slug="town-hall-project")
    today = timezone.localdate()
    first = today.replace(day=1)
    days = [first + timedelta(days=n) for n in range(28)]
    for day in days:
        if day < today:  # past events are not shown unless asked for; keep them upcoming
            continue
        start = timezone.make_aware(datetime.combine(day, time(23, 0)))
        Event.objects.create(
            organization=org,
            title=f"Forum on the {day.day}",
            slug=f"forum-{day.day}",
            summary="A public forum.",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            mode="online",
            status="published",
            published_at=timezone.now(),
        )


@pytest.mark.parametrize("width", [1280, 1600])
def test_the_month_calendar_uses_the_whole_page_width_on_desktop(
    new_context, month_of_events, width
):
    page = open_page(new_context, {"width": width, "height": 900}, "/events/?view=month")
    calendar = page.locator("table.month")
    expect(calendar).to_be_visible()
    box = page.locator(".table-scroll:has(table.month)")
    content_width = page.locator("main .wrap").evaluate("e => e.clientWidth - 32")  # less padding
    assert box.evaluate("e => e.clientWidth") >= content_width - 1  # not one of two columns
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing hidden in a scroll
    saturday = calendar.locator("thead th").nth(6)
    expect(saturday.locator("abbr")).to_have_attribute("title", "Saturday")
    right = saturday.bounding_box()
    assert right["x"] + right["width"] <= box.bounding_box()["x"] + box.bounding_box()["width"] + 1
    assert page_width(page) == width


@pytest.fixture
def long_words(taxonomy):
    org = OrganizationFactory(
        name=f"{LONG_WORD} coalition", slug="long-coalition", postal_code="80302"
    )
    InitiativeFactory(
        title=f"{LONG_WORD} for neighbours",
        slug="long-initiative",
        organization=org,
        postal_code="80302",
        summary="See https://example.org/a-very-long-address/with/no/spaces/anywhere/in/it/at/all",
    )
    start = timezone.now() + timedelta(days=2)
    Event.objects.create(
        organization=org,
        title=f"{LONG_WORD} evening",
        slug="long-event",
        summary="A forum.",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode="online",
        status="published",
        published_at=timezone.now(),
    )


PHONE_PAGES = [
    "/coverage/",
    "/coverage/?lang=es",
    "/about/",
    "/about/?lang=es",
    f"/initiatives/?q={LONG_WORD}",
    f"/organizations/?q={LONG_WORD}",
    f"/events/?q={LONG_WORD}",
    "/initiatives/long-initiative/",
    "/organizations/long-coalition/",
    "/events/long-event/",
    f"/embed/initiatives/?q={LONG_WORD}",  # partners' frames are narrow too
    f"/embed/events/?q={LONG_WORD}",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_no_page_scrolls_sideways_and_long_words_stay_readable(new_context, long_words, viewport):
    context = new_context(viewport=viewport)
    page = context.new_page()
    for url in PHONE_PAGES:
        page.goto(url)
        assert page_width(page) <= viewport["width"], url
    # Nothing was hidden to get there: the long title is on the page, whole, wrapped in its card.
    page.goto(f"/initiatives/?q={LONG_WORD}")
    title = page.locator(".card-title").first
    expect(title).to_have_text(f"{LONG_WORD} for neighbours")
    box = title.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    # Wide tables scroll inside their own box, which keyboard users can reach.
    page.goto("/about/")
    groups = page.get_by_role("region", name="The 11 role groups")
    expect(groups).to_have_attribute("tabindex", "0")
    expect(groups.get_by_role("link", name="K. Defenders")).to_have_count(1)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_coverage_chart_labels_are_legible(new_context, taxonomy, viewport):
    page = open_page(new_context, viewport, "/coverage/")
    labels = page.locator(".bar-chart .bar-label")
    expect(labels).to_have_count(11)
    sizes = labels.evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize) * "
        "(e.getBoundingClientRect().height ? 1 : 0))"
    )
    assert min(sizes) >= 12, sizes
    expect(labels.first).to_have_text("A. Lookouts")
    widest = max(labels.evaluate_all("els => els.map(e => e.getBoundingClientRect().right)"))
    assert widest <= viewport["width"]  # whole, on the page


@pytest.fixture
def crowded_map(taxonomy):
    """50 initiatives on 25 ZIP codes' centres: two pins on each spot."""
    org = OrganizationFactory(name="Civic Network", slug="civic-network", scope="national")
    for n, zip_code in enumerate(ZIPS):
        for twin in ("A", "B"):
            InitiativeFactory(
                title=f"Project {zip_code} {twin}",
                slug=f"project-{n}-{twin.lower()}",
                organization=org,
                postal_code=zip_code,
            )


def cluster_counts(page: Page) -> list[int]:
    return [int(text) for text in page.locator("#map .marker-cluster").all_inner_texts()]


def pin_titles(page: Page) -> set[str]:
    """The titles of the pins on the map that stand alone (not gathered into a cluster)."""
    return set(page.locator(PINS).evaluate_all("els => els.map(e => e.title)"))


def spread_one_spot(page: Page) -> set[str]:
    """Opens clusters with the keyboard until one spot's two pins are spread apart; their titles.

    Each press zooms in or, on a cluster of one spot, spreads its pins. The titles are read only
    once they have held still for a moment (not mid-animation), and must be one spot's pair.
    """
    clusters = page.locator("#map .marker-cluster")
    for _ in range(30):
        titles = pin_titles(page)
        if len(titles) == 2:
            page.wait_for_timeout(300)
            if pin_titles(page) == titles:
                zips = {title.split()[1] for title in titles}
                assert len(zips) == 1, titles
                (zip_code,) = zips
                assert titles == {f"Project {zip_code} A", f"Project {zip_code} B"}
                return titles
        elif not titles and clusters.count():
            # A cluster that went in a zoom times out: the next round takes the next one.
            with contextlib.suppress(PlaywrightTimeoutError):
                clusters.first.press("Enter", timeout=2_000)
        page.wait_for_timeout(500)  # the zoom or spread animation
    raise AssertionError(f"no spot's pins spread apart; pins on the map: {pin_titles(page)}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_map_pins_on_the_same_spot_are_clustered_and_each_can_be_opened(
    new_context, crowded_map, viewport
):
    page = open_page(new_context, viewport, "/initiatives/?view=map")
    clusters = page.locator("#map .marker-cluster")
    expect(clusters.first).to_be_visible()
    pins = page.locator(PINS)
    # Every listing is counted once: in a cluster's number or as a pin of its own (read once the
    # map has settled: during its opening animation two levels of clusters are on the page).
    for _ in range(40):
        total = sum(cluster_counts(page)) + pins.count()
        if total == 50:
            break
        page.wait_for_timeout(250)
    assert total == 50
    # Opening a cluster (with the keyboard too) leads, zoom after zoom, to its pins; the two on
    # one spot spread apart, each with its own popup.
    titles = spread_one_spot(page)
    popup_links = page.locator(".leaflet-popup-content a")
    for twin in ("A", "B"):
        # Leaflet can fold a spread spot back into its cluster while the test works (a click or a
        # move it is still finishing: seen in loaded CI runs, where a pin counted a moment before
        # was gone when clicked). Then the spot is spread again and the pin clicked again, rather
        # than waiting on a pin that is no longer on the page.
        for _ in range(6):
            if pin_titles(page) != titles:
                titles = spread_one_spot(page)
            (title,) = [t for t in titles if t.endswith(f" {twin}")]
            try:
                page.locator(f'#map .leaflet-marker-icon[title="{title}"]').click(timeout=2_000)
            except PlaywrightTimeoutError:
                continue
            page.wait_for_timeout(300)
            if popup_links.count():
                break
        expect(popup_links).to_have_count(1)
        expect(popup_links).to_have_text(title)
        # Closed again with its own button, so it covers no pin (an open popup can lie over the
        # other pin of the spot and take its click); clicked again while the popup is still there
        # (once, in a loaded CI run, it was open 5 s after one click).
        close = page.locator(".leaflet-popup-close-button")
        for _ in range(5):
            if not close.count():
                break
            close.click()
            page.wait_for_timeout(300)
        expect(popup_links).to_have_count(0)
