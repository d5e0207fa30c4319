"""The WSGI module, imported as gunicorn imports it: it loads the ZIP code table when an app
server starts, not on a request, and then keeps what it loaded out of the collector's full passes."""

import subprocess
import sys

CHECK = """
import mpdb.wsgi
from directory.search import geo
geo.lookup_zip.cache_clear()
import resource
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for code in ("10001", "94103", "60601", "30301"):
    assert geo.lookup_zip(code) is not None
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before)
"""


def test_the_zip_table_is_loaded_at_start_so_requests_do_not_grow_memory():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert int(out.strip()) < 4 * 1024  # KiB: the table (about 37 MiB) was already there


FROZEN = """
import gc
import mpdb.wsgi
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_what_the_app_server_loaded_is_left_out_of_the_collector_s_full_passes():
    """A full collection walks every tracked object: with the ZIP table and Django loaded that
    took about 60 ms, on one unlucky request. ``mpdb.wsgi`` freezes them (``gc.freeze``)."""
    out = subprocess.run(
        [sys.executable, "-c", FROZEN], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 50_000  # Django, the ZIP table and the app's modules
    assert tracked < frozen / 10  # almost nothing left for a full pass to walk
