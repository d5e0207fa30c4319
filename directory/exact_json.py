"""Django's JSON serialization format, without its rounding of times to milliseconds.

Registered for the "json" format (settings.SERIALIZATION_MODULES), so backups made with
`export_data` (dumpdata) restore timestamps exactly: the change feed, ETags and history depend
on them. Reading is unchanged: Django's JSON deserializer parses microseconds already.
"""

import datetime

from django.core.serializers.json import Deserializer, DjangoJSONEncoder
from django.core.serializers.json import Serializer as DjangoJSONSerializer

__all__ = ["Deserializer", "Serializer"]


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(DjangoJSONSerializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder
