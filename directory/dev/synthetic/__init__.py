"""Synthetic organizations and initiatives for load tests (``manage.py generate_synthetic``).

Every row made here is unmistakably synthetic: ``is_demo=True`` (the site labels it "Example
entry", the API says ``"is_demo": true``), its slug starts with ``synthetic-``, and its
description ends with a sentence saying it is synthetic. :func:`remove_synthetic` deletes
exactly those rows (both markers must match), so real listings and the demo examples of
``seed_demo`` are never touched.

Places are real ZIP codes (the offline ``zipcodes`` data), picked with the weight of their
state's population, with the ZIP's real coordinates. Text is assembled from word lists with a
long-tailed vocabulary, so full-text search has common words (``community``) and rare ones
(``marimba``).

Writing: on PostgreSQL rows go in with ``COPY``, in chunks, each committed, so memory stays
flat. The search-vector triggers fire on COPY, so ``search_vector`` is filled as rows arrive
(that trigger is most of the cost). Two worker processes write at once (one per core), each
making its next chunk in a helper thread while the database ingests the current one; a big load
(``BULK_INDEX_THRESHOLD`` rows or more) drops the listing tables' plain indexes first and
rebuilds them once at the end (constraint indexes stay), then runs ``VACUUM ANALYZE``. On other
databases (SQLite, for tests and small runs) ``bulk_create`` in batches, in-process.
"""

from directory.dev.synthetic.removal import remove_synthetic, synthetic_q
from directory.dev.synthetic.rows import Generator, Plan
from directory.dev.synthetic.vocabulary import (
    MARKER_SENTENCE,
    ORG_MARKER_SENTENCE,
    SLUG_PREFIX,
    STATE_POPULATION,
)
from directory.dev.synthetic.writing import GenerationReport, generate

__all__ = [
    "MARKER_SENTENCE",
    "ORG_MARKER_SENTENCE",
    "SLUG_PREFIX",
    "STATE_POPULATION",
    "GenerationReport",
    "Generator",
    "Plan",
    "generate",
    "remove_synthetic",
    "synthetic_q",
]
