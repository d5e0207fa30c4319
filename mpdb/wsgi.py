"""WSGI entry point (gunicorn mpdb.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpdb.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Load the process-wide tables now rather than on some later request, so an app server's
    memory is what it will stay at from its start (docs/benchmarks.md, App server memory): the
    ZIP code table (about 37 MiB, read at the first near-ZIP search or ZIP look-up)."""
    from directory.search.geo import lookup_zip, zip_timezone

    lookup_zip("80302")
    zip_timezone("80302")


_warm()
# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's full passes. Without this a full pass walks about 140,000 objects (the ZIP table,
# Django's models, URLs and translations), about 60 ms on the benchmark machine, and lands on
# whichever request happens to trigger it; after it, a full pass takes about 3 ms.
gc.freeze()
