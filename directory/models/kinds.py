"""The one registry of listing kinds: which model a ``kind`` names, in both spellings."""

from directory.models.events import Event
from directory.models.listings import Initiative, Organization

#: The model a URL's ``kind`` names, in the plural (``/report/<kind>/…``,
#: ``/dashboard/<kind>/…``, ``/curate/history/<kind>/…``).
LISTING_KINDS = {"organizations": Organization, "initiatives": Initiative, "events": Event}
#: The same by the singular, the model's name (``/curate/decide/<kind>/…``, the change feed's
#: ``type``, a source's link column).
LISTING_TYPES = {model._meta.model_name: model for model in LISTING_KINDS.values()}


def listing_kind(listing) -> str:
    """The plural ``kind`` of a listing (or of its model), as ``LISTING_KINDS`` names it."""
    model = listing._meta.concrete_model
    return next(kind for kind, candidate in LISTING_KINDS.items() if candidate is model)
