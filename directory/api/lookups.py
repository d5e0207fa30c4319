"""Look-ups by slug or code (taxonomy and languages) that never send garbage to the database."""

import re

from rest_framework.exceptions import NotFound

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")


class SlugLookupMixin:
    """A slug that cannot exist (a NUL, a space, a quote…) is a JSON 404 without a query:
    PostgreSQL refuses a NUL in a query with an error, which would be a 500."""

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if not SLUG_RE.fullmatch(value):
            raise NotFound()
        return super().get_object()
