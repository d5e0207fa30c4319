"""A citizen looks for work near them: ZIP and keyword, then goal and role, the map, a listing.

The same journey runs with JavaScript and without it: the site must work with plain HTML.
"""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def search_from_home(page: Page) -> None:
    page.goto("/")
    search = page.get_by_role("search", name="Search initiatives")
    search.get_by_label("Your ZIP code").fill("80302")
    search.get_by_label("What do you care about?").fill("conversation")
    search.get_by_role("button", name="Find initiatives").click()
    expect(page).to_have_url(re.compile(r"/initiatives/\?.*near=80302"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Initiatives")


def narrow_by_goal_and_role(page: Page) -> None:
    filters = page.get_by_role("search", name="Filter initiatives")
    # The search from the home page is kept in the form.
    expect(filters.get_by_label("Near ZIP code")).to_have_value("80302")
    expect(filters.get_by_label("Keywords")).to_have_value("conversation")
    goal_box = filters.get_by_role("checkbox", name=re.compile("Cultivate Compromise"))
    expect(goal_box).to_be_hidden()  # folded away until asked for
    filters.get_by_text("Goals, roles, place, scope and language").click()
    goal_box.check()
    filters.get_by_label("Role", exact=True).select_option(label="Facilitators")
    filters.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"goal=compromise"))


def result_titles(page: Page) -> set[str]:
    """The titles listed once the page has loaded (a click returns as the next page commits)."""
    page.wait_for_load_state()
    return set(page.locator(".results .card-title").all_inner_texts())


def chip_labels(page: Page) -> list[str]:
    return [text.replace("×", "").strip() for text in page.locator(".chip").all_inner_texts()]


def assert_narrowed_results(page: Page, boulder) -> None:
    # Waits for the narrowed page (the wider one's count differs) before reading its chips.
    expect(page.locator(".result-count")).to_have_text(
        re.compile(r"^\s*3 initiatives within 25 miles of 80302")
    )
    assert sorted(chip_labels(page)) == sorted(
        [
            "Keywords: conversation",
            "Goal: Cultivate Compromise",
            "Role: Facilitators",
            "Within 25 miles of 80302",
        ]
    )
    assert result_titles(page) == boulder["expected"]
    circles = page.locator(".card", has_text=boulder["circles"].title)
    expect(circles).to_contain_text("0 mi away")
    expect(page.locator(".card", has_text=boulder["walks"].title)).to_contain_text("10 mi away")


def test_a_citizen_finds_local_work_by_zip_keyword_goal_and_role(page: Page, boulder):
    search_from_home(page)
    first = result_titles(page)
    assert boulder["circles"].title in first
    assert boulder["cafe"].title in first  # not narrowed by role yet
    assert boulder["chicago"].title not in first
    assert boulder["polls"].title not in first

    narrow_by_goal_and_role(page)
    assert_narrowed_results(page, boulder)

    # A chip removes its filter: without the role, the cafe comes back.
    role_chip = page.get_by_role("link", name="Remove filter Role: Facilitators")
    role_chip.click()
    expect(role_chip).to_have_count(0)
    assert boulder["cafe"].title in result_titles(page)
    page.go_back()
    assert_narrowed_results(page, boulder)

    page.get_by_role("link", name="Map view").click()
    expect(page).to_have_url(re.compile(r"view=map"))
    # The two results with a place get a marker; the national one has none.
    markers = page.locator("#map .leaflet-marker-icon")
    expect(markers).to_have_count(2)
    assert set(markers.evaluate_all("els => els.map(e => e.title)")) == {
        boulder["circles"].title,
        boulder["walks"].title,
    }
    assert result_titles(page) == boulder["expected"]  # listed below the map too

    markers.first.click()
    expect(page.locator(".leaflet-popup-content a")).to_have_count(1)

    page.locator(".results").get_by_role("link", name=boulder["circles"].title).click()
    expect(page).to_have_url(re.compile(r"/initiatives/boulder-neighbor-conversations/$"))
    help_heading = page.get_by_role("heading", name="How to get involved")
    expect(help_heading).to_be_visible()
    assert help_heading.bounding_box()["y"] < page.viewport_size["height"], "below the fold"
    callout = page.locator("section.callout")
    expect(callout).to_contain_text("Newcomers are welcome")
    expect(callout).to_contain_text("public library")
    expect(callout.get_by_role("link", name="Sign up or volunteer")).to_have_attribute(
        "href", "https://example.org/circles/join"
    )


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_same_journey_works_without_javascript(page: Page, boulder):
    search_from_home(page)
    narrow_by_goal_and_role(page)
    assert_narrowed_results(page, boulder)

    page.get_by_role("link", name="Map view").click()
    expect(page).to_have_url(re.compile(r"view=map"))
    # No map can be drawn without JavaScript (with it, this page has two markers); the results
    # are all still listed, and no empty box stands in for the map.
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(0)
    expect(page.locator("#map")).to_be_hidden()
    assert result_titles(page) == boulder["expected"]

    page.get_by_role("link", name=boulder["walks"].title).click()
    expect(page.get_by_role("heading", name="How to get involved")).to_be_visible()
    expect(page.locator("section.callout")).to_contain_text("Contact")


def test_a_mistyped_zip_code_is_explained_at_the_top_and_beside_the_field(page: Page, boulder):
    page.goto("/")
    page.get_by_label("Your ZIP code").fill("00000")  # five digits, but no such ZIP code
    page.get_by_role("button", name="Find initiatives").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("We don’t know the ZIP code 00000.")
    field = page.get_by_role("search", name="Filter initiatives").get_by_label("Near ZIP code")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("We don’t know the ZIP code 00000.")
    summary.get_by_role("link").click()
    expect(field).to_be_focused()


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_filter_form_searches_everywhere_when_the_zip_code_is_cleared(page: Page, boulder):
    """The form always sends every control (radius, role, kind…): their defaults are no filter."""
    search_from_home(page)
    narrow_by_goal_and_role(page)
    filters = page.get_by_role("search", name="Filter initiatives")
    filters.get_by_label("Near ZIP code").fill("")
    filters.get_by_role("button", name="Search").click()
    expect(page.locator(".error-summary")).to_have_count(0)
    found = result_titles(page)
    assert boulder["chicago"].title in found
    assert boulder["cafe"].title not in found  # still narrowed by role
    assert not any("miles of" in label for label in chip_labels(page))
