"""factory_boy factories for every model the tests make. Taxonomy rows (goals, roles, languages)
come from the real fixtures, loaded once per session (tests/conftest.py).

People: ``UserFactory()`` is an account without a verified address (as right after sign-up);
``UserFactory(verified=True)`` has one, as every signed-in member does; ``CuratorFactory()`` is
staff in the "Curators" group. Listings: ``OrganizationFactory(owner=user)`` makes ``user`` its
owner. What belongs to one listing (a change request, a report, a source, a decision) takes it as
``listing=`` (or ``target=`` for a decision), whatever its kind.
"""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from directory.models import (
    Alert,
    ChangeRequest,
    ClaimRequest,
    Event,
    Initiative,
    Invitation,
    Language,
    Membership,
    ModerationDecision,
    Organization,
    Report,
    Scope,
    Source,
    SourceRecord,
    Status,
    UserLanguage,
)
from directory.services.curators import ensure_curators_group

#: The password of every account a factory makes (unless given ``password=``; ``None`` makes an
#: account that cannot sign in with a password).
PASSWORD = "pw-Long-enough-1"


def set_m2m(field: str):
    """A post-generation hook: ``Factory(roles=[...])`` sets the many-to-many field."""

    def hook(obj, create, extracted, **kwargs):
        if create and extracted:
            getattr(obj, field).set(extracted)

    return hook


def of_kind(model):
    """The link column for ``model`` of an object that belongs to one listing of any kind: the
    ``listing`` parameter when it is a ``model``, else None."""
    return factory.LazyAttribute(lambda o: o.listing if isinstance(o.listing, model) else None)


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """A confirmed primary address (allauth) for ``user``: what signing up and clicking the link
    leave behind."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory("tests.factories.UserFactory")
    email = factory.LazyAttribute(lambda a: a.user.email)
    verified = True
    primary = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    class Params:
        #: ``verified=True``: the e-mail address is confirmed, as for every signed-in member.
        verified = False

    email_address = factory.Maybe(
        "verified", factory.RelatedFactory(EmailAddressFactory, factory_related_name="user")
    )

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_user(*args, **kwargs)


class CuratorFactory(UserFactory):
    """Staff in the "Curators" group, with a verified address (unless ``verified=False``)."""

    class Params:
        verified = True

    username = factory.Sequence(lambda n: f"curator{n}")
    is_staff = True

    @factory.post_generation
    def curators_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(ensure_curators_group())


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Civic Group {n}")
    slug = factory.Sequence(lambda n: f"civic-group-{n}")
    summary = "Brings neighbours together to talk about local decisions."
    scope = Scope.LOCAL
    status = Status.PUBLISHED
    source = Source.CURATOR
    published_at = factory.LazyFunction(timezone.now)

    roles = factory.PostGeneration(set_m2m("roles"))
    goals = factory.PostGeneration(set_m2m("goals"))
    languages = factory.PostGeneration(set_m2m("languages"))

    @factory.post_generation
    def owner(org, create, extracted, **kwargs):
        """``owner=user``: ``user`` runs the organization (an owner's membership)."""
        if create and extracted:
            Membership.objects.create(user=extracted, organization=org, role=Membership.Role.OWNER)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Community project {n}")
    slug = factory.Sequence(lambda n: f"community-project-{n}")
    summary = "A project that helps people take part in civic life."
    scope = Scope.LOCAL
    status = Status.PUBLISHED
    source = Source.CURATOR
    published_at = factory.LazyFunction(timezone.now)

    roles = factory.PostGeneration(set_m2m("roles"))
    goals = factory.PostGeneration(set_m2m("goals"))
    languages = factory.PostGeneration(set_m2m("languages"))


class EventFactory(factory.django.DjangoModelFactory):
    """A published in-person forum in Boulder, Colorado, three days from now, two hours long."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = "Town forum"
    slug = factory.Sequence(lambda n: f"town-forum-{n}")
    summary = "A public forum."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(hours=2))
    mode = Event.Mode.IN_PERSON
    postal_code = "80302"
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    roles = factory.PostGeneration(set_m2m("roles"))
    goals = factory.PostGeneration(set_m2m("goals"))
    languages = factory.PostGeneration(set_m2m("languages"))


class LanguageFactory(factory.django.DjangoModelFactory):
    """A language by its code: the fixture's row when it has one (``LanguageFactory(code="es")``)."""

    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "es"
    name = factory.LazyAttribute(lambda lang: lang.code)


class UserLanguageFactory(factory.django.DjangoModelFactory):
    """The interface language a person last signed in with (their e-mails are written in it)."""

    class Meta:
        model = UserLanguage
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, verified=True)
    language = "es"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, verified=True)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.EDITOR


