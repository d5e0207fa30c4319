"""The keyword search finds a word's other forms on SQLite too (PostgreSQL stems on its own)."""

import pytest

from directory.querysets import stem
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = "/initiatives/"


def titles(client, query: str) -> set[str]:
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return {initiative.title for initiative in response.context["object_list"]}


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("elections", "election"),
        ("dialogue", "dialogu"),
        ("dialogues", "dialogu"),
        ("communities", "communit"),
        ("community", "communit"),
        ("bridging", "bridg"),
        ("elected", "elect"),
        ("news", "news"),  # too short to trim: "new" would match far too much
        ("zeppelin", "zeppelin"),
    ],
)
def test_a_word_is_trimmed_of_one_common_ending(word, stemmed):
    assert stem(word) == stemmed


def test_the_placeholders_suggested_words_find_their_singular_and_plural_forms(client):
    InitiativeFactory(title="Poll worker drive", summary="Recruits workers for the election.")
    InitiativeFactory(title="Neighbour dialogues", summary="Monthly conversations.")
    InitiativeFactory(title="Park clean-up", summary="Cleaning the river banks.")
    # The words the search box suggests ("e.g. dialogue, elections, mediation").
    assert titles(client, "elections") == {"Poll worker drive"}
    assert titles(client, "election") == {"Poll worker drive"}
    assert titles(client, "dialogue") == {"Neighbour dialogues"}
    assert titles(client, "Dialogues") == {"Neighbour dialogues"}


def test_a_stemmed_word_still_excludes_with_a_minus(client):
    InitiativeFactory(title="Election workers")
    InitiativeFactory(title="Election dialogues")
    assert titles(client, "elections -dialogue") == {"Election workers"}
