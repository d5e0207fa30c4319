"""Bulk import of organizations or initiatives from CSV, for curators.

Every row is validated with the same forms members use; errors are reported by row (line number
of the file); if any row is wrong, nothing is imported (one transaction).
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from directory.forms.listings import InitiativeForm, OrganizationForm
from directory.models import Organization, Scope, Source, Status
from directory.services.listings import listing_save_new

LIST_COLUMNS = {"roles", "goals", "networks", "languages"}
BOOLEAN_COLUMNS = {"welcomes_newcomers", "is_network"}
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"", "0", "false", "no", "n", "off"}


class ImportOrganizationForm(OrganizationForm):
    """Curators may also say an organization is a network or coalition."""

    class Meta(OrganizationForm.Meta):
        fields = [*OrganizationForm.Meta.fields, "is_network"]


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _form_data(row: dict[str, str]) -> tuple[QueryDict, dict[str, str]]:
    """The row as form data, and the problems of cells no form field could read."""
    data, problems = QueryDict(mutable=True), {}
    for key, raw in row.items():
        if key is None:
            continue
        key, value = key.strip(), (raw or "").strip()
        if key in LIST_COLUMNS:
            data.setlist(key, [v.strip() for v in value.split(";") if v.strip()])
        elif key in BOOLEAN_COLUMNS:
            if value.lower() in TRUE:
                data[key] = "on"
            elif value.lower() not in FALSE:
                # A checkbox field reads anything it does not know as "no": refuse it instead.
                problems[key] = _(
                    "“%(value)s” is not yes or no (use yes, true or 1; or no, false, 0 or "
                    "leave it empty)."
                ) % {"value": value}
        else:
            data[key] = value
    if not data.get("scope"):
        data["scope"] = Scope.LOCAL  # documented default (docs/import.md)
    return data, problems


def import_listings(*, kind: str, text: str, status: str, by: str) -> ImportResult:
    """Validate every row of ``text`` (CSV with a header); import all or nothing."""
    if kind not in ("organizations", "initiatives"):
        raise ValueError("kind must be organizations or initiatives")
    if status not in (Status.PENDING, Status.PUBLISHED):
        raise ValueError("status must be pending or published")
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    forms = []
    for line, row in enumerate(reader, start=2):
        data, problems = _form_data(row)
        if kind == "organizations":
            form = ImportOrganizationForm(data)
        else:
            form = InitiativeForm(data)
            form.fields["organization"].queryset = Organization.objects.exclude(
                status=Status.REJECTED
            )
        for name, problem in problems.items():
            if name in form.fields:  # other columns are ignored, whatever they hold
                form.add_error(name, problem)
        if form.is_valid():
            forms.append(form)
        else:
            for name, messages in form.errors.items():
                label = _("row") if name == "__all__" else name
                result.errors.extend(
                    # Translators: a problem in an imported CSV file; column is a CSV header or “row”.
                    _("line %(line)s, %(column)s: %(problem)s")
                    % {"line": line, "column": label, "problem": m}
                    for m in messages
                )
    if not forms and not result.errors:
        result.errors.append(_("The file has no rows."))
    if result.errors:
        return result
    with transaction.atomic():
        for form in forms:
            obj = form.save(commit=False)
            obj.status, obj.source = status, Source.IMPORT
            text_for_slug = obj.name if kind == "organizations" else obj.title
            listing_save_new(
                obj, text=text_for_slug, reason=f"Imported by {by}", save_m2m=form.save_m2m
            )
            result.created.append(obj)
    return result
