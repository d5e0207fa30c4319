"""The database unreachable, in-process (every query refused): each way a request can meet it
ends in the friendly 503 (pages) or the JSON 503 (API), logged once, never a traceback.

tests/operations/test_faults.py does the same with a real PostgreSQL stopped under gunicorn."""

import logging
from contextlib import contextmanager

import pytest
from django.db import OperationalError, ProgrammingError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests.browser.helpers import make_user
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@contextmanager
def database(monkeypatch, error=OperationalError):
    """Every query fails with ``error`` inside the block (the test's own transaction survives)."""

    def refuse(self, *args, **kwargs):
        raise error(REFUSED)

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "_execute", refuse)
        patch.setattr(CursorWrapper, "_executemany", refuse)
        yield


def assert_503(response, caplog) -> str:
    body = response.content.decode()
    assert response.status_code == 503, body[:1000]
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    for leak in ("Traceback", "OperationalError", "5432"):
        assert leak not in body
    faults = [r for r in caplog.records if r.name == "mpdb.faults"]
    assert len(faults) == 1 and faults[0].levelname == "ERROR"  # logged once …
    assert faults[0].exc_info is None  # … as one line
    assert not [r for r in caplog.records if r.name == "django.request"]
    caplog.clear()
    return body


@pytest.fixture
def listing():
    return InitiativeFactory(title="Porch talks")


@pytest.mark.parametrize(
    "path", ["/", "/initiatives/", "/organizations/", "detail", "/goals/", "/coverage/"]
)
def test_pages_answer_the_friendly_503(client, listing, monkeypatch, caplog, path):
    path = listing.get_absolute_url() if path == "detail" else path
    with database(monkeypatch):
        body = assert_503(client.get(path), caplog)
    assert "Back in a moment" in body
    assert "can’t reach its database" in body
    assert f'href="{path}"' in body  # "try again" reloads the same page
    assert "has not been saved" not in body


def test_the_page_is_in_the_reader_s_language(client, monkeypatch, caplog):
    with database(monkeypatch):
        body = assert_503(client.get("/initiatives/?lang=es"), caplog)
    assert '<html lang="es">' in body and "Volvemos enseguida" in body


@pytest.mark.parametrize(
    "path", ["/api/v1/initiatives/", "/api/v1/organizations/", "/api/v1/coverage/"]
)
def test_the_api_answers_json_503(client, monkeypatch, caplog, path):
    with database(monkeypatch):
        response = client.get(path)
    assert_503(response, caplog)
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The service is temporarily unavailable. Please retry in 30 seconds."
    }


def test_forms_and_signed_in_members_get_the_503_not_a_500(client, listing, monkeypatch, caplog):
    member = make_user("member@example.org", password=None)
    client.force_login(member)  # the session lives in the database
    with database(monkeypatch):
        assert_503(client.get("/dashboard/"), caplog)
        body = assert_503(
            client.post(f"/report/initiatives/{listing.slug}/", {"kind": "other", "message": "x"}),
            caplog,
        )
        assert "has not been saved" in body
        assert_503(client.post("/submit/organization/", {"name": "Harbor"}), caplog)


def test_outside_a_view_production_answers_503_too(settings, monkeypatch, caplog):
    """The 404 page reads the session through base.html: that error reaches handler500."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(make_user("member@example.org", password=None))
    with database(monkeypatch):
        response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Back in a moment" in body and "Traceback" not in body


def test_other_database_errors_stay_500(settings, monkeypatch, caplog):
    """A broken query is a bug, not an outage: it is not dressed up as "back in a moment"."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with database(monkeypatch, error=ProgrammingError), caplog.at_level(logging.ERROR):
        response = client.get("/initiatives/")
    assert response.status_code == 500
    assert "Back in a moment" not in response.content.decode()
