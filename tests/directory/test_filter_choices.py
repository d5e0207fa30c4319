"""The filters form's long lists of choices are written by two template tags
(``facet_checkboxes``, ``role_options``) instead of template loops: the same markup the loops
wrote, every value escaped, and on a real list page the boxes and the menu keep what was chosen."""

import re

import pytest
from django.template import engines

from directory.search.facets import FacetOption
from directory.search.taxonomy import Group, Term, taxonomy
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory

# What _filters.html wrote before the tags: one label per choice, and the role menu's optgroups.
LOOP = (
    "{% for option in options %}"
    '<label class="check"><input type="checkbox" name="{{ name }}" value="{{ option.value }}"'
    "{% if option.selected %} checked{% endif %}> <span>{{ option.label }}"
    '{% if option.count is not None %} <span class="count">({{ option.count }})</span>{% endif %}'
    "</span></label>\n{% endfor %}"
)
MENU = (
    '{% for group in groups %}<optgroup label="{{ group.letter }}. {{ group.name }}">'
    '{% for role in group.roles %}<option value="{{ role.slug }}"'
    "{% if role.slug in selected %} selected{% endif %}>{{ role.name }}</option>{% endfor %}"
    "</optgroup>{% endfor %}"
)


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load directory_tags %}" + source).render(context)


OPTIONS = [
    FacetOption("a&b", 'Porch & "Table" <Civic>', 12, True),
    FacetOption("plain", "Plain", None, False),
    FacetOption("zero", "Zero", 0, False),
    FacetOption("many", "Many", 1000, False),
]


@pytest.mark.parametrize("language", ["en", "es"])
def test_facet_checkboxes_write_what_the_template_loop_wrote(language):
    from django.utils import translation

    with translation.override(language):
        tag = render('{% facet_checkboxes options "goal" %}', options=OPTIONS)
        loop = render(LOOP, options=OPTIONS, name="goal")
    assert tag.split("\n") == loop.rstrip("\n").split("\n")
    assert 'value="a&amp;b" checked> <span>Porch &amp; &quot;Table&quot; &lt;Civic&gt;' in tag
    assert "<Civic>" not in tag
    assert '<span class="count">(0)</span>' in tag  # a count of none is still a count
    assert 'value="plain"> <span>Plain</span>' in tag  # not counted: no count at all


@pytest.mark.django_db
def test_role_options_write_what_the_template_loop_wrote():
    groups = taxonomy().groups
    chosen = [groups[0].roles[0].slug, groups[-1].roles[-1].slug]
    tag = render("{% role_options groups selected %}", groups=groups, selected=chosen)
    assert tag == render(MENU, groups=groups, selected=chosen)
    assert tag.count("<optgroup") == len(groups) == 11
    assert tag.count("<option ") == 53
    assert re.findall(r'<option value="([^"]+)" selected>', tag) == chosen

    odd = Group(1, "g", "Z", "A & <B>", (Term(1, "x<y", 'Say "hi" & <go>'),))
    written = render("{% role_options groups selected %}", groups=[odd], selected=["x<y"])
    assert written == (
        '<optgroup label="Z. A &amp; &lt;B&gt;"><option value="x&lt;y" selected>'
        "Say &quot;hi&quot; &amp; &lt;go&gt;</option></optgroup>"
    )


@pytest.mark.django_db
def test_a_list_page_keeps_the_chosen_boxes_and_role(client):
    InitiativeFactory(
        title="Porch Talks",
        state="CO",
        goals=[Goal.objects.get(slug="compromise")],
        roles=[Role.objects.get(slug="bridge-builders")],
    )
    html = client.get(
        "/initiatives/", {"state": "CO", "goal": "compromise", "role": "bridge-builders"}
    ).content.decode()
    assert re.search(
        r'name="state" value="CO" checked> <span>Colorado <span class="count">\(1\)', html
    )
    assert re.search(
        r'name="goal" value="compromise" checked> <span>[^<]+ <span class="count">\(1\)', html
    )
    assert '<option value="bridge-builders" selected>' in html
    menu = re.search(r'<select id="id_role".*?</select>', html, re.S).group()
    assert re.findall(r'<option value="([^"]*)" selected>', menu) == ["bridge-builders"]
    assert html.count('name="state"') == 1  # states without matches are not offered with counts
