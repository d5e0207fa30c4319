"""Atom feed of the newest published initiatives; takes the same filters as the list page."""

import re

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from directory.models import Initiative
from directory.search.filters import InitiativeFilter

FEED_SIZE = 50
# Characters XML 1.0 cannot carry at all (not even escaped); Django refuses to write them.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text) -> str:
    """``text`` without the characters XML cannot hold (older or imported listings may)."""
    return XML_INVALID.sub("", str(text))


def invalid_filters_response(filterset) -> HttpResponse:
    """400 with the filters' messages, as the list page answers: a feed of a search that cannot
    run would otherwise look like a search that found nothing."""
    return HttpResponse(
        filterset.errors.as_text(), status=400, content_type="text/plain; charset=utf-8"
    )


class InitiativeFeed(Feed):
    feed_type = Atom1Feed
    title = _("MPDB Directory — newest initiatives")
    subtitle = _("Newly listed civic and democracy-building initiatives in the U.S.")
    link = "/initiatives/"

    def __call__(self, request, *args, **kwargs):
        filterset = InitiativeFilter(
            request.GET, queryset=Initiative.objects.published(), request=request
        )
        if not filterset.is_valid():
            return invalid_filters_response(filterset)
        return super().__call__(request, *args, filterset=filterset, **kwargs)

    def get_object(self, request, *args, filterset=None, **kwargs):
        return filterset  # one instance serves every request: the search travels as the object

    def items(self, filterset):
        newest = filterset.qs.select_related("organization").order_by("-published_at", "-pk")
        return newest[:FEED_SIZE]

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
