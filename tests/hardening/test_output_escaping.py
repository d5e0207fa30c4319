"""Every payload comes out as text in every place listing text is shown: HTML pages, JSON-LD,
the Atom feed, iCalendar, CSV, GeoJSON, JSON, the embeds, e-mails and the admin.

The listings are created directly (as an import, an old version or a curator could have let
them in), so this checks the *output* side whatever the input side refuses.
"""

import csv
import email
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.utils.html import escape
from icalendar import Calendar

from directory.caching import bump_data_version
from directory.models import Initiative
from roles.models import Role
from tests.factories import InitiativeFactory

from .conftest import audit_html, logged_in, make_user
from .payloads import CSV_FORMULAS, PAYLOADS

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_safe_html(html: str, payloads, where: str) -> None:
    """No markup of ours was changed by the payloads, and each one is shown as text."""
    audit = audit_html(html)
    assert audit.problems == [], f"{where}: {audit.problems}"
    for script in audit.scripts:
        if script.strip():
            json.loads(script)  # JSON blocks stay JSON: nothing closed the <script> early
    for payload in payloads:
        assert escape(payload) in html, f"{where}: {payload!r} is not shown escaped"
        if "<" in payload:
            assert payload not in html, f"{where}: {payload!r} appears unescaped"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_detail_pages_show_payloads_as_text_and_keep_json_ld_whole(client, hostile):
    for payload, org, initiative, event in hostile:
        for obj in (org, initiative, event):
            url = obj.get_absolute_url()
            html = page(client, url)
            assert_safe_html(html, [payload], url)
            audit = audit_html(html)
            blocks = [json.loads(s) for s in audit.scripts if s.strip()]
            assert "</script" not in "".join(audit.scripts).lower()
            names = [b.get("name") for b in blocks if isinstance(b, dict)]
            assert payload in names, f"{url}: JSON-LD lost the name {payload!r}"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/initiatives/?page_size=100",
        "/initiatives/?page_size=100&view=map",
        "/organizations/?page_size=100",
        "/events/?page_size=100",
        "/events/?view=month",
        "/embed/initiatives/?page_size=100",
        "/embed/events/",
        "/roles/{role}/",
    ],
)
def test_list_pages_and_embeds_show_payloads_as_text(client, hostile, url):
    role = Role.objects.order_by("pk").first()
    for _payload, _org, initiative, _event in hostile:
        initiative.roles.add(role)
    url = url.format(role=role.slug)
    html = page(client, url)
    shown = [p for p in PAYLOADS if escape(p) in html]
    assert shown, f"{url} shows none of the listings"
    assert_safe_html(html, shown, url)


def test_the_map_data_is_json_with_the_titles_as_data(client, hostile):
    html = page(client, "/initiatives/?view=map&page_size=100")
    audit = audit_html(html)
    points = next(json.loads(s) for s in audit.scripts if s.strip().startswith("[{"))
    assert {p["title"] for p in points} >= {p for p, *_ in hostile}


