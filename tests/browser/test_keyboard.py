"""Keyboard users: a visible skip link comes first, and Tab walks the search in reading order."""

import pytest
from playwright.sync_api import Page, expect

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
