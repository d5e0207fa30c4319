from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_curators_group, sender=self, dispatch_uid="mpdb-curators-group")


def _curators_group(sender, **kwargs):
    """After every migrate, the Curators group has exactly the permissions moderation needs."""
    from .moderation import ensure_curators_group

    ensure_curators_group()
