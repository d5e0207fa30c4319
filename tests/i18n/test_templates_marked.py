"""Every interface string in the templates is marked for translation.

Each template is split with Django's own template lexer. Literal text outside
``{% blocktranslate %}…{% endblocktranslate %}`` is what a page would show untranslated, so after
removing HTML comments, tags, ``<script>``/``<style>`` contents, entities and template tags no
word of two or more letters may remain in it. The attribute values people read or hear (title,
aria-label, placeholder, alt, …) may hold only template tags, and so may a few filter arguments
that end up on the page (``|default:"…"``, ``|join:"…"``): those use ``_("…")``.
"""

import re
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
NOT_INTERFACE = {"robots.txt"}  # for crawlers, not people

# Names that read the same in every language the site offers, so they may stand unmarked.
# Keep this list tiny: anything in a sentence belongs in a translated sentence.
ALLOWED_WORDS = {
    "MPDB",  # the brand's initials
    "API",
    "CSV",
    "GeoJSON",
    "JSON",
    "iCal",
    "Atom",
    # Each language's own name on the header's switch button (lang="…"): never translated.
    "English",
    "Español",
}
ALLOWED = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(ALLOWED_WORDS))) + r")(?!\w)")

# Filter arguments that are codes, not words: base.html's <html lang="{{ …|default:'en' }}">.
NOT_SHOWN = {"en"}

# {% block %}s whose content is not text but an attribute value of another kind.
NOT_TEXT_BLOCKS = {"main_class"}  # base.html: <main class="…">

# Stands in for a template tag or variable: not a letter, so never a word.
TAG = "\x00"

TRANS_START = {"blocktranslate", "blocktrans"}
TRANS_END = {"endblocktranslate", "endblocktrans"}

HIDDEN = [
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I),
    re.compile(r"<[^>]*>", re.S),
    # Markup shown as code (the embed snippet): not prose; its title= is still checked.
    re.compile(r"&lt;.*?&gt;", re.S),
    re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);"),
]
WORD = re.compile(r"[^\W\d_]{2,}")
LETTER = re.compile(r"[^\W\d_]")

READ_ATTRIBUTES = re.compile(
    r"""(?<![\w-])(title|aria-label|aria-description|aria-roledescription|aria-valuetext|placeholder|alt|label)
        \s*=\s*(["'])(.*?)\2""",
    re.S | re.X | re.I,
)
BUTTON_INPUT = re.compile(
    r"""<input\b[^>]*\btype\s*=\s*["']?(?:submit|button|reset)\b[^>]*>""", re.S | re.I
)
META_DESCRIPTION = re.compile(
    r"""<meta\b[^>]*\bname\s*=\s*["']description["'][^>]*>""", re.S | re.I
)
VALUE_OR_CONTENT = re.compile(r"""\b(value|content)\s*=\s*(["'])(.*?)\2""", re.S | re.I)
SHOWN_ARGUMENT = re.compile(r"""\|\s*(default|default_if_none|join)\s*:\s*(["'])(.*?)\2""")


def interface_templates():
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.suffix in {".html", ".txt"} and path.name not in NOT_INTERFACE:
            yield path


def skeleton(source: str) -> str:
    """The template's literal output with every tag and every translated block blanked out.

    Line breaks are kept, so an offset in the result has the same line as in the source.
    """
    parts = []
    in_translation = in_comment = False
    blocks = []  # names of the open {% block %}s
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            if in_translation or in_comment or NOT_TEXT_BLOCKS.intersection(blocks):
                parts.append(TAG + "\n" * token.contents.count("\n"))
            else:
                parts.append(token.contents)
            continue
        bits = token.contents.split()
        name = bits[0] if bits and token.token_type == TokenType.BLOCK else ""
        if name in TRANS_START:
            in_translation = True
        elif name in TRANS_END:
            in_translation = False
        elif name == "block":
            blocks.append(bits[1] if len(bits) > 1 else "")
        elif name == "endblock" and blocks:
            blocks.pop()
        elif name == "comment":
            in_comment = True
        elif name == "endcomment":
            in_comment = False
        parts.append(TAG)
    return "".join(parts)


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _has_letters(value: str) -> bool:
    return bool(LETTER.search(ALLOWED.sub(" ", value)))


def unmarked(path: Path, root: Path = TEMPLATE_DIR) -> list[str]:
    """Every place in one template with interface text that is not marked for translation."""
    source = path.read_text(encoding="utf-8")
    name = path.relative_to(root.parent)
    text = skeleton(source)
    problems = []

    for match in READ_ATTRIBUTES.finditer(text):
        if _has_letters(match.group(3)):
            problems.append(
                f"{name}:{_line(text, match.start())}: {match.group(1)}={match.group(3)!r}"
            )
    for element in (*BUTTON_INPUT.finditer(text), *META_DESCRIPTION.finditer(text)):
        for match in VALUE_OR_CONTENT.finditer(element.group()):
            if _has_letters(match.group(3)):
                line = _line(text, element.start())
                problems.append(f"{name}:{line}: {match.group(1)}={match.group(3)!r}")

    for token in Lexer(source).tokenize():
        if token.token_type in (TokenType.VAR, TokenType.BLOCK):
            for match in SHOWN_ARGUMENT.finditer(token.contents):
                if match.group(3) not in NOT_SHOWN and _has_letters(match.group(3)):
                    problems.append(
                        f"{name}:{token.lineno}: |{match.group(1)}:{match.group(2)}"
                        f"{match.group(3)}{match.group(2)} (use _(…))"
                    )

    for pattern in HIDDEN:
        text = pattern.sub(_blank, text)
    text = ALLOWED.sub(_blank, text)
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if WORD.search(line):
            shown = " ".join(line.replace(TAG, " ").split())
            problems.append(f"{name}:{number}: {shown!r}")
    return problems


@pytest.mark.parametrize(
    "path", list(interface_templates()), ids=lambda p: str(p.relative_to(TEMPLATE_DIR))
)
def test_every_interface_string_is_marked_for_translation(path):
    problems = unmarked(path)
    assert not problems, "Unmarked interface text:\n" + "\n".join(problems)


def test_the_checker_finds_unmarked_text_and_accepts_marked_text(tmp_path):
    """The checker itself: what it must flag, and what it must let through."""
    bad = tmp_path / "templates" / "bad.html"
    bad.parent.mkdir()
    bad.write_text(
        '{% load i18n %}<p title="Plain title">Hello {{ name }}</p>\n'
        '<input type="submit" value="Go">\n'
        '{{ when|default:"never" }}\n'
    )
    good = tmp_path / "templates" / "good.html"
    good.write_text(
        '{% load i18n %}<p class="lede" title="{% translate "Title" %}">{% translate "Hello" %}'
        "</p>\n"
        "{% blocktranslate trimmed count counter=n %}{{ counter }} thing{% plural %}"
        "{{ counter }} things{% endblocktranslate %}\n"
        "<!-- a comment --><script>var words = 'not shown';</script>\n"
        '{{ when|default:_("never") }} &mdash; <a href="{{ url }}">API</a> · MPDB\n'
    )
    found = "\n".join(unmarked(bad, root=bad.parent))
    assert "Plain title" in found
    assert "Hello" in found
    assert "value='Go'" in found
    assert "never" in found
    assert unmarked(good, root=good.parent) == []
