"""The Spanish catalogue is complete, clean, compiled and in step with the code."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# Where interface text lives (what `make messages` scans; tests, scripts and docs are not shown).
SOURCE_DIRS = ["mpdb", "directory", "roles", "goals", "templates"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}|%[sd]")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    assert PO.exists(), f"{PO} is missing"
    return polib.pofile(str(PO))


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    live = [entry for entry in catalogue if not entry.obsolete]
    assert len(live) > 300  # the whole interface, not a sample
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert catalogue.percent_translated() == 100
    assert not [entry for entry in catalogue if entry.obsolete], "obsolete entries: run make i18n"


def test_translations_keep_every_placeholder(catalogue):
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            expected = set(PLACEHOLDER.findall(entry.msgid_plural))
            for translated in entry.msgstr_plural.values():
                # A singular form may drop the count ("un evento"), never invent a placeholder.
                assert set(PLACEHOLDER.findall(translated)) <= expected, (entry.msgid, translated)
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ), (entry.msgid, entry.msgstr)


def test_the_compiled_catalogue_matches_the_source(catalogue):
    assert MO.exists(), "locale/es/LC_MESSAGES/django.mo is missing: run `make i18n`"
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(MO)) if entry.msgid}
    source = {
        entry.msgid: entry.msgstr
        for entry in catalogue.translated_entries()
        if not entry.msgid_plural and not entry.msgctxt
    }
    assert {k: compiled.get(k) for k in source} == source


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path, monkeypatch):
    """``makemessages`` run afresh (on a copy of the code) finds exactly the catalogue's msgids."""
    assert shutil.which("xgettext"), "GNU gettext is needed (make i18n-deps installs it)"
    root = Path(settings.BASE_DIR)
    for name in SOURCE_DIRS:
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]):
        call_command("makemessages", locale=["es"], no_obsolete=True, verbosity=0)
    fresh = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(PO))
    wanted = {(e.msgctxt, e.msgid) for e in fresh}
    have = {(e.msgctxt, e.msgid) for e in committed if not e.obsolete}
    missing = sorted(m for _, m in wanted - have)
    assert missing == [], f"{len(missing)} strings not in the catalogue, e.g. {missing[:5]}"
    stale = sorted(m for _, m in have - wanted)
    assert stale == [], f"{len(stale)} catalogue entries no longer used, e.g. {stale[:5]}"
