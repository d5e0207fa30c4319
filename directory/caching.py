"""Cached counts (facets, result totals, home-page figures) with exact invalidation.

Every cached value is stored under a key that includes the *data version*: a counter in the
cache that any change to a listing bumps (saves, deletes, many-to-many changes, bulk loads).
Bumping makes every older entry unreachable at once, so a count is never stale after a write;
the old entries simply expire. With ``REDIS_URL`` the counter and the entries are shared by all
app servers, so a write on one invalidates the others too. With the default local-memory cache
each process has its own counter: fine for one process (``make run``); run several processes
only with Redis (docs/deploy.md).

While Redis cannot be reached (``mpdb.cache.ResilientRedisCache``) nothing is cached and every
count is computed; a bump that could not reach Redis is remembered and made as soon as Redis
answers again, so entries cached before the outage never outlive a write made during it.
"""

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

VERSION_KEY = "mpdb:data-version"
CHANGED_AT_KEY = "mpdb:data-changed-at"  # when the version last moved (HTTP Last-Modified)
TTL = 10 * 60  # seconds; entries of older versions expire on their own
T = TypeVar("T")
_bump_missed = False  # a bump failed to reach the cache (Redis down): make it when it is back


def _reachable() -> bool:
    return getattr(cache, "reachable", True)  # only ResilientRedisCache can be unreachable


def _bump() -> None:
    global _bump_missed
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value differs from the old one
        cache.add(VERSION_KEY, 2, timeout=None)
    cache.set(CHANGED_AT_KEY, time.time(), timeout=None)
    _bump_missed = not _reachable()


def data_changed_at() -> float | None:
    """When the data last changed (seconds since the epoch), as far as the cache knows."""
    changed = cache.get(CHANGED_AT_KEY)
    if changed is None:  # never bumped since the cache started: from now on, then
        cache.add(CHANGED_AT_KEY, time.time(), timeout=None)
        changed = cache.get(CHANGED_AT_KEY)
    return changed


def data_version() -> int:
    if _bump_missed:
        _bump()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_data_version() -> None:
    """Forget every cached count (after the current transaction commits, if any)."""
    _bump()  # now, so this process never reads a count computed before the write…
    transaction.on_commit(_bump)  # …and again once the write is visible to everyone else


def request_parts(request) -> tuple:
    """What an answer built only from the data depends on besides the data version: scheme and
    host (links are absolute), path, query and language."""
    return (
        request.scheme,
        request.get_host(),
        request.path,
        sorted(request.GET.lists()),
        translation.get_language(),
    )


def region_key(request) -> str:
    """The ``{% cache %}`` key of a page region built only from the data and the request."""
    return f"{data_version()}:{request_parts(request)}"


def cached(
    namespace: str, parts: object, compute: Callable[[], T], version: int | None = None
) -> T:
    """``compute()``'s value, cached under (namespace, parts, data version).

    ``version``: the data version the caller has just read (saves reading it again)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"mpdb:{namespace}:{data_version() if version is None else version}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TTL)
    return value


def _on_listing_change(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the loader bumps once at the end
        return
    bump_data_version()


def connect_signals() -> None:
    from django.db.models import signals

    from directory.models import Event, Initiative, Organization, SourceRecord

    for model in (Organization, Initiative, Event, SourceRecord):
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(
                _on_listing_change, sender=model, dispatch_uid=f"version-{signal}-{model}"
            )
        if model is SourceRecord:
            continue
        for field in ("roles", "goals", "languages"):
            through = model._meta.get_field(field).remote_field.through
            signals.m2m_changed.connect(
                _on_listing_change, sender=through, dispatch_uid=f"version-m2m-{through}"
            )
    networks = Organization._meta.get_field("networks").remote_field.through
    signals.m2m_changed.connect(_on_listing_change, sender=networks, dispatch_uid="version-nets")
