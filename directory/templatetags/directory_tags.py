"""Template helpers: JSON-LD blocks and query-string links that keep the current filters."""

import html
import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from directory import models as kinds
from directory import validators
from directory.search.cards import badges

register = template.Library()

# The same escapes Django's json_script uses, so user text cannot close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data) -> str:
    """Render a dict as a ``<script type="application/ld+json">`` block, safely escaped."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def http_url(value) -> str:
    """``value`` if it is an http(s) address, else "": what people typed as a website becomes
    an ``href`` only then (never ``javascript:``, ``data:`` or a relative path)."""
    return validators.http_url(value)


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """A link to page ``number`` of the current listing, keeping every filter."""
    query = context.get("query_string", "")
    return f"?{query}&page={number}" if query else f"?page={number}"


@register.simple_tag(takes_context=True)
def view_url(context, view: str) -> str:
    """The current listing in list or map view."""
    request = context["request"]
    data = request.GET.copy()
    data.pop("page", None)
    data.pop("view", None)
    if view == "map":
        data["view"] = "map"
    encoded = data.urlencode()
    return f"?{encoded}" if encoded else request.path


@register.filter
def accessible(bound_field):
    """Render a form widget tied to its help text and errors (aria-describedby, aria-invalid)."""
    attrs = {}
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}-help")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def listing_kind(obj) -> str:
    """``organizations``, ``initiatives`` or ``events``: the URL segment of a listing's member
    pages (``LISTING_KINDS``)."""
    return kinds.listing_kind(obj)


@register.filter
def listing_kind_singular(obj) -> str:
    """``organization``, ``initiative`` or ``event``: the kind name used by the curator routes
    (``LISTING_TYPES``)."""
    return obj._meta.model_name


@register.filter("badges")
def listing_badges(listing) -> list[dict]:
    """The badges a listing shows (``directory.search.cards.badges``)."""
    return badges(listing)


# The filters form's long lists of choices (about 140 on every list page: goals, role groups,
# scopes, states, languages, and the role menu) are written here rather than by a template
# loop: a loop costs the template engine eight or so nodes per choice, about 3 ms of a list
# page's 13 ms of templates on the benchmark machine; ``_join`` escapes every value, as the
# template would.


def _escaped(value) -> str:
    """``value`` as ``conditional_escape`` gives it (its own HTML if it has one, else its text
    escaped), without the check for lazy arguments that ``keep_lazy`` adds to every call."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _format(template_: str, *values) -> str:
    """``format_html(template_, *values)``, as ``_join`` writes each row."""
    return mark_safe(template_.format(*(_escaped(value) for value in values)))


def _join(separator: str, template_: str, rows) -> str:
    """``format_html_join(separator, template_, rows)``, the same HTML (``tests/directory/
    test_html_join.py`` holds them equal): each value escaped unless it is safe, the whole
    marked safe once. The list pages' facets, role menu and badges and the coverage matrix's
    371 cells escape about a thousand values a page; through ``format_html``, each went
    through ``keep_lazy``'s check of its arguments and a ``SafeString`` of its own, about a
    quarter of the coverage page's rendering."""
    return mark_safe(
        _escaped(separator).join(
            template_.format(*(_escaped(value) for value in row)) for row in rows
        )
    )


_CHECKBOX = (
    '<label class="check"><input type="checkbox" name="{}" value="{}"{}> <span>{}{}</span></label>'
)
_COUNT = ' <span class="count">({})</span>'
_CHECKED = mark_safe(" checked")
_SELECTED = mark_safe(" selected")
_NOTHING = mark_safe("")


@register.simple_tag
def facet_checkboxes(options, name: str) -> str:
    """A facet's choices (``facets.FacetOption``) as checkboxes named ``name``, each with its
    count when it was counted."""
    return _join(
        "\n",
        _CHECKBOX,
        (
            (
                name,
                option.value,
                _CHECKED if option.selected else _NOTHING,
                option.label,
                _NOTHING if option.count is None else _format(_COUNT, localize(option.count)),
            )
            for option in options
        ),
    )


def _options(pairs, is_selected) -> str:
    """``<option>``s from (value, label) pairs, selected where ``is_selected(value)``."""
    return _join(
        "",
        '<option value="{}"{}>{}</option>',
        ((v, _SELECTED if is_selected(v) else _NOTHING, label) for v, label in pairs),
    )


@register.simple_tag
def role_options(groups, selected) -> str:
    """The role menu's choices: one ``<optgroup>`` per role group (``taxonomy.Group``), the
    roles whose slugs are in ``selected`` selected."""
    return _join(
        "",
        '<optgroup label="{}. {}">{}</optgroup>',
        (
            (
                group.letter,
                group.name,
                _options(((role.slug, role.name) for role in group.roles), selected.__contains__),
            )
            for group in groups
        ),
    )


@register.simple_tag
def select_options(choices, value) -> str:
    """A ``<select>``'s options from (value, label) pairs, the one equal to ``value`` (None:
    "") selected. Django's widget writes the same options through two templates per option."""
    chosen = "" if value is None else str(value)
    return _options(choices, lambda v: str(v) == chosen)


@register.simple_tag
def coverage_cells(cells) -> str:
    """One row of the coverage matrix: a cell per goal, shaded by its heat, its count with the
    words a screen reader says (``views.coverage._say_cells``). Written here rather than by a
    template loop: 371 cells, three values each, were the coverage page's largest cost."""
    return _join(
        "",
        '<td class="heat-{}">{}<span class="visually-hidden"> ({})</span></td>',
        ((cell["heat"], cell["total"], cell["said"]) for cell in cells),
    )


@register.simple_tag
def badge_spans(badges) -> str:
    """A listing's badges (``cards.badges``: dicts of ``css``, ``text``, ``title``) as spans,
    each with its tooltip when it has one. A tag, not an included template: a list page has
    twenty cards, and an include per card cost more than the badges themselves."""
    return _join(
        "",
        '<span class="badge {}"{}>{}</span>\n',
        (
            (
                badge["css"],
                _format(' title="{}"', badge["title"]) if badge["title"] else _NOTHING,
                badge["text"],
            )
            for badge in badges
        ),
    )
