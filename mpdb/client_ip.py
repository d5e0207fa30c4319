"""The client's address when the app runs behind ``DJANGO_NUM_PROXIES`` trusted proxies."""

from django.conf import settings


def client_ip(request) -> str:
    """The address the last trusted proxy saw (as DRF's throttles compute it)."""
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [part.strip() for part in forwarded.split(",") if part.strip()]
    if settings.NUM_PROXIES and len(hops) >= settings.NUM_PROXIES:
        return hops[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "")
