"""PostgreSQL timestamps are parsed by psycopg's optimised loader (mpdb/timestamps.py), and read
the same instants, in UTC, as Django's own loader would."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from directory.models import Initiative
from mpdb import timestamps
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 1, 12, 34, 56, 789012, tzinfo=UTC)


def test_timestamps_read_back_exactly_without_django_s_python_loader(monkeypatch, on_postgres):
    initiative = InitiativeFactory()
    Initiative.objects.filter(pk=initiative.pk).update(published_at=WHEN)
    if on_postgres:
        # Django's loader (a subclass of psycopg's pure-Python one) must not be what parses them.
        from django.db.backends.postgresql import psycopg_any

        def refuse(self, data):
            raise AssertionError("Django's Python timestamptz loader was used")

        monkeypatch.setattr(psycopg_any.BaseTzLoader, "load", refuse)
    read = Initiative.objects.values_list("published_at", "created_at").get(pk=initiative.pk)
    assert read[0] == WHEN
    assert read[0].tzinfo is UTC and read[1].tzinfo is UTC


def test_a_session_in_another_time_zone_still_reads_the_same_instant_in_utc(on_postgres):
    connection.ensure_connection()
    if not on_postgres:
        timestamps.install(sender=None, connection=connection)  # leaves SQLite alone
        assert not hasattr(connection.connection, "adapters")
        return
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'America/Denver'")
    try:
        with connection.cursor() as cursor:  # loaders read the session's zone per cursor
            cursor.execute("SELECT %s::timestamptz", ["2026-03-01 12:34:56.789012+00"])
            (value,) = cursor.fetchone()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert value == WHEN
    assert value.tzinfo is UTC
