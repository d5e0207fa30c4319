#!/usr/bin/env python3
"""Compile every locale/*/LC_MESSAGES/*.po into its .mo (pure Python, via polib; no msgfmt)."""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sources = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))
    if not sources:
        print("FATAL: no catalogues under locale/", file=sys.stderr)
        return 1
    for po_path in sources:
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        catalogue.save_as_mofile(str(mo_path))
        print(f"{mo_path.relative_to(ROOT)}: {len(catalogue.translated_entries())} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
