"""Keyboard users: a visible skip link comes first, Tab walks the search in reading order, and
an organization registers itself with the keyboard alone."""

import re

import pytest
from playwright.sync_api import Page, expect

from directory.models import Organization

from .helpers import log_in, make_user

pytestmark = pytest.mark.browser

DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || "").trim(),
    inHeader: !!el.closest("header"),
    inMain: !!el.closest("main"),
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(DESCRIBE_FOCUS)


def test_the_first_tab_stop_is_a_visible_skip_link_that_moves_focus_to_main(page: Page, taxonomy):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0, f"skip link is off screen: {box}"
    assert box["x"] + box["width"] <= viewport["width"] and box["height"] >= 24
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "no focus indicator on the skip link"

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab lands on the first control of the page's content: the keyword search.
    page.keyboard.press("Tab")
    expect(page.get_by_label("What do you care about?")).to_be_focused()


def test_tab_reaches_the_home_search_fields_in_reading_order(page: Page, taxonomy):
    page.goto("/")
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1]["text"] == "Find initiatives":
            break
    else:
        pytest.fail(f"Tab never reached the search button: {stops}")

    assert stops[0]["text"] == "Skip to main content"
    before_search = stops[1:-3]
    assert before_search, "the header links should come before the search"
    assert all(stop["inHeader"] for stop in before_search), before_search
    assert [stop["id"] for stop in stops[-3:-1]] == ["home-q", "home-near"]
    assert stops[-1]["tag"] == "button" and stops[-1]["inMain"]

    # Each field shows where the focus is.
    zip_field = page.get_by_label("Your ZIP code")
    zip_field.focus()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("What do you care about?")).to_be_focused()
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert style[0] != "none" and style[1] >= 2, f"weak focus indicator: {style}"


# What a keyboard user perceives at each stop: the control, its label, whether focus shows.
FOCUS_STOP = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const label = (el.labels && el.labels.length) ? el.labels[0].innerText : (el.innerText || "");
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.name || "",
    label: label.trim().split("\\n")[0],
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
  };
}"""


def tab_to(page: Page, wanted, limit: int = 120) -> dict:
    """Press Tab until the focused control matches ``wanted``; it must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STOP)
        seen.append(stop)
        if wanted(stop):
            assert stop["outline"] >= 2, f"no visible focus on {stop}"
            return stop
    pytest.fail(f"Tab never reached the control; the last stops were: {seen[-20:]}")


def test_an_organization_registers_with_the_keyboard_alone(page: Page, base_url, taxonomy):
    member = make_user("keys@example.org", password=None)
    log_in(page.context, base_url, member)
    page.goto("/submit/organization/")
    role = taxonomy["role"]["facilitators"]

    tab_to(page, lambda s: s["name"] == "name")
    page.keyboard.type("Keyboard Civic League")
    tab_to(page, lambda s: s["name"] == "summary")
    page.keyboard.type("Neighbors who meet across party lines, organized without a mouse.")
    tab_to(page, lambda s: s["name"] == "postal_code")
    page.keyboard.type("80302")
    tab_to(page, lambda s: s["name"] == "scope")
    page.keyboard.type("Statewide")  # a closed <select> picks the option typed
    expect(page.get_by_label("Scope")).to_have_value("state")

    # The roles are folded in groups: Enter opens one, Space ticks a role.
    group = f"{role.group.letter}. {role.group.name}"
    tab_to(page, lambda s: s["tag"] == "summary" and s["label"].startswith(group))
    page.keyboard.press("Enter")
    tab_to(page, lambda s: s["type"] == "checkbox" and s["label"] == role.name)
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name=re.compile(rf"^{role.name}"))).to_be_checked()
    tab_to(page, lambda s: s["type"] == "checkbox" and s["label"].endswith("Cultivate Compromise"))
    page.keyboard.press("Space")

    tab_to(page, lambda s: s["tag"] == "button" and s["label"] == "Send for review")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name=re.compile("Keyboard Civic League"))).to_contain_text(
        "Pending review"
    )
    org = Organization.objects.get(name="Keyboard Civic League")
    assert (org.status, org.scope, org.postal_code) == ("pending", "state", "80302")
    assert set(org.roles.values_list("slug", flat=True)) == {"facilitators"}
    assert set(org.goals.values_list("slug", flat=True)) == {"compromise"}
