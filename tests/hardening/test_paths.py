"""Hostile values in every path argument of every route: a 4xx (or a page), never a 500.

On PostgreSQL a NUL that reaches a query is a database error, so slugs, codes and tokens must
be refused before any query (``<slug:…>`` converters, look-ups that check the slug).
"""

from urllib.parse import unquote

import pytest
from django.urls import Resolver404, resolve

from .conftest import logged_in
from .routes import all_routes

pytestmark = pytest.mark.django_db

PATH_VALUES = [
    "a\x00b",
    "\x00",
    "%",
    "%25_%25",
    "١٢٣٤٥",
    "²",
    "'",
    "' OR 1=1 --",
    '"><script>alert(1)</script>',
    "\ufffd",
    "😀",
    "x" * 2000,
    "-1",
    "99999999999999999999999",
]
#: Admin pages are many and alike: a few values each for the directory's own models, a NUL
#: for every other model's (text primary keys reach the database as typed).
ADMIN_VALUES = ["a\x00b", "99999999999999999999999", "'"]


def routes_with_arguments():
    for route in all_routes():
        if not route.params:
            continue
        if route.name.startswith("admin:"):
            yield route, ADMIN_VALUES if "directory_" in route.name else ["a\x00b"]
            continue
        yield route, PATH_VALUES


def test_hostile_path_arguments_never_cause_a_server_error(superuser):
    client = logged_in(superuser)
    seen = 0
    for route, values in routes_with_arguments():
        for param in route.params:
            for value in values:
                url = route.raw_url(value, param)
                response = client.get(url)
                assert response.status_code < 500, (route.name, param, value[:20])
                seen += 1
                if response.status_code == 404 and url.startswith("/api/"):
                    try:
                        resolve(unquote(url))
                    except Resolver404:
                        continue  # no API route matched: the site's own 404 page
                    assert response["Content-Type"] == "application/json", url
    assert seen > 300


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/roles/a%00b/",
        "/api/v1/role-groups/%00/",
        "/api/v1/goals/x%00/",
        "/api/v1/languages/e%00s/",
        "/api/v1/roles/%27%20OR%201=1/",
    ],
)
def test_taxonomy_look_ups_answer_a_json_404_for_impossible_slugs(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_tokens_with_a_nul_are_not_found_without_a_query(client, django_assert_num_queries):
    for url in ["/claims/verify/a%00b/", "/alerts/confirm/a%00b/", "/alerts/unsubscribe/a%00b/"]:
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 404
