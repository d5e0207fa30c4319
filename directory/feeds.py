"""Atom feed of the newest published initiatives; takes the same filters as the list page."""

import re

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .filters import InitiativeFilter
from .models import Initiative

FEED_SIZE = 50
# Characters XML 1.0 cannot carry at all (not even escaped); Django refuses to write them.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text) -> str:
    """``text`` without the characters XML cannot hold (older or imported listings may)."""
    return XML_INVALID.sub("", str(text))


class InitiativeFeed(Feed):
    feed_type = Atom1Feed
    title = _("MPDB Directory — newest initiatives")
    subtitle = _("Newly listed civic and democracy-building initiatives in the U.S.")
    link = "/initiatives/"

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return None

    def items(self):
        filterset = InitiativeFilter(
            self.request.GET, queryset=Initiative.objects.published(), request=self.request
        )
        queryset = filterset.qs if filterset.is_valid() else Initiative.objects.none()
        return queryset.select_related("organization").order_by("-published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item):
        return xml_text(item.title)

    def item_description(self, item):
        return xml_text(item.summary)

    def item_author_name(self, item):
        return xml_text(item.organization.name)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_guid(self, item):
        return f"urn:uuid:{item.uuid}"

    item_guid_is_permalink = False
