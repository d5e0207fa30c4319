"""English and Spanish: pages, taxonomy, API, forms, dates, e-mails and the language filter."""

import re

import pytest
from django.core import mail
from django.utils import translation

from directory.models import Alert, Language
from goals.models import Goal
from roles.models import Role, RoleGroup
from tests.factories import InitiativeFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-US,es;q=0.9,en;q=0.5"}


def es(text: str) -> str:
    """Our Spanish catalogue's translation of ``text``; it must really be translated."""
    with translation.override("es"):
        translated = translation.gettext(text)
    assert translated != text, f"no Spanish for {text!r}"
    return translated


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# Pages ---------------------------------------------------------------------------------------


def test_browser_language_chooses_spanish_pages(client):
    english = client.get("/")
    spanish = client.get("/", **SPANISH)
    assert html_lang(english.content.decode()) == "en"
    assert html_lang(spanish.content.decode()) == "es"
    assert spanish["Content-Language"] == "es"
    assert "Accept-Language" in spanish["Vary"]
    page = spanish.content.decode()
    assert es("Initiatives") in page and es("Skip to main content") in page
    assert ">Initiatives<" not in page


def test_the_switcher_keeps_page_and_filters_and_is_remembered(client):
    target = "/initiatives/?goal=compromise&state=CO"
    response = client.post("/i18n/setlang/", {"language": "es", "next": target})
    assert response.status_code == 302
    assert response["Location"] == target
    assert client.cookies["django_language"].value == "es"
    page = client.get(target).content.decode()
    assert html_lang(page) == "es"
    # The switcher on the page offers the way back, to this same filtered page.
    assert 'name="next" value="/initiatives/?goal=compromise&amp;state=CO"' in page
    assert "English" in page and "Español" in page
    back = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert back["Location"] == target
    assert html_lang(client.get(target).content.decode()) == "en"


