"""Optional read replica: anonymous page views read from it, everything else uses the primary.

Enabled by ``DATABASE_REPLICA_URL``. A person who is signed in, or who just sent a form (any
request that is not GET/HEAD), reads from the primary, so they always see their own writes;
anonymous visitors tolerate the replica's lag of a second or so. Migrations run on the primary
only; the replica follows by PostgreSQL streaming replication.
"""

import contextvars

from django.conf import settings

REPLICA = "replica"
_reads_from_replica = contextvars.ContextVar("reads_from_replica", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _reads_from_replica.get() else None

    def db_for_write(self, model, **hints):
        return None  # the primary ("default")

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two connections

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """Route this request's reads to the replica when it is an anonymous GET or HEAD."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        anonymous_read = request.method in ("GET", "HEAD") and (
            settings.SESSION_COOKIE_NAME not in request.COOKIES
        )
        token = _reads_from_replica.set(anonymous_read)
        try:
            return self.get_response(request)
        finally:
            _reads_from_replica.reset(token)
