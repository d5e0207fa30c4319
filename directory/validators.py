"""Checks on the text people type into forms and the API (issue #10, "Hardening").

Text that cannot be shown or stored faithfully is refused with a clear message rather than
saved: control characters (NUL and the other C0/C1 controls except tab, line feed and carriage
return; DEL), the replacement character U+FFFD (what invalid UTF-8 decodes to), the
non-characters U+FFFE and U+FFFF and lone surrogates. Single-line fields (names, titles) must
also stay on one line, and may not hold the invisible characters that change how the text
around them is shown or matched (zero-width spaces and joiners, direction marks, embeddings,
overrides and isolates, the byte-order mark): with U+202E, "Civic Nights" can be made to look
like another listing's name. Multi-line text keeps them (emoji and right-to-left languages
need joiners and direction marks).
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# An absolute http(s) address with nothing a browser would quietly drop or reinterpret.
HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]"
)
LINE_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
INVISIBLE_FORMATTING = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def http_url(value) -> str:
    """``value`` if it is an absolute http(s) address, else "" (for links made of user text)."""
    text = str(value or "")
    return text if HTTP_URL.fullmatch(text) else ""


def unsafe_character(text: str, pattern: re.Pattern = UNSAFE_CHARACTERS) -> str | None:
    """The first character of ``text`` that may not be stored, as ``U+XXXX``, or None."""
    match = pattern.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


@deconstructible
class NoControlCharactersValidator:
    message = _(
        "Remove the invisible control character (%(character)s) from this text; "
        "it cannot be stored."
    )
    code = "control_characters"
    pattern = UNSAFE_CHARACTERS

    def __call__(self, value) -> None:
        character = unsafe_character(str(value), self.pattern)
        if character:
            raise ValidationError(self.message, code=self.code, params={"character": character})

    def __eq__(self, other) -> bool:
        return type(other) is type(self)


@deconstructible
class NoInvisibleFormattingValidator(NoControlCharactersValidator):
    """For names and titles: refuses invisible formatting characters as control characters."""

    pattern = INVISIBLE_FORMATTING


@deconstructible
class SingleLineValidator:
    message = _("Keep this on one line.")
    code = "single_line"

    def __call__(self, value) -> None:
        if LINE_BREAKS.search(str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, type(self))


no_control_characters = NoControlCharactersValidator()
no_invisible_formatting = NoInvisibleFormattingValidator()
single_line = SingleLineValidator()


def text_validators(*, multiline: bool) -> list:
    """The validators of a user text field (``multiline`` for descriptions and messages)."""
    if multiline:
        return [no_control_characters]
    return [no_control_characters, no_invisible_formatting, single_line]


def _add_text_validators(field, *, multiline: bool) -> None:
    from rest_framework.validators import ProhibitSurrogateCharactersValidator

    # Ours also covers NUL and surrogates: Django's and DRF's own checks would repeat it.
    superseded = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)
    field.validators = [v for v in field.validators if not isinstance(v, superseded)]
    for validator in text_validators(multiline=multiline):
        if validator not in field.validators:
            field.validators.append(validator)


class CleanTextFormMixin:
    """Gives every text field of a form the checks above.

    A field whose widget is a ``<textarea>`` may hold several lines; any other text field
    (names, titles, addresses) must stay on one line. Hidden fields are not typed by anyone:
    their views normalize them (e.g. an alert's query string keeps only known filters).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django import forms

        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea | forms.HiddenInput)
                _add_text_validators(field, multiline=multiline)


class CleanTextSerializerMixin:
    """The same for a DRF serializer; ``multiline_fields`` names the fields that may hold
    several lines."""

    multiline_fields: tuple[str, ...] = ()

    def get_fields(self):
        from rest_framework import serializers

        fields = super().get_fields()
        for name, field in fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                _add_text_validators(field, multiline=name in self.multiline_fields)
        return fields
