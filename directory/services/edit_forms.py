"""Members' edits as forms: the form for a listing, an edit kept as submitted values, a waiting
edit's values and diff, and an edit made ready for the services (``ListingEdit``).

A change request keeps what the member submitted (``ChangeRequest.proposed``), so approving it
binds the same form to those values again and validates them against the listing as it is now.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from directory.forms.events import EventForm
from directory.forms.listings import InitiativeForm, OrganizationForm
from directory.models import ChangeRequest, Event, ModerationDecision, Organization
from directory.services.membership import ListingEdit

#: Form fields an edit never keeps: the honeypot, and the organization an item belongs to.
SNAPSHOT_SKIP = {"homepage", "organization"}


def listing_edit_of(form) -> ListingEdit:
    """A valid listing form's edit, for the services: its listing (unsaved) and ``save_m2m``."""
    return ListingEdit(listing=form.save(commit=False), save_m2m=form.save_m2m)


def form_snapshot(form) -> dict[str, list[str]]:
    """The submitted values of a form's fields, as JSON (to re-bind the form later)."""
    return {
        name: form.data.getlist(form.add_prefix(name))
        for name in form.fields
        if name not in SNAPSHOT_SKIP
    }


def form_for(target, data=None, *, user=None):
    """The member's form for ``target``; initiatives and events offer ``user``'s organizations."""
    if isinstance(target, Organization):
        return OrganizationForm(data, instance=target)
    form_class = EventForm if isinstance(target, Event) else InitiativeForm
    return form_class(data, instance=target, user=user)


def change_request_initial(form, change: ChangeRequest) -> dict:
    """A waiting edit's values as ``form``'s initial values, so a second edit continues it.

    Given as Python values (as the form's fields read them), so that ``form.has_changed()``
    tells whether anything differs from the waiting edit.
    """
    data = MultiValueDict(change.proposed)
    initial = {}
    for name, field in form.fields.items():
        if name not in change.proposed or field.disabled:
            continue
        raw = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
        try:
            initial[name] = field.to_python(raw)
        except ValidationError:  # no longer valid (e.g. a removed role): shown as it was
            initial[name] = raw
    return initial


def change_request_form(change: ChangeRequest):
    """The member's edit re-bound to the listing as it is now (validates it again)."""
    data = MultiValueDict(change.proposed)
    # A fresh copy: validating a ModelForm writes the new values onto its instance.
    target = type(change.target).objects.get(pk=change.target.pk)
    # A field added to the form after the edit was made keeps its current value.
    for name in ("languages",):
        if name not in data:
            data.setlist(name, [obj.pk for obj in getattr(target, name).all()])
    if not isinstance(target, Organization):
        data["organization"] = target.organization.slug
    return form_for(target, data, user=change.submitted_by)


def edit_labels(change: ChangeRequest, names: list[str]) -> list[str]:
    """Fields of the edit as its form labels them (in the reader's language)."""
    fields = form_for(change.target, user=change.submitted_by).fields
    return [str(fields[name].label or name) if name in fields else name for name in names]


def proposed_edit(change: ChangeRequest) -> ListingEdit:
    """A member's waiting edit, validated again and ready to apply (``decide(edit=…)``);
    ValueError when it no longer validates."""
    form = change_request_form(change)
    if not form.is_valid():
        raise ValueError(
            _("The edit no longer validates: %(errors)s") % {"errors": form.errors.as_text()}
        )
    return listing_edit_of(form)


def _display(value, target=None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):  # an event's times, in its own zone as its page shows them
        zone = getattr(target, "tz", None)
        return date_format(timezone.localtime(value, zone), "DATETIME_FORMAT")
    if hasattr(value, "all"):
        return ", ".join(str(v) for v in value.all()) or "—"
    if isinstance(value, list | tuple) or (
        hasattr(value, "__iter__") and not isinstance(value, str)
    ):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def change_request_diff(change: ChangeRequest) -> list[dict]:
    """[{field, label, current, proposed}] for the fields the edit changes."""
    form = change_request_form(change)
    form.is_valid()
    rows = []
    for name in form.changed_data:
        if name in SNAPSHOT_SKIP:
            continue
        current = getattr(change.target, name)
        proposed = form.cleaned_data.get(name, form.data.get(name))
        rows.append(
            {
                "field": name,
                "label": form.fields[name].label or name.replace("_", " ").capitalize(),
                "current": _display(current, change.target),
                "proposed": _display(proposed, change.target),
            }
        )
    return rows


def decision_edit(target, action: str) -> ListingEdit | None:
    """What approving ``target`` applies when it is a member's edit (``decide(edit=…)``), else
    None; ValueError when the edit no longer validates."""
    if isinstance(target, ChangeRequest) and action == ModerationDecision.Action.APPROVE:
        return proposed_edit(target)
    return None
