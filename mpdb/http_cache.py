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

Lists of events follow the clock ("upcoming") as well as the data: their validator also holds
the current minute. Signed-in people (a session cookie) are not cached at all.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from directory.caching import data_changed_at, data_version, request_parts

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
)
#: follow the clock as well as the data
CLOCK_PREFIXES = ("/events/", "/api/v1/events/", "/feeds/")
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


def etag_for(request) -> str:
    parts = (data_version(), request_parts(request))
    if request.path.startswith(CLOCK_PREFIXES):
        parts = (*parts, timezone.now().strftime("%Y%m%d%H%M"))
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


class PublicCacheMiddleware:
    """Validators and ``Cache-Control`` for anonymous public reads; early ``304``s."""

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
        response = self.get_response(request)
        if response.status_code != 200 or response.has_header("Cache-Control"):
            return response
        response.headers["ETag"] = etag
        if changed_at is not None:
            response.headers["Last-Modified"] = http_date(changed_at)
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
        per_visitor = "cookie" in vary or response.cookies
        response.headers["Cache-Control"] = "private, no-cache" if per_visitor else _public()
        patch_vary_headers(response, ("Accept-Language",))
        return response


def _public() -> str:
    age = settings.HTTP_CACHE_MAX_AGE
    return f"public, max-age={age}, stale-while-revalidate={age}"


def _not_modified(request, etag: str, changed_at) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = parse_http_date_safe(request.headers.get("if-modified-since", ""))
    if since is None or changed_at is None or request.path.startswith(CLOCK_PREFIXES):
        return False
    return int(changed_at) <= since
