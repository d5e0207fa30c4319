"""WSGI entry point (gunicorn mpdb.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpdb.settings")
application = get_wsgi_application()
