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

from .forms import InitiativeForm, OrganizationForm
from .models import Organization, Source, Status
from .services import _save_with_unique_slug

LIST_COLUMNS = {"roles", "goals", "networks", "languages"}
BOOLEAN_COLUMNS = {"welcomes_newcomers", "is_network"}
TRUE = {"1", "true", "yes", "y", "on"}


class ImportOrganizationForm(OrganizationForm):
    """Curators may also say an organization is a network or coalition."""

    class Meta(OrganizationForm.Meta):
        fields = [*OrganizationForm.Meta.fields, "is_network"]


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _form_data(row: dict[str, str]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, raw in row.items():
        if key is None:
            continue
        key, value = key.strip(), (raw or "").strip()
        if key in LIST_COLUMNS:
            data.setlist(key, [v.strip() for v in value.split(";") if v.strip()])
        elif key in BOOLEAN_COLUMNS:
            if value.lower() in TRUE:
                data[key] = "on"
        else:
            data[key] = value
    return data


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
        data = _form_data(row)
        if kind == "organizations":
            form = ImportOrganizationForm(data)
        else:
            form = InitiativeForm(data)
            form.fields["organization"].queryset = Organization.objects.exclude(
                status=Status.REJECTED
            )
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
            _save_with_unique_slug(obj, text_for_slug, f"Imported by {by}")
            form.save_m2m()
            result.created.append(obj)
    return result
