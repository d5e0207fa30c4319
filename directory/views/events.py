"""Events: the shared civic calendar (list, agenda, month), detail, .ics and iCal feeds."""

import calendar
from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from directory.feeds import invalid_filters_response
from directory.ical import calendar_for, ics_response
from directory.models import Event
from directory.search.filters import EventFilter
from directory.structured_data import event_jsonld
from directory.views.public import EmbedMixin, FilteredListView

FEED_SIZE = 500


class EventListView(FilteredListView):
    """Upcoming events first; ``?view=month&month=YYYY-MM`` shows a month grid."""

    noun = "event"
    noun_label = gettext_lazy("event")
    noun_plural = gettext_lazy("events")
    model = Event
    filterset_class = EventFilter
    template_name = "directory/event_list.html"

    card_fields = None  # the template reads the events (``cards``)

    def cards(self, rows) -> None:
        return None  # an event's card shows its date and mode: the template reads the events

    def get(self, request, *args, **kwargs):
        self.month = None
        if request.GET.get("view") == "month":
            self.month = _parse_month(request.GET.get("month")) or timezone.localdate().replace(
                day=1
            )
            data = request.GET.copy()
            last = calendar.monthrange(self.month.year, self.month.month)[1]
            data["from"], data["to"] = (
                self.month.isoformat(),
                self.month.replace(day=last).isoformat(),
            )
            request.GET = data
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.month and context.get("paginator"):
            context["month"] = self.month
            context["weeks"] = _month_grid(self.month, self.filterset.qs.for_list()[:500])
            context["prev_month"] = _shift(self.month, -1).strftime("%Y-%m")
            context["next_month"] = _shift(self.month, 1).strftime("%Y-%m")
        days: dict = {}
        for event in context.get("object_list") or []:
            days.setdefault(event.local_start.date(), []).append(event)
        context["days"] = sorted(days.items())
        return context


def _parse_month(text: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if not 1900 <= year <= 2200:
            return None
        return date(year, month, 1)
    except ValueError:
        return None


def _shift(month: date, delta: int) -> date:
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)


def _month_grid(month: date, events) -> list[list[dict]]:
    by_day: dict = {}
    for event in events:
        by_day.setdefault(event.local_start.date(), []).append(event)
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    return [
        [
            {"date": day, "in_month": day.month == month.month, "events": by_day.get(day, [])}
            for day in week
        ]
        for week in weeks
    ]


class EventDetailView(DetailView):
    template_name = "directory/event_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return Event.objects.published().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jsonld"] = event_jsonld(self.object, self.request)
        return context


def event_ics(request, slug):
    """'Add to calendar': one event as an .ics file."""
    event = get_object_or_404(Event.objects.published().select_related("organization"), slug=slug)
    return ics_response(calendar_for([event], request, event.title), event.slug, download=True)


def events_feed(request):
    """A calendar feed of any events search (same filters), for calendar apps to subscribe to."""
    filterset = EventFilter(request.GET, queryset=Event.objects.published(), request=request)
    if not filterset.is_valid():
        return invalid_filters_response(filterset)
    events = filterset.qs.select_related("organization")[:FEED_SIZE]
    return ics_response(calendar_for(events, request), "mpdb-events", download=False)


class EventEmbedView(EmbedMixin, EventListView):
    template_name = "directory/embed_events.html"
    full_list = "directory:event-list"
