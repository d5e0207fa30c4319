"""Cached counts (facets, result totals, home-page figures) with exact invalidation.

Every cached value is stored under a key that includes the *data version*: a counter in the
cache that any change to a listing bumps (saves, deletes, many-to-many changes, bulk loads).
Bumping makes every older entry unreachable at once, so a count is never stale after a write;
the old entries simply expire. With ``REDIS_URL`` the counter and the entries are shared by all
app servers, so a write on one invalidates the others too. With the default local-memory cache
each process has its own counter: fine for one process (``make run``); run several processes
only with Redis (docs/deploy.md).

The version is kept per kind of listing (``SCOPES``), so invalidation is scoped to what
changed: a list, a total or a facet of one kind is keyed by the versions of the kinds it is
built from (``READS``: an initiative's card shows its organization, an event's both), and a
new event leaves the cached lists of initiatives and organizations alone. What shows several
kinds (the home page's figures, most pages' HTTP validators) uses every scope.

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


#: the kinds of listing with a version each
SCOPES = ("organization", "initiative", "event")
#: what the lists, totals and facets of each kind are built from
READS = {
    "organization": ("organization",),
    "initiative": ("initiative", "organization"),
    "event": ("event", "initiative", "organization"),
}


def reads(model) -> tuple[str, ...]:
    """The scopes a list of ``model`` depends on (every scope for anything else)."""
    return READS.get(model._meta.model_name, SCOPES)


def _key(scope: str) -> str:
    return f"{VERSION_KEY}:{scope}"


def _bump(scopes: tuple[str, ...] = SCOPES) -> None:
    global _bump_missed
    for scope in scopes:
        try:
            cache.incr(_key(scope))
        except ValueError:  # not set yet (or evicted): any new value differs from the old one
            cache.add(_key(scope), 2, timeout=None)
    cache.set(CHANGED_AT_KEY, time.time(), timeout=None)
    _bump_missed = not _reachable()


def data_changed_at() -> float | None:
    """When the data last changed (seconds since the epoch), as far as the cache knows."""
    changed = cache.get(CHANGED_AT_KEY)
    if changed is None:  # never bumped since the cache started: from now on, then
        cache.add(CHANGED_AT_KEY, time.time(), timeout=None)
        changed = cache.get(CHANGED_AT_KEY)
    return changed


def data_version(*scopes: str) -> str:
    """The version of the data in ``scopes`` (every scope when none is named), one string."""
    if _bump_missed:
        _bump()  # every scope: which ones changed during the outage is not known
    keys = [_key(scope) for scope in scopes or SCOPES]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, 1, timeout=None)
            found[key] = cache.get(key, 1)
    return ".".join(str(found[key]) for key in keys)


def bump_data_version(*scopes: str) -> None:
    """Forget every cached answer built from ``scopes`` (every scope when none is named), now
    and again after the current transaction commits, if any."""
    scopes = scopes or SCOPES
    _bump(scopes)  # now, so this process never reads a count computed before the write…
    transaction.on_commit(lambda: _bump(scopes))  # …and once the write is visible to all


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


def cached(
    namespace: str,
    parts: object,
    compute: Callable[[], T],
    version: str | None = None,
    scopes: tuple[str, ...] = (),
) -> T:
    """``compute()``'s value, cached under (namespace, parts, the data version of ``scopes``;
    every scope when none is named).

    ``version``: the data version the caller has just read (saves reading it again)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    version = data_version(*scopes) if version is None else version
    key = f"mpdb:{namespace}:{version}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TTL)
    return value


def _on_listing_change(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the loader bumps once at the end
        return
    bump_data_version(_scope_of(sender, kwargs.get("instance")))


def _scope_of(sender, instance) -> str:
    """The kind of listing a saved, deleted or relinked row belongs to."""
    name = sender._meta.model_name
    if name in SCOPES:
        return name
    if name == "sourcerecord":  # a source counts as a change to its listing
        return next(
            (scope for scope in SCOPES if getattr(instance, f"{scope}_id", None)), "organization"
        )
    # A many-to-many link table (roles, goals, languages, networks): its owner's kind.
    return next((scope for scope in SCOPES if name.startswith(scope)), SCOPES[0])


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
