"""iCalendar (RFC 5545) for events: one event's .ics, or a feed of any events search."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent


def calendar_for(events, request, name: str | None = None) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//MPDB Directory//Events//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name or _("MPDB Directory events"))
    now = timezone.now()
    for event in events:
        item = VEvent()
        item.add("uid", f"{event.uuid}@mpdb-directory")
        item.add("dtstamp", now)
        item.add("summary", event.title)
        item.add(
            "description", event.summary + ("\n\n" + event.description if event.description else "")
        )
        item.add("url", request.build_absolute_uri(event.get_absolute_url()))
        item.add("last-modified", event.updated_at)
        if event.all_day:
            first = event.local_start.date()
            last = (event.local_end or event.local_start).date()
            item.add("dtstart", first)
            item.add("dtend", last + timedelta(days=1))  # DTEND is exclusive for dates
        else:
            item.add("dtstart", event.local_start)
            item.add("dtend", event.local_end or event.local_start + timedelta(hours=1))
        where = ", ".join(p for p in (event.city, event.state, event.postal_code) if p)
        if event.mode == "online":
            where = event.join_url or event.registration_url or _("Online")
        if where:
            item.add("location", where)
        if event.organization.email:  # ORGANIZER is an address; without one, none is made up
            item.add(
                "organizer",
                f"mailto:{event.organization.email}",
                parameters={"cn": event.organization.name},
            )
        cal.add_component(item)
    cal.add_missing_timezones()  # VTIMEZONE for every TZID used (RFC 5545)
    return cal.to_ical()


def ics_response(body: bytes, filename: str, download: bool) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}.ics"'
    return response
