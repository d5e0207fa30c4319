"""Long lists of choices written by template tags instead of template loops: the filters
form's facets and role menu (``facet_checkboxes``, ``role_options``), the coverage page's state
menu and matrix (``select_options``, ``coverage_cells``). The same markup the loops (or Django's
widget) wrote, every value escaped, and on real pages the choices keep what was chosen."""

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


CELLS = (
    '{% load l10n %}{% localize off %}{% for cell in cells %}<td class="heat-{{ cell.heat }}">'
    '{{ cell.total }}<span class="visually-hidden"> ({{ cell.said }})</span></td>'
    "{% endfor %}{% endlocalize %}"
)


def test_coverage_cells_write_what_the_template_loop_wrote():
    cells = [
        {"heat": 0, "total": 0, "said": "0 organizations, 0 initiatives"},
        {"heat": 4, "total": 12345, "said": "1 organización, <12> & “más”"},
    ]
    tag = render("{% coverage_cells cells %}", cells=cells)
    assert tag == render(CELLS, cells=cells)
    assert "(1 organización, &lt;12&gt; &amp; “más”)" in tag and ">12345<" in tag


@pytest.mark.parametrize("value", ["CO", "", None, "ZZ"])
def test_select_options_choose_as_django_s_select_widget_does(value):
    from django import forms

    choices = [("", "All states"), ("CO", "Colorado"), ("DC", 'District <"of"> Columbia')]
    tag = render("{% select_options choices value %}", choices=choices, value=value)
    widget = forms.Select(choices=choices).render("state", value)
    options = re.findall(r"<option[^>]*>[^<]*</option>", widget)
    assert tag == "".join(options)
    assert tag.count(" selected") == (0 if value == "ZZ" else 1)


@pytest.mark.django_db
def test_the_coverage_page_keeps_the_chosen_state_and_says_what_is_wrong(client):
    html = client.get("/coverage/", {"state": "co"}).content.decode()
    assert '<option value="CO" selected>Colorado</option>' in html
    wrong = client.get("/coverage/", {"state": "zz"})
    assert wrong.status_code == 400
    page = wrong.content.decode()
    assert 'aria-invalid="true" aria-describedby="id_state_error"' in page
    assert re.search(r'<p class="field-error" id="id_state_error">[^<]*ZZ', page)
