"""The coverage page reads at a glance: legible chart labels, named goals, told-apart roles."""

import re

import pytest
from django.utils.html import escape

from goals.models import Goal

pytestmark = pytest.mark.django_db


def test_the_role_group_chart_labels_are_page_text_not_scaled_svg_text(client):
    html = client.get("/coverage/").text
    chart = html[html.index('<ul class="bar-chart"') : html.index("</ul>", html.index("bar-chart"))]
    # The old chart drew its labels as 6-unit SVG text, scaled down to 3–8 px on screen.
    assert "<text" not in chart and "font-size" not in chart
    labels = re.findall(r'<span class="bar-label">([^<]+)</span>', chart)
    assert len(labels) == 11 and labels[0] == "A. Lookouts"


def test_the_matrix_headers_name_the_goals_with_the_full_name_available(client):
    html = client.get("/coverage/").text
    head = html[html.index('<table class="coverage">') : html.index("</thead>")]
    assert "Goal 1" not in head
    for goal in Goal.objects.all():
        assert f'title="{escape(goal.title)}">{goal.number}. ' in head  # in full on hover
    assert ">1. Cultivate Compromise</a>" in head
    assert "2. Cultivate Respect for Society&#x27;s …</a>" in head  # abbreviated


def test_the_two_mediators_are_told_apart_in_the_matrix_in_both_languages(client):
    english = client.get("/coverage/").text
    assert ">Mediators (De-Escalators)</a>" in english
    assert ">Mediators (Collaborative Problem Solvers)</a>" in english
    spanish = client.get("/coverage/?lang=es").text
    assert ">Mediadores (Desescaladores)</a>" in spanish
