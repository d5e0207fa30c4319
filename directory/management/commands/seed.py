"""Load the curated fixtures: the taxonomy, the paper's organizations and the research set.

Create-only: an object whose natural key (slug) already exists is left as it is, so running this
again changes nothing and never overwrites what curators have edited in the admin since. The one
exception fills gaps only: a translation (e.g. ``name_es``) that is empty in the database is
taken from the fixture, so an existing installation gains the Spanish taxonomy on upgrade.

The research set (``fixtures/research/*.json``: real listings with their sources, see
docs/data.md) is checked against the bar first; a set that falls short stops the seed. The
made-up example initiatives are added only with ``--demo`` (or ``manage.py seed_demo``).
"""

from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

from directory.search.taxonomy import taxonomy_changed
from directory.services import research
from directory.services.coverage import fold_changes

FIXTURES = ["goals.json", "roles.json", "role_finder.json", "languages.json", "organizations.json"]


class Command(BaseCommand):
    help = "Load the taxonomy, the paper's organizations and the research set (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo", action="store_true", help="Also add the made-up example initiatives."
        )

    def handle(self, *args, demo: bool = False, **options):
        found = research.ResearchSet.read()
        if shortfalls := research.problems(found):
            raise CommandError(
                "fixtures/research/ falls short of the bar (docs/data.md):\n  "
                + "\n  ".join(shortfalls)
            )
        for name in FIXTURES:
            created, kept = load_fixture_create_only(Path(settings.BASE_DIR) / "fixtures" / name)
            self.stdout.write(f"{name}: {created} created, {kept} already present")
        result = research.load(found)
        self.stdout.write(
            f"research/: {result.created} created, {result.kept} already present, "
            f"{result.sources_added} sources added to the paper's listings"
        )
        if demo:
            call_command("seed_demo", stdout=self.stdout)
        fold_changes()  # the coverage triggers' changes, counted once (``services.coverage``)


def _fill_missing_translations(fixture_object) -> bool:
    """Copy translations the fixture has and the stored row lacks; never overwrite text.
    Whether it filled any."""
    try:
        options = translator.get_options_for_model(type(fixture_object))
    except NotRegistered:
        return False
    model = type(fixture_object)
    columns = [
        build_localized_fieldname(field, code)
        for field in options.fields
        for code, _name in settings.LANGUAGES
    ]
    stored = model.objects.filter(pk=fixture_object.pk).values(*columns).first() or {}
    missing = {
        column: getattr(fixture_object, column)
        for column in columns
        if not stored.get(column) and getattr(fixture_object, column, None)
    }
    if missing:
        model.objects.filter(pk=fixture_object.pk).update(**missing)
    return bool(missing)


@transaction.atomic
def load_fixture_create_only(path: Path) -> tuple[int, int]:
    """Save the objects of a natural-key fixture that do not exist yet; return (created, kept)."""
    created = kept = 0
    filled = False
    deferred = []
    with path.open(encoding="utf-8") as handle:
        # Streamed, so later objects can refer to earlier ones by natural key.
        for item in serializers.deserialize("json", handle, handle_forward_references=True):
            instance = item.object
            # Present when the deserializer found its natural key in the database, or when the
            # fixture gives the primary key itself (languages: the code) and a row has it.
            if (
                instance.pk is not None
                and type(instance)._base_manager.filter(pk=instance.pk).exists()
            ):
                kept += 1
                filled = _fill_missing_translations(instance) or filled
                continue
            instance._change_reason = f"Seeded from fixtures/{path.name}"
            instance.save()
            for field_name, values in (item.m2m_data or {}).items():
                getattr(instance, field_name).set(values)
            if item.deferred_fields:
                deferred.append(item)
            created += 1
    for item in deferred:
        item.save_deferred_fields()
    if filled:
        # An update sends no signal: every process reads the taxonomy again, and pages cached
        # with the old names are retired, as after an edit in the admin.
        taxonomy_changed()
    return created, kept