def test_the_atom_feed_parses_and_carries_the_text_escaped(client, hostile):
    response = client.get("/feeds/initiatives.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    titles = {e.findtext("a:title", namespaces=ns) for e in entries}
    summaries = {e.findtext("a:summary", namespaces=ns) for e in entries}
    authors = {e.findtext("a:author/a:name", namespaces=ns) for e in entries}
    for payload in PAYLOADS:
        assert payload in titles and payload in summaries and payload in authors, payload
    assert not root.findall(".//{urn:x}evil")


def test_the_atom_feed_drops_characters_xml_cannot_carry(client):
    InitiativeFactory(title="Bell\x07 and VT\x0b here", summary="Escape\x1b[31m red")
    response = client.get("/feeds/initiatives.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.find("a:entry", ns).findtext("a:title", namespaces=ns) == "Bell and VT here"


def test_icalendar_feeds_carry_the_text_as_data(client, hostile):
    for url in ["/events/feed.ics", *[f"/events/{e.slug}/event.ics" for *_, e in hostile]]:
        response = client.get(url)
        assert response.status_code == 200, url
        events = [c for c in Calendar.from_ical(response.content).walk() if c.name == "VEVENT"]
        summaries = {str(e["summary"]) for e in events}
        assert summaries & set(PAYLOADS), url
        assert summaries <= set(PAYLOADS), url


@pytest.mark.parametrize("kind", ["initiatives", "organizations", "events"])
def test_csv_exports_neutralise_formulas(client, hostile, kind):
    response = client.get(f"/api/v1/{kind}/?format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows
    found = set()
    for row in rows:
        for column, cell in row.items():
            if cell in PAYLOADS or cell.removeprefix("'") in PAYLOADS:
                escaped = cell.startswith("'") and cell[1:] in PAYLOADS
                payload = cell[1:] if escaped else cell
                found.add(payload)
                if payload.startswith(FORMULA_STARTS):
                    assert cell == "'" + payload, (column, cell)
                else:
                    assert cell == payload, (column, cell)
    assert set(CSV_FORMULAS) <= found


@pytest.mark.parametrize("kind", ["initiatives", "organizations", "events"])
def test_geojson_is_valid_json_with_the_text_as_data(client, hostile, kind):
    response = client.get(f"/api/v1/{kind}/?format=geojson")
    assert response.status_code == 200
    data = json.loads(b"".join(response.streaming_content))
    assert data["type"] == "FeatureCollection"
    field = "name" if kind == "organizations" else "title"
    names = {f["properties"][field] for f in data["features"]}
    assert set(PAYLOADS) <= names


def test_json_api_returns_the_text_unchanged(client, hostile):
    for payload, org, initiative, event in hostile:
        for kind, obj, field in [
            ("organizations", org, "name"),
            ("initiatives", initiative, "title"),
            ("events", event, "title"),
        ]:
            response = client.get(f"/api/v1/{kind}/{obj.uuid}/")
            assert response.status_code == 200
            assert response["Content-Type"] == "application/json"
            data = response.json()
            assert data[field] == payload and data["summary"] == payload


def test_the_change_feed_returns_the_text_unchanged(client, hostile):
    response = client.get("/api/v1/changes/?limit=500")
    assert response.status_code == 200
    titles = {
        item["object"].get("title") or item["object"].get("name")
        for item in response.json()["results"]
    }
    assert set(PAYLOADS) <= titles


def test_curator_and_member_pages_show_payloads_as_text(hostile, curator):
    for payload, _org, initiative, _event in hostile[:6]:
        InitiativeFactory(
            organization=initiative.organization,
            status="pending",
            published_at=None,
            title=payload,
            summary=payload,
            slug=f"pending-{initiative.slug}",
        )
    client = logged_in(curator)
    queue = page(client, "/curate/queue/")
    assert_safe_html(queue, [p for p, *_ in hostile[:6]], "/curate/queue/")
    payload, _org, initiative, _event = hostile[1]
    initiative.title = "Renamed"
    initiative.save()
    history = page(client, f"/curate/history/initiatives/{initiative.slug}/")
    assert_safe_html(history, [payload], "history")


def test_a_members_dashboard_shows_payloads_as_text(hostile):
    from directory.models import Membership

    member = make_user("member")
    payload, org, _initiative, _event = hostile[0]
    Membership.objects.create(user=member, organization=org, role="owner")
    html = page(logged_in(member), "/dashboard/")
    assert_safe_html(html, [payload], "/dashboard/")


@pytest.mark.parametrize("model", ["organization", "initiative", "event"])
def test_the_admin_change_list_and_form_escape_payloads(hostile, superuser, model):
    client = logged_in(superuser)
    changelist = page(client, f"/admin/directory/{model}/")
    assert_safe_html(changelist, [p for p in PAYLOADS if escape(p) in changelist], model)
    assert any(escape(p) in changelist for p in PAYLOADS)
    for payload, org, initiative, event in hostile[:4]:
        obj = {"organization": org, "initiative": initiative, "event": event}[model]
        html = page(client, f"/admin/directory/{model}/{obj.pk}/change/")
        assert_safe_html(html, [payload], f"admin {model} {obj.pk}")


def test_decision_emails_are_plain_text_with_the_text_as_written(hostile, curator):
    from directory.services.moderation import decide

    submitter = make_user("submitter")
    for payload, org, *_ in hostile:
        initiative = InitiativeFactory(
            organization=org,
            title=payload,
            status="pending",
            published_at=None,
            submitted_by=submitter,
            slug=f"decided-{org.slug}",
        )
        mail.outbox.clear()
        decide(by=curator, target=initiative, action="approve")
        (message,) = mail.outbox
        assert "\n" not in message.subject and "\r" not in message.subject
        assert payload in message.subject and payload in message.body
        for content, mimetype in getattr(message, "alternatives", []):
            assert mimetype != "text/html" or (
                payload not in content and escape(payload) in content
            )


def test_invitation_and_claim_emails_carry_names_on_one_subject_line(rf, hostile):
    from directory.services.membership import invitation_create

    owner = make_user("owner")
    payload, org, *_ = hostile[0]
    mail.outbox.clear()
    _invitation, sent = invitation_create(
        by=owner, organization=org, email="friend@example.org", base_url="http://testserver"
    )
    assert sent
    (message,) = mail.outbox
    assert payload in message.subject and "\n" not in message.subject
    assert payload in message.body


def test_a_listing_name_with_a_line_break_cannot_inject_mail_headers(curator):
    from directory.services.moderation import decide

    submitter = make_user("submitter")
    initiative = InitiativeFactory(
        title="Line one\r\nBcc: victim@example.org\r\nX-Evil: 1",
        status="pending",
        published_at=None,
        submitted_by=submitter,
    )
    mail.outbox.clear()
    decide(by=curator, target=initiative, action="approve")
    (message,) = mail.outbox  # sent, not refused
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.bcc == [] and "X-Evil" not in message.extra_headers
    assert message.recipients() == ["submitter@example.org"]
    headers = email.message_from_bytes(message.message().as_bytes())
    assert headers["Bcc"] is None and headers["X-Evil"] is None
    assert headers["Subject"].startswith("[MPDB Directory]")


def test_user_written_links_become_hrefs_only_when_http(client):
    from directory.models import Organization

    org = Organization.objects.create(
        slug="js-links",
        name="JS links",
        summary="x",
        status="published",
        website="javascript:alert(document.cookie)",
    )
    initiative = InitiativeFactory(
        organization=org,
        slug="js-initiative",
        website="JaVaScRiPt:alert(1)",
        get_involved_url="data:text/html,<script>alert(1)</script>",
    )
    from tests.hardening.conftest import make_event

    event = make_event(
        org,
        slug="js-event",
        mode="online",
        join_url="javascript:alert(1)",
        registration_url="vbscript:msgbox(1)",
    )
    for obj in (org, initiative, event):
        html = page(client, obj.get_absolute_url())
        assert audit_html(html).problems == [], obj
        assert 'href="javascript' not in html.lower()
    jsonld = "".join(audit_html(page(client, org.get_absolute_url())).scripts)
    assert "javascript:" not in jsonld.lower()
    assert "javascript:" not in "".join(audit_html(page(client, event.get_absolute_url())).scripts)
    Initiative.objects.filter(pk=initiative.pk).update(website="https://ok.example/")
    bump_data_version()  # a direct UPDATE skips the signals that retire cached pages
    assert 'href="https://ok.example/"' in page(client, initiative.get_absolute_url())
