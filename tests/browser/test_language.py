"""A Spanish speaker switches the site to Spanish and back, with and without JavaScript: the same
page and the same filters stay in place, and the choice is remembered."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from directory.models import Language
from goals.models import Goal

pytestmark = pytest.mark.browser

FILTERED = "/initiatives/?near=80302&goal=compromise"


def spanish(text: str) -> str:
    with translation.override("es"):
        return translation.gettext(text)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_switching_language_keeps_the_page_and_its_filters(new_context, boulder, javascript):
    boulder["circles"].languages.set([Language.objects.get(code="es")])
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(FILTERED)
    english_titles = sorted(page.locator(".results .card-title").all_inner_texts())
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Español").click()
    expect(page).to_have_url(re.compile(r"/initiatives/\?near=80302&goal=compromise$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(spanish("Initiatives"))
    assert sorted(page.locator(".results .card-title").all_inner_texts()) == english_titles
    # The filter chips speak Spanish too (the goal's Spanish title comes from the fixtures).
    goal_es = Goal.objects.get(slug="compromise").title_es
    expect(page.locator(".chip").first).to_contain_text(goal_es)
    # A listing that serves people in Spanish says so, in Spanish.
    card = page.locator(".card", has_text=boulder["circles"].title)
    expect(card.locator(".badge-language")).to_have_text("En Español")

    # Remembered: a new page in the same browser is Spanish without asking again.
    page.goto("/roles/")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # Back to English with the footer's switcher, on the page we are on.
    page.goto(FILTERED)
    page.get_by_label(spanish("Language")).select_option("en")
    with translation.override("es"):
        change = translation.pgettext("language switcher button", "Change")
    page.get_by_role("button", name=change).click()
    expect(page).to_have_url(re.compile(r"/initiatives/\?near=80302&goal=compromise$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Initiatives")


def test_a_spanish_browser_gets_spanish_pages(new_context, boulder):
    page = new_context(
        locale="es-US", extra_http_headers={"Accept-Language": "es-US,es"}
    ).new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name=spanish("Skip to main content"))).to_be_attached()
    page.goto("/initiatives/?language=es")
    expect(page.get_by_role("heading", level=1)).to_have_text(spanish("Initiatives"))
