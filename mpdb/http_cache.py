"""HTTP caching of public reads, so a browser, a proxy or a CDN can do what the app cache did.

For an anonymous GET or HEAD of a public page, feed or API read (no session cookie), the
validator is known before the view runs: the data version (``directory.caching``), which every
write moves on, and what else the answer depends on (scheme, host, path, query, language). So:

- ``If-None-Match`` with the current ``ETag`` is answered ``304 Not Modified`` at once: no
  query, no template;
- ``If-Modified-Since`` at or after the moment the data last changed, likewise;
- a ``200`` carries that ``ETag``, ``Last-Modified`` and a ``Cache-Control``: ``public`` with a
  short ``max-age`` (``HTTP_CACHE_MAX_AGE``) when nothing in it is per visitor, ``private,
  no-cache`` when it is (a form with a CSRF token: Django then varies on ``Cookie``), so a
  shared cache never hands one visitor's form token to another.

Pages that follow the clock ("upcoming" events: event lists, feeds, and the detail pages that
list a listing's next events) hold the current minute in their validator too. Signed-in people
(a session cookie) are not cached at all.

The page store: the same validator keys the rendered page in the app's cache (Redis in
production), so a repeat of an anonymous page, by anyone, costs one cache read and no query,
template or view; a write moves the data version on and the stored pages become unreachable at
once. This is the app-level cache that views and templates used to hold (``{% cache %}``
regions, cached fragments); they now know nothing about caching. A page's CSRF token (the
language switcher's form) is the only part that differs between visitors: it is stored as a
placeholder and each visitor gets their own when the page is served. Not stored: the API (its
rate limits count every request; its views cache their answers after the throttles), pages
that set cookies, streamed answers, and requests with cookies other than the CSRF and language
ones (a flash message, a session). While the database is down, stored pages are still served.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from directory.caching import TTL, data_changed_at, data_version, reads, request_parts
from directory.models import Initiative, Organization

#: public reads (prefixes); everything else (accounts, curation, admin, forms) is never cached
PUBLIC_PREFIXES = (
    "/initiatives/",
    "/organizations/",
    "/events/",
    "/networks/",
    "/coverage/",
    "/goals/",
    "/roles/",
    "/api/v1/",
    "/api/hsds/",
    "/feeds/",
    "/embed/",
)
#: follow the clock as well as the data
CLOCK_PREFIXES = ("/events/", "/api/v1/events/", "/feeds/")
#: detail pages that list a listing's upcoming events follow the clock too
CLOCK_DETAILS = re.compile(r"^/(initiatives|organizations)/[^/]+/$")
#: never in the page store: the API's rate limits count every request
STORE_EXCLUDED = ("/api/",)
#: the largest page kept in the store (bytes)
STORE_MAX_BYTES = 1_000_000
_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{32,64})"')
_PLACEHOLDER = b"\x00mpdb-csrf-token\x00"  # no page text can hold a NUL
#: never, even under a public prefix: forms and their answers
PRIVATE_PARTS = ("/submit/", "/report/", "/claim/", "/edit/", "/withdraw/", "/invite")


def is_public_read(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False  # signed in (or mid-way through a form): per person, never cached
    path = request.path
    if path != "/" and not path.startswith(PUBLIC_PREFIXES):
        return False
    return not any(part in path for part in PRIVATE_PARTS)


def follows_clock(path: str) -> bool:
    return path.startswith(CLOCK_PREFIXES) or CLOCK_DETAILS.match(path) is not None


#: pages built from some kinds of listing only (``directory.caching`` scopes): a change to
#: another kind leaves their validator, and their stored copy, as they were. Any other page:
#: every kind (details list events; the home page and feeds show several kinds).
PAGE_SCOPES = {
    "/initiatives/": reads(Initiative),
    "/organizations/": reads(Organization),
}


def etag_for(request) -> str:
    parts = (data_version(*PAGE_SCOPES.get(request.path, ())), request_parts(request))
    if follows_clock(request.path):
        parts = (*parts, timezone.now().strftime("%Y%m%d%H%M"))
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


def _may_use_store(request) -> bool:
    """A GET by a visitor whose page can only differ from anyone else's by its CSRF token."""
    allowed = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return (
        request.method == "GET"
        and not request.path.startswith(STORE_EXCLUDED)
        and set(request.COOKIES) <= allowed
    )


class PublicCacheMiddleware:
    """Validators and ``Cache-Control`` for anonymous public reads; early ``304``s; the page
    store. Sits just inside ``CsrfViewMiddleware``, which sets the CSRF cookie of a page served
    from the store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        etag = etag_for(request)
        changed_at = data_changed_at()
        if _not_modified(request, etag, changed_at):
            response = HttpResponseNotModified()
            response.headers["ETag"] = etag
            response.headers["Cache-Control"] = _public()
            patch_vary_headers(response, ("Accept-Language",))
            return response
        use_store = _may_use_store(request)
        stored = cache.get(_store_key(etag)) if use_store else None
        if stored is not None:
            response = _from_store(stored, request)
        else:
            response = self.get_response(request)
            if use_store:
                _store(_store_key(etag), response, request)
        if response.status_code != 200 or response.has_header("Cache-Control"):
            return response
        response.headers["ETag"] = etag
        if changed_at is not None:
            response.headers["Last-Modified"] = http_date(changed_at)
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
        per_visitor = (
            request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or "cookie" in vary or response.cookies
        )
        response.headers["Cache-Control"] = "private, no-cache" if per_visitor else _public()
        patch_vary_headers(response, ("Accept-Language",))
        return response


def _store_key(etag: str) -> str:
    return "mpdb:page:" + etag.strip('"')


def _store(key: str, response, request) -> None:
    """Keep a fresh 200 page for the next visitor (its CSRF token replaced by a placeholder)."""
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or response.has_header("Cache-Control")
        or len(response.content) > STORE_MAX_BYTES
    ):
        return
    body = response.content
    has_token = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
    if has_token:
        tokens = {match.group(1) for match in _TOKEN.finditer(body)}
        if len(tokens) != 1:  # a token somewhere we cannot find: not safe to share
            return
        body = body.replace(tokens.pop(), _PLACEHOLDER)
    attributes = {
        name: value
        for name, value in vars(response).items()
        if name.startswith("_csp") or name == "xframe_options_exempt"
    }
    headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
    cache.set(key, (body, headers, has_token, attributes), TTL)


def _from_store(stored, request) -> HttpResponse:
    body, headers, has_token, attributes = stored
    if has_token:  # this visitor's own token (CsrfViewMiddleware sets its cookie on the way out)
        body = body.replace(_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(body)
    for name, value in headers:
        response.headers[name] = value
    for name, value in attributes.items():
        setattr(response, name, value)
    return response


def _public() -> str:
    age = settings.HTTP_CACHE_MAX_AGE
    return f"public, max-age={age}, stale-while-revalidate={age}"


def _not_modified(request, etag: str, changed_at) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = parse_http_date_safe(request.headers.get("if-modified-since", ""))
    if since is None or changed_at is None or follows_clock(request.path):
        return False
    return int(changed_at) <= since
