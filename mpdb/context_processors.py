"""Site-wide template context."""

from django.conf import settings


def site(request):
    return {"SITE_NAME": "MPDB Directory", "DEBUG": settings.DEBUG}
