"""The WSGI module loads the ZIP code table when an app server starts, not on a request."""

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
