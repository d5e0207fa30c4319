from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_curators_group, sender=self, dispatch_uid="mpdb-curators-group")
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_language, dispatch_uid="mpdb-remember-language")

        from directory.caching import connect_signals

        connect_signals()  # any change to a listing invalidates the cached counts

        from directory.search import taxonomy

        taxonomy.connect_signals()  # an edit of the taxonomy: every process reads it again

        from directory.webhooks import events

        events.connect()  # changes to the public set become webhook deliveries, on commit

        from django.db.backends.signals import connection_created

        from mpdb import timestamps

        # PostgreSQL: timestamps parsed by psycopg's C loader (mpdb/timestamps.py)
        connection_created.connect(timestamps.install, dispatch_uid="mpdb-fast-timestamps")


def _curators_group(sender, **kwargs):
    """After every migrate, the Curators group has exactly the permissions moderation needs."""
    from directory.services.curators import ensure_curators_group

    ensure_curators_group()


def _remember_language(sender, request, user, **kwargs):
    """Remember the language someone signs in with, so e-mails to them are written in it."""
    from directory.services.notify import remember_language

    remember_language(user, getattr(request, "LANGUAGE_CODE", None))
