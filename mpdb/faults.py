"""When the database cannot be reached: a friendly 503 with ``Retry-After``, never a traceback.

Three hooks share one answer, so every path a database error can take ends the same way:

- ``DatabaseUnavailableMiddleware.process_exception``: errors raised by a view or while its
  template response renders (the usual case, including reading a database-backed session);
- ``api_exception_handler``: DRF's exception handler, for errors inside API views;
- ``server_error`` (``handler500``): errors raised outside a view in production, e.g. by the 404
  page while it reads the session; anything else gets Django's plain 500 page.

Pages get ``templates/503.html``, a standalone page: the site's base template reads the signed-in
user (the session and the user live in the database), so it cannot be rendered now. The API gets
``{"detail": …}``. Both carry ``Retry-After`` and ``Cache-Control: no-store`` (a proxy must not keep
the outage), and each fault is logged once, one line at ERROR without a traceback.

Recovery needs nothing from us: ``CONN_HEALTH_CHECKS`` (settings) makes Django test a persistent
connection before reusing it, and a broken one is dropped at the end of the failed request, so
the first request after the database returns opens a fresh connection.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import ParseError
from rest_framework.views import exception_handler

log = logging.getLogger("mpdb.faults")

#: The database errors that mean "not reachable now" (not a bug in a query).
UNAVAILABLE = (OperationalError, InterfaceError)
API_PREFIX = "/api/"


def retry_after() -> int:
    return int(getattr(settings, "DATABASE_RETRY_AFTER", 30))


def database_unavailable(request, exc: BaseException) -> HttpResponse:
    """The 503 for ``request``: JSON under /api/, the friendly page elsewhere; logged once."""
    seconds = retry_after()
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    log.error(
        "Database unavailable, answered 503: %s %s (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        first_line,
    )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "detail": _(
                    "The service is temporarily unavailable. Please retry in %(seconds)s seconds."
                )
                % {"seconds": seconds}
            },
            status=503,
        )
    else:
        retry_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
        # No request context: context processors would read the session and the user.
        html = render_to_string(
            "503.html", {"retry_url": retry_url, "was_post": request.method == "POST"}
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(seconds)
    patch_cache_control(response, no_store=True, no_cache=True, max_age=0)
    response._has_been_logged = True  # django.request would log it a second time
    return response


class DatabaseUnavailableMiddleware:
    """Turn a database connection error in a view (or its template) into the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE):
            return database_unavailable(request, exception)
        return None


def api_exception_handler(exc, context):
    """DRF's handler, plus the 503 for database connection errors."""
    if isinstance(exc, UNAVAILABLE):
        return database_unavailable(context["request"], exc)
    if isinstance(exc, RequestDataTooBig):  # Django's own answer would be an HTML 400
        exc = ParseError(_("The request body is too large."))
    return exception_handler(exc, context)


def server_error(request, *args, **kwargs):
    """``handler500``: the 503 if the error was the database being unreachable."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return database_unavailable(request, exc)
    return defaults.server_error(request, *args, **kwargs)
