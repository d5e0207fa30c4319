"""HTTP caching of anonymous public reads (mpdb/http_cache.py): validators known before the view
runs, early 304s, and Cache-Control that never lets a shared cache hand out a visitor's form."""

import pytest
from django.utils.http import http_date

from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    return InitiativeFactory(title="Cached circle", postal_code="80302")


def test_a_public_api_read_is_cacheable_by_anyone_and_revalidates_with_no_query(
    client, listing, django_assert_num_queries
):
    first = client.get("/api/v1/initiatives/?state=CO")
    assert first.status_code == 200
    assert first["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Language" in first["Vary"]
    etag = first["ETag"]
    with django_assert_num_queries(0):
        again = client.get("/api/v1/initiatives/?state=CO", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag and again.content == b""


def test_a_write_changes_the_validator(client, listing):
    etag = client.get("/api/v1/initiatives/").headers["ETag"]
    listing.title = "Cached circle, renamed"
    listing.save()
    after = client.get("/api/v1/initiatives/", HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after["ETag"] != etag
    assert "renamed" in after.content.decode()


def test_the_validator_depends_on_the_query_and_the_language(client, listing):
    etags = {
        client.get("/initiatives/?state=CO")["ETag"],
        client.get("/initiatives/?state=CA")["ETag"],
        client.get("/initiatives/?state=CO&lang=es")["ETag"],
    }
    assert len(etags) == 3


def test_a_page_with_a_form_is_private_to_the_browser(client, listing):
    """The list carries the alert form and its CSRF token: a shared cache must not keep it."""
    response = client.get("/initiatives/?state=CO")
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert response["Cache-Control"] == "private, no-cache"
    # The browser's own copy still revalidates without rendering anything.
    again = client.get("/initiatives/?state=CO", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_if_modified_since_is_answered_from_the_moment_the_data_last_changed(client, listing):
    first = client.get("/api/v1/initiatives/")
    since = first["Last-Modified"]
    assert client.get("/api/v1/initiatives/", HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    older = http_date(0)
    assert client.get("/api/v1/initiatives/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200


def test_signed_in_people_forms_and_curation_are_never_cached(client, listing, django_user_model):
    user = django_user_model.objects.create_user("reader", "reader@example.org", "pw-123456789")
    client.force_login(user)
    signed_in = client.get("/api/v1/initiatives/")
    assert "ETag" not in signed_in or "public" not in signed_in.get("Cache-Control", "")
    client.logout()
    form = client.get("/submit/initiative/")
    assert "public" not in form.get("Cache-Control", "")
    assert client.post("/api/v1/initiatives/", {}).get("ETag") is None


# The page store: a repeat of an anonymous page costs no query, view or template.


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_a_repeated_page_comes_from_the_store_with_each_visitors_own_token(
    client, listing, django_assert_num_queries
):
    from django.test import Client

    first = client.get("/initiatives/?state=CO")
    assert first.context is not None  # rendered
    other = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        stored = other.get("/initiatives/?state=CO")
    assert stored.status_code == 200 and stored.context is None  # no view, no template
    page = stored.content.decode()
    assert "Cached circle" in page and "\x00" not in page
    assert stored["Cache-Control"] == "private, no-cache"  # the token is this visitor's
    assert _token(page) != _token(first.content.decode())
    # The token works: the language switcher on the stored page posts without a 403.
    switched = other.post(
        "/i18n/setlang/",
        {"language": "es", "next": "/initiatives/", "csrfmiddlewaretoken": _token(page)},
    )
    assert switched.status_code == 302


def test_a_write_retires_the_stored_page(client, listing):
    client.get("/initiatives/?state=CO")
    listing.title = "Cached circle, renamed"
    listing.save()
    assert "Cached circle, renamed" in client.get("/initiatives/?state=CO").content.decode()


def test_the_store_is_not_used_with_a_session_or_a_flash_message(client, listing):
    client.get("/initiatives/")
    client.cookies["messages"] = "anything"
    assert client.get("/initiatives/").context is not None  # rendered for this visitor
    del client.cookies["messages"]
    client.cookies["sessionid"] = "anything"
    assert client.get("/initiatives/").context is not None


def test_the_api_is_never_stored_so_its_rate_limits_count_every_request(client, listing):
    from django.core.cache import cache

    response = client.get("/api/v1/initiatives/")
    assert cache.get("mpdb:page:" + response["ETag"].strip('"')) is None
    page = client.get("/initiatives/")
    assert cache.get("mpdb:page:" + page["ETag"].strip('"')) is not None


def test_a_stored_embed_can_still_be_framed(client, listing):
    first = client.get("/embed/initiatives/?state=CO")
    again = client.get("/embed/initiatives/?state=CO")
    assert again.context is None  # from the store
    for response in (first, again):
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response


def test_a_detail_page_follows_the_clock_for_its_upcoming_events(client, listing):
    first = client.get(listing.get_absolute_url())
    assert first.status_code == 200
    from unittest import mock

    from django.utils import timezone

    later = timezone.now() + timezone.timedelta(minutes=2)
    with mock.patch("mpdb.http_cache.timezone.now", return_value=later):
        again = client.get(listing.get_absolute_url())
    assert again["ETag"] != first["ETag"]
    assert again.context is not None  # a new minute: rendered again
