"""The backup's format (``manage.py export_data``): this project's JSON (``exact_json``: times
to the microsecond), with primary keys for every reference except to the rows ``migrate``
creates again in a new database (content types, permissions, groups), which are referred to
by natural key since their keys may differ there.

Django's ``dumpdata --natural-foreign`` writes every reference to a model that has a natural
key by that key: each listing's organization, each link's role or goal, each history row's
listing and user. Writing them read the row referred to, one query per reference, and a
restore looked each up again: on the seeded directory (about 11,600 rows) the export took 49 s
and the restore about 100 s on a slow machine. Everything but those three models is restored
with its own primary key, so the keys are what a restore needs. ``loaddata`` (``import_data``)
reads the file as plain JSON: it takes a list as a natural key and a number as a primary key.
"""

from contextlib import contextmanager

from directory.exact_json import Deserializer
from directory.exact_json import Serializer as JSONSerializer

__all__ = ["Deserializer", "Serializer"]

#: created by ``migrate`` in the database a backup is restored into: by natural key
RECREATED = {"contenttypes.contenttype", "auth.permission", "auth.group"}


class Serializer(JSONSerializer):
    def handle_fk_field(self, obj, field):
        with self._natural_keys_for(field):
            super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        with self._natural_keys_for(field):
            super().handle_m2m_field(obj, field)

    @contextmanager
    def _natural_keys_for(self, field):
        chosen = self.use_natural_foreign_keys
        label = field.remote_field.model._meta.label_lower
        self.use_natural_foreign_keys = chosen and label in RECREATED
        try:
            yield
        finally:
            self.use_natural_foreign_keys = chosen
