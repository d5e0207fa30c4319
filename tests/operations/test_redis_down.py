"""Redis down degrades to no cache: pages, the API and rate-limited forms still answer (limits
fail open, by choice: README "Operations: faults"), and no count stays stale once Redis is back.

The outage is real: the cache points at a local port where nothing listens. The recovery test
uses the machine's Redis (``FAULTS_REDIS_URL``, default redis://127.0.0.1:6379/13, emptied);
tests/operations/test_faults.py kills and restarts a Redis under gunicorn."""

import logging
import os
import time

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

from directory import caching
from tests.browser.helpers import PASSWORD, make_user
from tests.factories import InitiativeFactory
from tests.operations.servers import empty_redis, free_port

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/13")


def resilient(location: str, retry_interval: float = 5) -> dict:
    return {
        "default": {
            "BACKEND": "mpdb.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "RETRY_INTERVAL": retry_interval,
            },
        }
    }


@pytest.fixture
def redis_down(settings, caplog):
    """The cache is a Redis at a port where nothing listens."""
    settings.CACHES = resilient(f"redis://127.0.0.1:{free_port()}/0")
    caplog.set_level(logging.INFO, logger="mpdb.cache")
    return settings


def test_pages_api_and_rate_limited_forms_answer_without_redis(client, redis_down, caplog):
    redis_down.WRITE_RATE = "2/h"  # a limit the reports below would exceed if it were counted
    listing = InitiativeFactory(title="Porch talks")
    for path in (
        "/",
        "/initiatives/?goal=compromise",
        listing.get_absolute_url(),
        "/organizations/",
        "/coverage/",
        "/api/v1/initiatives/",
        "/api/v1/coverage/",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:500])

    report = {"kind": "outdated", "message": "Moved to Thursdays.", "email": ""}
    for _ in range(4):
        assert client.post(f"/report/initiatives/{listing.slug}/", report).status_code == 302
    assert listing.reports.count() == 4  # limits fail open while their counters are away
    alert = {
        "email": "reader@example.org",
        "frequency": "daily",
        "kind": "initiatives",
        "query": "goal=compromise",
    }
    assert client.post("/alerts/subscribe/", alert).status_code == 302

    make_user("member@example.org")
    signed_in = client.post(
        "/accounts/login/", {"login": "member@example.org", "password": PASSWORD}
    )  # allauth's login limits use the cache too
    assert signed_in.status_code == 302, signed_in.content[:1000]
    assert client.get("/dashboard/").status_code == 200

    warnings = [r for r in caplog.records if r.name == "mpdb.cache"]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"  # once per outage
    assert "unreachable" in warnings[0].getMessage()


def test_while_down_the_backend_answers_as_django_s_dummy_cache(redis_down):
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 1) is True
    assert cache.set("k", 1) is None
    assert cache.get_many(["k"]) == {}
    assert cache.delete("k") is False and cache.has_key("k") is False
    assert cache.get_or_set("k", 5) == 5
    with pytest.raises(ValueError):
        cache.incr("k")
    assert not cache.reachable
    started = time.monotonic()
    for _ in range(200):
        cache.get("k")
    assert time.monotonic() - started < 1  # skipped until the retry interval has passed


def test_the_password_in_the_url_is_never_logged(settings, caplog):
    settings.CACHES = resilient(f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0")
    caplog.set_level(logging.WARNING, logger="mpdb.cache")
    cache.get("k")
    assert caplog.records and "s3cret-pass" not in caplog.text


@pytest.fixture
def real_redis(settings, monkeypatch):
    client = empty_redis(REDIS_URL)
    settings.CACHES = resilient(REDIS_URL, retry_interval=0)
    monkeypatch.setattr(caching, "_bump_missed", False)
    yield client
    client.flushdb()


def test_a_write_during_the_outage_invalidates_counts_once_redis_is_back(real_redis, monkeypatch):
    assert caching.cached("count", "q", lambda: "before") == "before"
    assert caching.cached("count", "q", lambda: "unused") == "before"  # cached in Redis

    def refused(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    with monkeypatch.context() as outage:
        for method in ("get", "set", "add", "incr", "delete"):
            outage.setattr(RedisCache, method, refused)
        caching.bump_data_version()  # a listing changed: the bump cannot reach Redis
        assert caching.cached("count", "q", lambda: "after") == "after"  # computed, not cached
        assert not cache.reachable

    # Redis answers again, still holding the count cached before the change: it is not used.
    assert caching.cached("count", "q", lambda: "after") == "after"
    assert cache.reachable and not caching._bump_missed
    assert caching.cached("count", "q", lambda: "unused") == "after"  # and caching works again


def test_one_redis_client_serves_every_call_and_thread(real_redis, monkeypatch):
    """Django builds a ``redis.Redis`` per call; ours builds one per pool and cache object
    (``mpdb.cache``). Django keeps a cache object per thread: four threads, four clients."""
    import threading

    inner = cache._cache
    assert inner.get_client() is inner.get_client(write=True)
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"t{n}:{i}", i)
                assert cache.get(f"t{n}:{i}") == i
                assert cache.get_many([f"t{n}:{i}", "missing"]) == {f"t{n}:{i}": i}
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(built) == 4  # 600 calls from 4 threads: one client each, not one per call
    assert real_redis.dbsize() == 200
