"""Every factory makes a row the application itself would accept, with what its docstring says."""

import pytest
from django.contrib.auth.models import Group
from rest_framework_api_key.models import APIKey

from directory.models import Event, Initiative, Membership, Organization
from tests import factories

pytestmark = pytest.mark.django_db

ALL = [
    factories.UserFactory,
    factories.EmailAddressFactory,
    factories.CuratorFactory,
    factories.OrganizationFactory,
    factories.InitiativeFactory,
    factories.EventFactory,
    factories.LanguageFactory,
    factories.UserLanguageFactory,
    factories.MembershipFactory,
    factories.ClaimRequestFactory,
    factories.ChangeRequestFactory,
    factories.InvitationFactory,
    factories.ReportFactory,
    factories.SourceRecordFactory,
    factories.ModerationDecisionFactory,
    factories.AlertFactory,
    factories.APIKeyFactory,
]


@pytest.mark.parametrize("factory", ALL, ids=lambda f: f.__name__)
def test_every_factory_makes_a_valid_row(factory):
    made = factory()
    fresh = type(made).objects.get(pk=made.pk)
    fresh.full_clean(exclude=["password"] if hasattr(fresh, "password") else None)


def test_two_of_each_never_collide():
    for factory in ALL:
        if factory is not factories.LanguageFactory:
            assert factory().pk != factory().pk, factory.__name__


def test_accounts_have_a_password_and_a_verified_address_only_when_asked():
    plain = factories.UserFactory()
    assert plain.check_password(factories.PASSWORD)
    assert not plain.emailaddress_set.exists() and not plain.is_staff
    verified = factories.UserFactory(verified=True, password=None)
    assert not verified.has_usable_password()
    assert verified.emailaddress_set.get().verified
    curator = factories.CuratorFactory()
    assert curator.is_staff and curator.emailaddress_set.get().verified
    assert list(curator.groups.all()) == [Group.objects.get(name="Curators")]
    assert not factories.CuratorFactory(verified=False).emailaddress_set.exists()


def test_an_organization_with_an_owner_and_an_event_at_its_default_time():
    owner = factories.UserFactory(verified=True)
    org = factories.OrganizationFactory(owner=owner)
    assert Membership.objects.get(organization=org).user == owner
    assert Membership.objects.get(organization=org).role == "owner"
    event = factories.EventFactory(organization=org)
    assert event in Event.objects.published().upcoming()
    assert event.timezone == "America/Denver" and not event.is_past


def test_what_belongs_to_a_listing_points_at_that_listing_only():
    initiative = factories.InitiativeFactory()
    change = factories.ChangeRequestFactory(listing=initiative)
    assert (change.initiative, change.organization, change.event) == (initiative, None, None)
    event = factories.EventFactory()
    report = factories.ReportFactory(listing=event)
    assert (report.event, report.organization, report.initiative) == (event, None, None)
    source = factories.SourceRecordFactory(listing=initiative)
    assert source.listing == initiative and list(initiative.sources.all()) == [source]
    org = factories.OrganizationFactory()
    decision = factories.ModerationDecisionFactory(target=org)
    assert decision.target == org and decision.target_repr == org.name
    # Given a listing, none is made for the default.
    assert Organization.objects.count() == 3 and Initiative.objects.count() == 1


def test_an_api_key_made_by_the_factory_is_a_working_key(client):
    made = factories.APIKeyFactory()
    assert APIKey.objects.get_from_key(made.plain_key) == made
    assert factories.AlertFactory(confirmed=True).confirmed_at is not None
