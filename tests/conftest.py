"""Shared test set-up: the real taxonomy is loaded once per test session into the test database.

Local runs keep the test database between runs (``--reuse-db`` in pyproject's ``addopts``; new
migrations are still applied); ``--create-db`` starts a fresh one. CI (``CI`` set to anything but
``0``/``false``, as CI services do) always creates it afresh and drops it afterwards.
"""

import fcntl
import hashlib
import os
from typing import TextIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config):
    if on_ci():
        config.option.reuse_db = False


def claim_test_database(prefix: str, slots: int = 32) -> tuple[str, TextIO] | None:
    """The first name ``<prefix>-<n>.sqlite3`` that no other run holds, with the open lock file
    that holds it (until it is closed or the process ends); None when all are taken."""
    for slot in range(slots):
        name = f"{prefix}-{slot}.sqlite3"
        lock = open(f"{name}.lock", "w")  # noqa: SIM115 (held for the caller)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return name, lock
    return None


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} ({settings.DATABASES['default']['NAME']})"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """A reused SQLite test database needs a name that outlives the process (the settings name it
    after the process id, so that runs side by side never share one). The name is fixed per
    checkout and xdist worker; a run holds a lock on it, so a second run at the same time takes
    the next free name instead of writing into the first one's database."""
    reusing = request.config.getvalue("reuse_db")
    if not reusing or "DJANGO_TEST_SQLITE" in os.environ or connection.vendor != "sqlite":
        return
    checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:10]
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    claimed = claim_test_database(f"/tmp/mpdb-test-{checkout}-{worker}")
    if claimed:  # else (32 runs at once) this run keeps its per-process name
        name, request.config._mpdb_test_db_lock = claimed
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name


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
    from tests.factories import APIKeyFactory

    return APIKeyFactory(name="Test partner").plain_key
