"""Rate limits for the API: anonymous clients by IP, partners by API key (a higher limit).

Rates are read from ``settings.API_RATES`` on each request, so operators (and tests) can change
them without a restart of the throttle classes.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle
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


class _ConfiguredRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_RATES[self.scope]


class ReadThrottle(_ConfiguredRateThrottle):
    """Reads: ``anon`` per client IP, or ``partner`` per API key."""

    scope = "anon"

    def allow_request(self, request, view):
        self.scope = "partner" if api_key_of(request) else "anon"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        key = api_key_of(request)
        ident = f"key:{key.prefix}" if key else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SubmissionThrottle(_ConfiguredRateThrottle):
    """Writes: ``submissions`` per API key (and per IP for requests without one)."""

    scope = "submissions"

    def get_cache_key(self, request, view):
        key = api_key_of(request)
        ident = f"key:{key.prefix}" if key else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