def test_the_switcher_refuses_to_redirect_off_site(client):
    response = client.post(
        "/i18n/setlang/", {"language": "es", "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_lang_parameter_wins_for_one_request_only(client):
    page = client.get("/roles/?lang=es").content.decode()
    assert html_lang(page) == "es"
    # Nothing is stored: the next request is English again.
    assert html_lang(client.get("/roles/").content.decode()) == "en"
    # An unknown code is ignored, not an error.
    response = client.get("/roles/?lang=xx")
    assert response.status_code == 200 and html_lang(response.content.decode()) == "en"


def test_taxonomy_pages_show_spanish_names_and_summaries(client):
    role = Role.objects.get(slug="bridge-builders")
    goal = Goal.objects.get(number=1)
    assert role.name_es and role.name_es != role.name_en
    page = client.get("/roles/", **SPANISH).content.decode()
    assert role.name_es in page
    assert role.name_en not in page
    detail = client.get(role.get_absolute_url(), **SPANISH).content.decode()
    assert role.summary_es in detail
    goals = client.get("/goals/", **SPANISH).content.decode()
    assert goal.title_es in goals and goal.title_en not in goals


def test_every_taxonomy_term_has_spanish():
    for model, fields in (
        (Goal, ["title", "summary"]),
        (RoleGroup, ["name", "summary"]),
        (Role, ["name", "summary"]),
        (Language, ["name"]),
    ):
        for obj in model.objects.all():
            for field in fields:
                assert getattr(obj, f"{field}_es"), f"{obj!r} has no Spanish {field}"
    assert Role.objects.count() == 53 and RoleGroup.objects.count() == 11


def test_form_errors_come_in_spanish_and_keep_what_was_typed(client):
    client.force_login(UserFactory(username="m"))
    data = {"name": "Puente Comunitario", "summary": "", "postal_code": "00000", "scope": "local"}
    response = client.post("/submit/organization/", data, **SPANISH)
    assert response.status_code == 400
    page = response.content.decode()
    assert html_lang(page) == "es"
    with translation.override("es"):
        required = translation.gettext("This field is required.")
    assert required.startswith("Este campo")  # Django's own Spanish catalogue
    assert required in page
    assert "is not a known 5-digit U.S. ZIP code" not in page
    assert 'value="Puente Comunitario"' in page


def test_dates_are_written_in_spanish(client):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.directory.test_events import make_event

    event = make_event(starts_at=datetime(2027, 3, 14, 18, 0, tzinfo=ZoneInfo("America/Denver")))
    english = client.get(event.get_absolute_url()).content.decode()
    spanish = client.get(event.get_absolute_url(), **SPANISH).content.decode()
    assert "March" in english
    assert "marzo" in spanish and "March" not in spanish


# API -----------------------------------------------------------------------------------------


def test_api_gives_the_language_asked_for_and_says_which(client):
    role = Role.objects.get(slug="mediators")
    default = client.get("/api/v1/roles/mediators/")
    assert default["Content-Language"] == "en" and default.json()["name"] == role.name_en
    by_header = client.get("/api/v1/roles/mediators/", **SPANISH)
    assert by_header["Content-Language"] == "es" and by_header.json()["name"] == role.name_es
    by_param = client.get("/api/v1/roles/mediators/?lang=es")
    assert by_param["Content-Language"] == "es"
    assert by_param.json()["summary"] == role.summary_es
    # ?lang= wins over the header.
    both = client.get("/api/v1/roles/mediators/?lang=en", **SPANISH)
    assert both["Content-Language"] == "en" and both.json()["name"] == role.name_en
    goal = client.get("/api/v1/goals/?lang=es").json()[0]
    assert goal["title"] == Goal.objects.get(number=1).title_es
    # Slugs never change with the language.
    assert by_param.json()["slug"] == "mediators"
    assert goal["slug"] == Goal.objects.get(number=1).slug


def test_listings_carry_spanish_taxonomy_in_the_api(client):
    role = Role.objects.get(slug="mediators")
    InitiativeFactory(roles=[role], languages=["es", "en"])
    item = client.get("/api/v1/initiatives/?lang=es").json()["results"][0]
    assert item["roles"][0] == {"slug": "mediators", "name": role.name_es, "group": role.group.slug}
    assert sorted(item["languages"]) == ["en", "es"]


def test_api_errors_come_in_the_language_asked_for(client):
    response = client.get("/api/v1/initiatives/?near=123&lang=es")
    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    message = response.json()["near"][0]
    with translation.override("es"):
        assert "123" in message and message != "“123” is not a 5-digit ZIP code."


@pytest.mark.parametrize("value", ["fr", "EN", " es", "-58800", "es-MX", "en\x00"])
def test_api_refuses_a_language_it_does_not_have(client, value):
    # The schema lists en and es; anything else is a field error, never a silent fallback.
    response = client.get("/api/v1/goals/", {"lang": value})
    assert response.status_code == 400
    assert "lang" in response.json() and "en, es" in response.json()["lang"][0]
    # The message follows the browser's language.
    spanish = client.get("/api/v1/goals/", {"lang": value}, **SPANISH)
    assert spanish.status_code == 400 and spanish["Content-Language"] == "es"
    assert "en, es" in spanish.json()["lang"][0]
    assert spanish.json()["lang"][0] != response.json()["lang"][0]


def test_api_empty_lang_means_not_given_and_pages_ignore_unknown_codes(client):
    assert client.get("/api/v1/goals/?lang=").status_code == 200
    page = client.get("/goals/?lang=fr")
    assert page.status_code == 200 and page["Content-Language"] == "en"
    assert client.get("/goals/?lang=ES")["Content-Language"] == "es"


def test_language_list_endpoint(client):
    data = client.get("/api/v1/languages/?lang=es").json()
    codes = [row["code"] for row in data]
    assert codes[:2] == ["en", "es"]
    assert data[1]["name"] == "Español"
    assert client.get("/api/v1/languages/").json()[1]["name"] == "Spanish"


# The language filter (runs on SQLite and PostgreSQL in CI) ------------------------------------


@pytest.fixture
def by_language():
    return {
        "es": InitiativeFactory(title="Círculos de diálogo", languages=["es"]),
        "both": InitiativeFactory(title="Bilingual town halls", languages=["en", "es"]),
        "zh": InitiativeFactory(title="Chinese civic classes", languages=["zh", "en"]),
        "none": InitiativeFactory(title="Unstated"),
    }


def titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


def test_language_filter_in_the_api(client, by_language):
    assert titles(client.get("/api/v1/initiatives/?language=es")) == {
        "Círculos de diálogo",
        "Bilingual town halls",
    }
    assert titles(client.get("/api/v1/initiatives/?language=es&language=zh")) == {
        "Círculos de diálogo",
        "Bilingual town halls",
        "Chinese civic classes",
    }
    assert len(client.get("/api/v1/initiatives/").json()["results"]) == 4
    bad = client.get("/api/v1/initiatives/?language=xx")
    assert bad.status_code == 400 and "language" in bad.json()


def test_language_filter_on_html_pages_and_shown_on_listings(client, by_language):
    page = client.get("/initiatives/?language=zh").content.decode()
    assert "Chinese civic classes" in page and "Círculos de diálogo" not in page
    detail = client.get(by_language["both"].get_absolute_url(), **SPANISH).content.decode()
    assert "Español" in detail and "Inglés" in detail
    english = client.get(by_language["both"].get_absolute_url()).content.decode()
    assert "Spanish" in english


def test_language_filter_for_organizations_and_csv(client):
    OrganizationFactory(name="Grupo Vecinal", languages=["es"])
    OrganizationFactory(name="Neighbours")
    data = client.get("/api/v1/organizations/?language=es").json()["results"]
    assert [row["name"] for row in data] == ["Grupo Vecinal"]
    csv_text = b"".join(client.get("/api/v1/organizations/?format=csv").streaming_content)
    header, *rows = csv_text.decode().splitlines()
    assert "languages" in header.split(",")
    assert any(row.endswith(",es") or ",es," in row for row in rows)


def test_members_declare_languages_in_the_form(client):
    from directory.models import Organization

    client.force_login(UserFactory(username="m"))
    form = client.get("/submit/organization/").content.decode()
    assert 'name="languages" value="es"' in form
    response = client.post(
        "/submit/organization/",
        {
            "name": "Puente",
            "summary": "Diálogo entre vecinos.",
            "postal_code": "80302",
            "scope": "local",
            "languages": ["es", "en"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(name="Puente")
    assert set(org.languages.values_list("code", flat=True)) == {"es", "en"}


# E-mails -------------------------------------------------------------------------------------


def test_alert_e_mails_are_written_in_the_language_of_the_subscription(client):
    response = client.post(
        "/alerts/subscribe/",
        {
            "email": "lectora@example.org",
            "frequency": "weekly",
            "kind": "initiatives",
            "query": "goal=compromise",
        },
        **SPANISH,
    )
    assert response.status_code == 302
    alert = Alert.objects.get(email="lectora@example.org")
    assert alert.language == "es"
    message = mail.outbox[-1]
    assert message.subject.endswith(es("Confirm your MPDB Directory alert"))
    assert es("Confirm your MPDB Directory alert") != "Confirm your MPDB Directory alert"
    assert "Confirm your" not in message.body


def test_e_mails_to_members_use_the_language_they_signed_in_with(client):
    from directory.services.notify import language_of, send

    user = UserFactory(username="m", password="pw-Long-enough-1", verified=True)
    assert language_of(user) == "en"
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    response = client.post(
        "/accounts/login/", {"login": "m@example.org", "password": "pw-Long-enough-1"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert language_of(user) == "es"
    subject = translation.gettext_lazy("Confirm your MPDB Directory alert")
    sent = send(
        to=user.email,
        subject=subject,
        template="directory/email/alert_confirm.txt",
        context={"alert": Alert(kind="initiatives"), "link": "x", "search": "y"},
        language=language_of(user),
    )
    assert sent
    assert (
        mail.outbox[-1].subject
        == f"{es('[MPDB Directory]')} {es('Confirm your MPDB Directory alert')}"
    )
