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


# Run in processes of their own, each with the databases its environment names: the settings
# read DATABASE_URL and DATABASE_REPLICA_URL once, at start.
ADD_LISTINGS = """
import django, json, sys; django.setup()
from goals.models import Goal
from tests.factories import InitiativeFactory, OrganizationFactory, UserFactory
titles, goal = json.loads(sys.argv[1]), Goal.objects.get(slug=sys.argv[2])
org = OrganizationFactory(postal_code="80302")
for title in titles:
    InitiativeFactory(title=title, organization=org, postal_code="80302", goals=[goal])
UserFactory(username="reader", email="reader@example.org", verified=True)
"""

READ_LISTS = """
import django, json; django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # a response's context, as in the test runner
def seen(client):
    page = client.get("/initiatives/?state=CO")
    assert page.status_code == 200, page.status_code
    goals = {o.value: o.count for o in page.context["facets"]["goal"] if o.count}
    return {"titles": sorted(i.title for i in page.context["object_list"]), "goals": goals}
anonymous = seen(Client())
signed_in = Client()
signed_in.force_login(get_user_model().objects.get(username="reader"))
print(json.dumps({"anonymous": anonymous, "signed_in": seen(signed_in)}))
"""


@pytest.fixture
def two_databases(tmp_path):
    """Addresses of two empty databases of the suite's own kind (SQLite files, or PostgreSQL
    databases on the suite's server, dropped afterwards)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("primary", "replica")]
        return
    import os

    import psycopg

    server = connection.settings_dict
    names = [f"mpdb_replica_test_{os.getpid()}_{name}" for name in ("primary", "replica")]
    admin = psycopg.connect(
        host=server["HOST"],
        port=server["PORT"] or 5432,
        user=server["USER"],
        password=server["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    for name in names:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {names[0]}")
    user = server["USER"] + (f":{server['PASSWORD']}" if server["PASSWORD"] else "")
    base = f"postgres://{user}@{server['HOST']}:{server['PORT'] or 5432}/"
    try:
        yield [base + name for name in names]
    finally:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def copy_database(source: str, target: str) -> None:
    """``target`` made a copy of ``source`` (a file copied, or PostgreSQL's template copy)."""
    import shutil

    if source.startswith("sqlite:///"):
        shutil.copyfile(source.removeprefix("sqlite:///"), target.removeprefix("sqlite:///"))
        return
    import psycopg

    base, source_name = source.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {target.rsplit('/', 1)[1]} TEMPLATE {source_name}")


def test_an_anonymous_list_reads_its_page_and_its_facets_from_the_replica(two_databases):
    """Through a real request, with the replica a database of its own: an anonymous visitor's
    list shows the replica's listings and the replica's facet counts; a signed-in person's, the
    primary's. (A replica that lags shows what it holds, page and counts alike.) The two start
    as one migrated database, then each gets listings the other lacks."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env["DJANGO_SETTINGS_MODULE"] = "mpdb.settings"
    primary, replica = two_databases

    def run(*args, **extra):
        done = subprocess.run(
            [sys.executable, *args],
            cwd=settings.BASE_DIR,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("manage.py", "migrate", "-v0", DATABASE_URL=primary)
    run("manage.py", "loaddata", "goals", "roles", "-v0", DATABASE_URL=primary)
    copy_database(primary, replica)
    only_primary, only_replica = ["Primary circle"], ["Replica circle A", "Replica circle B"]
    run("-c", ADD_LISTINGS, json.dumps(only_primary), "reconciliation", DATABASE_URL=primary)
    run("-c", ADD_LISTINGS, json.dumps(only_replica), "compromise", DATABASE_URL=replica)
    seen = run("-c", READ_LISTS, DATABASE_URL=primary, DATABASE_REPLICA_URL=replica)
    seen = json.loads(seen.strip().splitlines()[-1])
    assert seen["anonymous"] == {"titles": only_replica, "goals": {"compromise": 2}}
    assert seen["signed_in"] == {"titles": only_primary, "goals": {"reconciliation": 1}}
