"""The template tags' ``_join`` writes exactly what Django's ``format_html_join`` writes, for
every kind of value a tag passes it: text that needs escaping, safe HTML, lazy translations
(plain and safe), numbers, None; and the tags that use it escape what people typed."""

import pytest
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from directory.search.facets import FacetOption
from directory.templatetags.directory_tags import (
    _join,
    badge_spans,
    coverage_cells,
    facet_checkboxes,
    role_options,
)

VALUES = [
    "plain",
    '<script>alert("x")</script>',
    'Tom & Jerry\'s "quotes"',
    mark_safe("<b>bold</b>"),
    SafeString("&amp; already"),
    gettext_lazy("Goals"),
    mark_safe(gettext_lazy("Roles")),
    42,
    3.5,
    None,
    "",
    "café – ñ <é>",
]

TEMPLATES = [
    '<option value="{}"{}>{}</option>',
    '<td class="heat-{}">{}<span class="visually-hidden"> ({})</span></td>',
    '<span class="badge {}"{}>{}</span>\n',
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("separator", ["", "\n", "<br>", mark_safe("<br>")])
@pytest.mark.parametrize("template_", TEMPLATES)
def test_join_writes_what_format_html_join_writes(language, separator, template_):
    rows = [
        (VALUES[i % len(VALUES)], VALUES[(i + 3) % len(VALUES)], VALUES[(i + 7) % len(VALUES)])
        for i in range(len(VALUES) * 2)
    ]
    with translation.override(language):
        ours = _join(separator, template_, rows)
        django = format_html_join(separator, template_, rows)
    assert ours == django
    assert isinstance(ours, SafeString)
    assert "<script>" not in ours and "&lt;script&gt;" in ours  # not trivially equal


def test_join_of_nothing_is_empty_and_safe():
    assert _join("\n", "<p>{}</p>", []) == format_html_join("\n", "<p>{}</p>", []) == ""
    assert isinstance(_join("", "{}", []), SafeString)


def test_the_tags_escape_what_people_typed():
    hostile = '"><script>x()</script>'
    boxes = facet_checkboxes([FacetOption(hostile, hostile, 1200, True)], "state")
    assert "<script>" not in boxes and boxes.count("&lt;script&gt;") == 2
    assert 'value="&quot;&gt;&lt;script' in boxes and " checked" in boxes
    assert '<span class="count">(1200)</span>' in boxes

    class Role:
        slug, name = hostile, hostile

    class Group:
        letter, name, roles = "A", hostile, [Role]

    menu = role_options([Group], [hostile])
    assert "<script>" not in menu and menu.count("&lt;script&gt;") == 3 and " selected" in menu
    cells = coverage_cells([{"heat": 2, "total": hostile, "said": hostile}])
    assert "<script>" not in cells and cells.count("&lt;script&gt;") == 2
    spans = badge_spans([{"css": "badge-x", "text": hostile, "title": hostile}])
    assert "<script>" not in spans and spans.count("&lt;script&gt;") == 2
    assert ' title="&quot;&gt;&lt;script' in spans
