"""Rate limits for the API: anonymous clients by IP, partners by API key (a higher limit).

Counting uses django-ratelimit, which increments a counter in the cache atomically (Redis when
REDIS_URL is set, so every app server shares the counts); DRF's own throttles read and then
write a list in the cache, which lets concurrent requests slip past the limit. Rates come from
``settings.API_RATES`` on each request. Client IPs come from DRF's ``get_ident`` (which honours
``NUM_PROXIES``), so ``X-Forwarded-For`` is trusted only as far as configured.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import KeyParser


def api_key_of(request) -> APIKey | None:
    """The valid, unrevoked API key the request carries, cached on the request."""
    if not hasattr(request, "_mpdb_api_key"):
        key = KeyParser().get(request)
        found = None
        if key:
            try:
                found = APIKey.objects.get_from_key(key)
            except APIKey.DoesNotExist:
                found = None
            if found is not None and (found.revoked or found.has_expired):
                found = None
        request._mpdb_api_key = found
    return request._mpdb_api_key


class _AtomicThrottle(BaseThrottle):
    group = ""

    def scope_for(self, request) -> str:
        raise NotImplementedError

    def allow_request(self, request, view):
        scope = self.scope_for(request)
        key = api_key_of(request)
        ident = f"key:{key.prefix}" if key else f"ip:{self.get_ident(request)}"
        usage = get_usage(
            request,
            group=f"api-{scope}",
            key=lambda group, req: ident,
            rate=settings.API_RATES[scope],
            increment=True,
        )
        if usage is None:  # rate limiting switched off (RATELIMIT_ENABLE = False)
            return True
        self._wait = max(1, usage["time_left"])
        return not usage["should_limit"]

    def wait(self):
        return getattr(self, "_wait", None)


class ReadThrottle(_AtomicThrottle):
    """Reads: ``anon`` per client IP, or ``partner`` per API key."""

    def scope_for(self, request) -> str:
        return "partner" if api_key_of(request) else "anon"


class SubmissionThrottle(_AtomicThrottle):
    """Writes: ``submissions`` per API key (and per IP for requests without one)."""

    def scope_for(self, request) -> str:
        return "submissions"
