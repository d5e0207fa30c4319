"""The optional read replica: who reads from it (anonymous GET/HEAD), who never does."""

import pytest
from django.conf import settings
from django.test import RequestFactory

from directory.models import Initiative
from mpdb.routers import ReplicaReadsMiddleware, ReplicaRouter


def route_for(request) -> str | None:
    seen = {}

    def view(req):
        seen["db"] = ReplicaRouter().db_for_read(Initiative)
        return None

    ReplicaReadsMiddleware(view)(request)
    return seen["db"]


@pytest.mark.parametrize("method", ["get", "head"])
def test_anonymous_reads_go_to_the_replica(method):
    assert route_for(getattr(RequestFactory(), method)("/initiatives/")) == "replica"


def test_signed_in_people_and_writes_use_the_primary():
    factory = RequestFactory()
    signed_in = factory.get("/dashboard/")
    signed_in.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    assert route_for(signed_in) is None
    assert route_for(factory.post("/submit/organization/")) is None


def test_outside_a_request_and_for_writes_the_primary_is_used():
    router = ReplicaRouter()
    assert router.db_for_read(Initiative) is None
    assert router.db_for_write(Initiative) is None
    assert router.allow_migrate("default", "directory") is True
    assert router.allow_migrate("replica", "directory") is False


def test_the_replica_is_configured_only_from_the_environment():
    import os
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='mpdb.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert plain.stdout.strip() == "['default'] []", plain.stderr
    env["DATABASE_REPLICA_URL"] = "postgres://reader@replica.internal:5432/mpdb"
    replica = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert replica.stdout.strip() == "['default', 'replica'] ['mpdb.routers.ReplicaRouter']"
