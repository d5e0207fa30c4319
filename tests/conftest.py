"""Shared test set-up: the real taxonomy is loaded once per test session into the test database."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} ({settings.DATABASES['default']['NAME']})"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test sees the curated goals and roles, as the product does."""
    with django_db_blocker.unblock():
        call_command("loaddata", "goals", "roles", "role_finder", "languages", verbosity=0)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request activates its language for the thread; code called directly next sees English."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_key():
    from rest_framework_api_key.models import APIKey

    _, key = APIKey.objects.create_key(name="Test partner")
    return key
