"""Accounts for the browser tests: members and curators, signed in by form or by cookie."""

import re
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page

from tests.factories import CuratorFactory, UserFactory

PASSWORD = "a-Long-unusual-passphrase-42"
# When the ``listings`` fixture's event starts: upcoming, and in a month the tests can name.
SOON = timezone.now() + timedelta(days=3)


def make_user(email: str, *, curator: bool = False, password: str | None = PASSWORD):
    """An account with a verified address; a curator is staff in the "Curators" group.

    ``password=None`` makes one that signs in by cookie only (``log_in``), without the half
    second that hashing a password takes.
    """
    factory = CuratorFactory if curator else UserFactory
    return factory(username=email, email=email, password=password, verified=True)


def log_in(context: BrowserContext, base_url: str, user) -> None:
    """Sign ``user`` in to a browser context without the form (the journeys use the form)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through allauth's form, as a person does."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name="Sign In").click()


# name: (URL, status). Pages checked again in Spanish (accessibility and HTML validity): longer
# words must not break the layout or the markup.
SPANISH_PAGES = {
    "home in Spanish": ("/?lang=es", 200),
    "initiative list in Spanish": ("/initiatives/?lang=es&near=80302&include_national=true", 200),
    "initiative in Spanish": ("/initiatives/circles/?lang=es", 200),
    "role finder in Spanish": ("/get-involved/?lang=es&skill=law&goal=compromise", 200),
}
