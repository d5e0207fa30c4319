"""The app server's entry point (``mpdb.wsgi``), imported as gunicorn imports it."""

import subprocess
import sys
import textwrap


def test_the_entry_point_leaves_what_it_loaded_out_of_the_collector_s_full_passes():
    """A full collection walks every tracked object: with the ZIP table and Django loaded that
    took about 60 ms, on one unlucky request. ``mpdb.wsgi`` freezes them (``gc.freeze``)."""
    code = textwrap.dedent(
        """
        import gc, os
        os.environ["DJANGO_DEBUG"] = "1"
        import mpdb.wsgi
        print(gc.get_freeze_count(), len(gc.get_objects()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 50_000  # Django, the ZIP table and the app's modules
    assert tracked < frozen / 10  # almost nothing left for a full pass to walk
