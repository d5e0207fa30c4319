import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from directory.moderation import ensure_curators_group


@pytest.fixture
def curator(db):
    user = get_user_model().objects.create_user(
        "cur", "curator@example.org", "pw-Long-enough-1", is_staff=True
    )
    ensure_curators_group()
    user.groups.add(Group.objects.get(name="Curators"))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def submitter(db):
    user = get_user_model().objects.create_user("sub", "submitter@example.org", "pw-Long-enough-1")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client
