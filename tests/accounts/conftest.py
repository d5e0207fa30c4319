import pytest

from tests.accounts.test_journey import make_user


@pytest.fixture
def member(client):
    """A signed-in account with a verified address (member@example.org)."""
    user = make_user()
    client.force_login(user)
    return user
