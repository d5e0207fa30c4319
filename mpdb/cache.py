"""The shared cache (Redis) that degrades to no cache while Redis cannot be reached.

Django's ``RedisCache`` raises on every call when Redis is down, which would turn every page,
API answer and rate-limited form into a 500. ``ResilientRedisCache`` catches Redis's connection
and timeout errors (nothing else: a wrong command is still a bug) and then answers exactly as
Django's ``DummyCache`` does: ``get`` gives the default, ``add`` says it stored, ``incr`` says the
key is missing, writes are dropped. What that means for the site:

- cached counts are computed from the database on every request (correct, only slower);
- rate limits *fail open*: django-ratelimit's and allauth's counters see an empty cache, so
  nobody is refused (see README, "Operations: faults", for the choice);
- a listing change cannot bump the shared data version: ``directory.caching`` remembers that and
  bumps it as soon as Redis answers again, so no count stays stale once it is back.

After a failure the backend does not touch Redis for ``RETRY_INTERVAL`` seconds (default 5), so a
Redis that hangs instead of refusing costs one connect timeout per interval, not one per call.
The first failure of an outage is logged at WARNING, the recovery at INFO; nothing in between.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger("mpdb.cache")

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _without_password(location: str) -> str:
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.hostname or ""
    return parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host).geturl()


class _Health:
    """Whether one Redis location answers; shared by every thread of the process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's client, with one ``redis.Redis`` per connection pool for the whole process.

    Django builds a new ``redis.Redis`` for every cache call, and building one costs about 80 µs
    on the benchmark machine (it copies its table of reply callbacks); a page makes from 3 to
    12 cache calls. A ``redis.Redis`` is only a handle on its pool (which hands each command a
    connection); Django keeps one cache object, so one client, per thread.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    _health: dict[str, _Health] = {}

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_interval = float(options.pop("RETRY_INTERVAL", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = SharedClientRedisCacheClient
        self._where = ",".join(_without_password(s) for s in self._servers)
        self._state = self._health.setdefault(self._where, _Health())

    @property
    def reachable(self) -> bool:
        """False from a failed call until a call succeeds again."""
        return not self._state.down

    def _call(self, method: str, fallback, *args, **kwargs):
        state = self._state
        if state.down and time.monotonic() < state.retry_at:
            return fallback()
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except UNREACHABLE as exc:
            with state.lock:
                if not state.down:
                    log.warning(
                        "Redis at %s unreachable (%s: %s): serving without the shared cache and "
                        "without rate limits; retrying every %g s",
                        self._where,
                        type(exc).__name__,
                        exc,
                        self.retry_interval,
                    )
                state.down = True
                state.retry_at = time.monotonic() + self.retry_interval
            return fallback()
        if state.down:
            with state.lock:
                if state.down:
                    state.down = False
                    log.info("Redis at %s reachable again: shared cache back", self._where)
        return result

    # The same answers as django.core.cache.backends.dummy.DummyCache while Redis is down.
    def add(self, *args, **kwargs):
        return self._call("add", lambda: True, *args, **kwargs)

    def get(self, key, default=None, version=None):
        return self._call("get", lambda: default, key, default, version)

    def set(self, *args, **kwargs):
        return self._call("set", lambda: None, *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", lambda: False, *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", lambda: False, *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", dict, *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", lambda: False, *args, **kwargs)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (Redis unreachable).")

        return self._call("incr", missing, key, delta, version)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", list, *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", lambda: None, *args, **kwargs)

    def clear(self):
        return self._call("clear", lambda: False)
