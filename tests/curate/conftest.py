import pytest

from tests.factories import CuratorFactory, UserFactory


@pytest.fixture
def curator(db):
    return CuratorFactory(username="cur", email="curator@example.org")


@pytest.fixture
def submitter(db):
    return UserFactory(username="sub", email="submitter@example.org", verified=True)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client
