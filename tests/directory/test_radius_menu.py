"""The radius menu shows the radius the search used, also one typed into the URL."""

import re

import pytest

pytestmark = pytest.mark.django_db


def radius_options(client, query: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option of the radius menu."""
    response = client.get("/initiatives/?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    menu = html[
        html.index('<select id="id_radius"') : html.index("</select>", html.index('id="id_radius"'))
    ]
    return [
        (value, label.strip(), bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', menu
        )
    ]


def selected(options) -> list[tuple[str, str]]:
    return [(value, label) for value, label, chosen in options if chosen]


def test_the_readmes_custom_radius_stays_selected_and_searching_again_keeps_it(client):
    options = radius_options(client, "near=80302&radius=30")
    assert selected(options) == [("30", "30 miles")]
    # In order among the usual choices, which are all still offered.
    assert [label for _value, label, _chosen in options] == [
        "5 miles",
        "10 miles",
        "25 miles",
        "30 miles",
        "50 miles",
        "100 miles",
        "250 miles",
        "500 miles",
    ]


def test_a_fractional_radius_is_offered_as_a_number_the_form_accepts_in_spanish_too(client):
    assert selected(radius_options(client, "near=80302&radius=30.5&lang=es")) == [
        ("30.5", "30,5 millas")
    ]
    assert client.get("/initiatives/?near=80302&radius=30.5").status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("near=80302", ("", "25 miles")),  # the default submits nothing
        ("near=80302&radius=25.0", ("", "25 miles")),
        ("near=80302&radius=100", ("100", "100 miles")),
    ],
)
def test_the_usual_choices_are_selected_as_before_and_not_repeated(client, query, expected):
    options = radius_options(client, query)
    assert selected(options) == [expected]
    assert len(options) == 7
