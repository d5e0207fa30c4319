"""Site-wide template context."""

from django.conf import settings


def site(request):
    return {
        "SITE_NAME": "MPDB Directory",
        "DEBUG": settings.DEBUG,
        "path_for_switcher": path_for_switcher(request),
    }


def path_for_switcher(request) -> str:
    """This page's address, filters included, without a ``lang`` that would override the choice."""
    params = request.GET.copy()
    params.pop("lang", None)
    query = params.urlencode()
    return request.path + (f"?{query}" if query else "")