class ClaimRequestFactory(factory.django.DjangoModelFactory):
    """A pending claim proven by a message (``evidence="domain_email"`` with ``work_email=``)."""

    class Meta:
        model = ClaimRequest

    user = factory.SubFactory(UserFactory, verified=True)
    organization = factory.SubFactory(OrganizationFactory)
    evidence = ClaimRequest.Evidence.MESSAGE
    message = "I run it."


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    """A pending edit of ``listing`` (an organization unless given)."""

    class Meta:
        model = ChangeRequest

    class Params:
        listing = factory.SubFactory(OrganizationFactory)

    organization = of_kind(Organization)
    initiative = of_kind(Initiative)
    event = of_kind(Event)
    proposed = factory.LazyFunction(lambda: {"name": ["Renamed"]})
    submitted_by = factory.SubFactory(UserFactory, verified=True)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"friend{n}@example.org")
    invited_by = factory.SubFactory(UserFactory, verified=True)


class ReportFactory(factory.django.DjangoModelFactory):
    """An open, anonymous report that ``listing`` (an organization unless given) is outdated."""

    class Meta:
        model = Report

    class Params:
        listing = factory.SubFactory(OrganizationFactory)

    organization = of_kind(Organization)
    initiative = of_kind(Initiative)
    event = of_kind(Event)
    kind = Report.Kind.OUTDATED
    message = "Old."


class SourceRecordFactory(factory.django.DjangoModelFactory):
    """A public page that states ``listing``'s name (an organization unless given)."""

    class Meta:
        model = SourceRecord

    class Params:
        listing = factory.SubFactory(OrganizationFactory)

    organization = of_kind(Organization)
    initiative = of_kind(Initiative)
    event = of_kind(Event)
    url = factory.Sequence(lambda n: f"https://news.example/story-{n}")
    title = "Local news story"
    publisher = "The Local News"
    supports = factory.LazyFunction(lambda: ["name"])


class ModerationDecisionFactory(factory.django.DjangoModelFactory):
    """A recorded decision about ``target`` (an initiative unless given), as ``decide`` records
    one; it changes nothing about the target (``directory.services.moderation.decide`` does that)."""

    class Meta:
        model = ModerationDecision

    class Params:
        target = factory.SubFactory(InitiativeFactory)

    curator = factory.SubFactory(CuratorFactory)
    action = ModerationDecision.Action.APPROVE
    target_type = factory.LazyAttribute(lambda d: ContentType.objects.get_for_model(d.target))
    target_id = factory.LazyAttribute(lambda d: d.target.pk)
    target_repr = factory.LazyAttribute(lambda d: str(d.target)[:300])


class AlertFactory(factory.django.DjangoModelFactory):
    """A saved search waiting for its confirmation (``confirmed=True``: confirmed now)."""

    class Meta:
        model = Alert

    class Params:
        confirmed = factory.Trait(confirmed_at=factory.LazyFunction(timezone.now))

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    kind = Alert.Kind.INITIATIVES
    query = ""


class APIKeyFactory(factory.django.DjangoModelFactory):
    """A partner's API key; the key itself, known only when made, is ``.plain_key``."""

    class Meta:
        model = APIKey

    name = factory.Sequence(lambda n: f"Partner {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        api_key, plain_key = cls._get_manager(model_class).create_key(*args, **kwargs)
        api_key.plain_key = plain_key
        return api_key
