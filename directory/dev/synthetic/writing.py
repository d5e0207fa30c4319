"""Writing the rows: COPY on PostgreSQL (parallel workers, indexes rebuilt once), bulk_create
elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from directory.dev.synthetic.places import Place
from directory.dev.synthetic.rows import Generator, Plan
from directory.dev.synthetic.vocabulary import BULK_INDEX_THRESHOLD
from directory.models import Initiative, Organization, Status
from directory.services import coverage, facet_terms
from goals.models import Goal
from roles.models import Role

# --- writing --------------------------------------------------------------------------------


class Writer:
    """Inserts rows of one model and its roles/goals links, chunk by chunk."""

    def __init__(self, model, log: Callable[[str], None]):
        self.model = model
        self.log = log
        self.fields = [f for f in model._meta.concrete_fields if f.attname != "search_vector"]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        # Fields added to the model later that we do not fill get their model default.
        self.defaults = {
            f.attname: (f.get_default() if f.has_default() or f.null else "") for f in self.fields
        }
        self.links = {
            name: model._meta.get_field(name).remote_field.through for name in ("roles", "goals")
        }
        self.pg = connection.vendor == "postgresql"
        # With the arrays' triggers off (a bulk load), a listing's row carries its roles and
        # goals itself (``directory.services.facet_terms``): no rewrite of every row after.
        self.arrays = (
            self.pg and model in facet_terms.MODELS and _SHARED.get("arrays_in_rows", False)
        )

    def reserve_ids(self, n: int) -> list[int]:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [r[0] for r in cursor.fetchall()]
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + n))

    def write(self, rows: list[tuple[dict, list[int], list[int]]]) -> None:
        if self.pg:
            self._copy(rows)
        else:
            self._bulk_create(rows)

    def _tuple(self, row: dict) -> tuple:
        d = self.defaults
        return tuple(row[a] if a in row else d[a] for a in self.attnames)

    def _copy(self, rows) -> None:
        table = self.model._meta.db_table
        columns = self.columns
        if self.arrays:
            columns = [*columns, facet_terms.ARRAYS["roles"], facet_terms.ARRAYS["goals"]]
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor
            with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row, roles, goals in rows:
                    values = self._tuple(row)
                    copy.write_row((*values, roles, goals) if self.arrays else values)
            for i, name in enumerate(("roles", "goals"), start=1):
                through = self.links[name]
                owner, target = _link_columns(through, self.model)
                with raw.copy(
                    f'COPY "{through._meta.db_table}" ("{owner}", "{target}") FROM STDIN'
                ) as copy:
                    for item in rows:
                        pk = item[0]["id"]
                        for other in item[i]:
                            copy.write_row((pk, other))

    def _bulk_create(self, rows) -> None:
        model = self.model
        objs = []
        for row, _, _ in rows:
            values = {**self.defaults, **row}
            objs.append(model(**{a: values[a] for a in self.attnames}))
        model.objects.bulk_create(objs, batch_size=500)
        for i, name in enumerate(("roles", "goals"), start=1):
            through = self.links[name]
            owner, target = _link_attnames(through, model)
            through.objects.bulk_create(
                [
                    through(**{owner: item[0]["id"], target: other})
                    for item in rows
                    for other in item[i]
                ],
                batch_size=2000,
            )


def _link_fields(through, model):
    owner = next(f for f in through._meta.concrete_fields if f.related_model is model)
    target = next(
        f for f in through._meta.concrete_fields if f.is_relation and f.related_model is not model
    )
    return owner, target


def _link_columns(through, model) -> tuple[str, str]:
    owner, target = _link_fields(through, model)
    return owner.column, target.column


def _link_attnames(through, model) -> tuple[str, str]:
    owner, target = _link_fields(through, model)
    return owner.attname, target.attname


@dataclass
class GenerationReport:
    organizations: int = 0
    initiatives: int = 0
    links: int = 0
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)


def generate(plan: Plan, log: Callable[[str], None] = print) -> GenerationReport:
    """Insert ``plan.organizations`` organizations and ``plan.initiatives`` initiatives.

    The next chunk is generated in a helper thread while the database ingests the current one
    (the thread only computes; every query runs here).
    """
    roles = list(Role.objects.order_by("number").values_list("pk", flat=True))
    goals = list(Goal.objects.order_by("number").values_list("pk", flat=True))
    if not roles or not goals:
        raise RuntimeError("Load the taxonomy first (manage.py seed).")
    gen = Generator(plan, roles, goals)
    report = GenerationReport()
    started = time.monotonic()
    pg = connection.vendor == "postgresql"
    bulk = pg and plan.initiatives >= BULK_INDEX_THRESHOLD
    rebuild = bulk and plan.drop_indexes
    if bulk and connection.in_atomic_block:
        # (tests) Foreign keys checked at commit would leave events pending, and PostgreSQL
        # alters no table with events pending: check each row as it comes instead.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    dropped = _drop_secondary_indexes([Organization, Initiative], log) if rebuild else []
    # The coverage triggers would write a change per cell of every row: off for a bulk load,
    # and every cell counted once at the end, whatever happened (rows of a load that failed
    # half-way are counted too; ``manage.py rebuild_coverage`` turns them on if this process
    # was killed).
    # So would the facets' arrays' triggers (an update of the initiative per link): off too,
    # and every array written once at the end.
    quiet = coverage.triggers() if bulk else []
    arrays_quiet = facet_terms.triggers() if bulk else []
    coverage.switch_triggers(quiet + arrays_quiet, on=False)
    _SHARED["arrays_in_rows"] = bool(arrays_quiet)
    try:
        _generate_rows(plan, gen, report, log)
    finally:
        _SHARED["arrays_in_rows"] = False
        if arrays_quiet:
            # The rows carry their arrays already: this writes none unless a load failed
            # half-way (before the indexes come back: a row rewritten is then unindexed).
            phase = time.monotonic()
            coverage.switch_triggers(arrays_quiet, on=True)
            rewritten = facet_terms.rebuild()
            report.phases["facet_arrays"] = time.monotonic() - phase
            log(f"facet arrays checked against the links: {rewritten:,} rewritten")
        if dropped:
            phase = time.monotonic()
            _recreate_indexes(dropped, log)
            report.phases["indexes"] = time.monotonic() - phase
        phase = time.monotonic()
        if quiet:
            coverage.switch_triggers(quiet, on=True)
            coverage.rebuild_counts()
        else:
            coverage.fold_changes()
    report.phases["coverage"] = time.monotonic() - phase
    if pg:
        phase = time.monotonic()
        tables = [
            Organization,
            Initiative,
            Organization.roles.through,
            Organization.goals.through,
            Organization.networks.through,
            Initiative.roles.through,
            Initiative.goals.through,
        ]
        # VACUUM sets the visibility map (index-only scans) and hint bits once, so the first
        # reads are not slower than the later ones; inside a transaction (tests) only ANALYZE.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f'{command} "{model._meta.db_table}"')
        report.phases["vacuum_analyze"] = time.monotonic() - phase
        log(f"VACUUM ANALYZE: {report.phases['vacuum_analyze']:.1f} s")
    report.seconds = time.monotonic() - started
    return report


# Set in the parent before worker processes are forked; read by the workers.
_SHARED: dict = {}


def _generate_rows(plan: Plan, gen: Generator, report: GenerationReport, log) -> None:
    started = time.monotonic()
    _SHARED.update(plan=plan, gen=gen, log=log, orgs=[])
    # Organizations first (initiatives point at them); keep (id, place, published) of each.
    for rows_done, links, orgs in _run_parts("organization", plan.organizations, plan):
        report.organizations += rows_done
        report.links += links
        _SHARED["orgs"].extend(orgs)
    orgs = _SHARED["orgs"]
    orgs.sort()
    networks = [org_id for org_id, _place, is_network, _public in orgs if is_network]
    if networks:
        network_set = set(networks)
        through = Organization.networks.through
        members = [
            through(from_organization_id=org_id, to_organization_id=gen.rng.choice(networks))
            for org_id, _place, _, _public in orgs
            if org_id not in network_set and gen.rng.random() < 0.1
        ]
        through.objects.bulk_create(members, batch_size=2000)
        report.links += len(members)
    _SHARED["orgs"] = [(org_id, place, public) for org_id, place, _, public in orgs]
    report.phases["organizations"] = time.monotonic() - started
    progress(log, "organizations (all)", report.organizations, plan.organizations, started)

    phase = time.monotonic()
    for rows_done, links, _ in _run_parts("initiative", plan.initiatives, plan):
        report.initiatives += rows_done
        report.links += links
    report.phases["initiatives"] = time.monotonic() - phase
    progress(log, "initiatives (all)", report.initiatives, plan.initiatives, phase)


def _run_parts(kind: str, total: int, plan: Plan):
    """Split ``total`` rows into contiguous parts, written by ``plan.workers`` processes on
    PostgreSQL (each with its own connection, so the search triggers run on every core)."""
    from django.db import connections

    workers = max(1, min(plan.workers, total // max(plan.chunk, 1) or 1))
    # Workers use their own connections: they could not see rows of an open transaction.
    if connection.vendor != "postgresql" or workers == 1 or connection.in_atomic_block:
        yield _write_part(kind, 0, total, plan.seed)
        return
    import multiprocessing

    size = -(-total // workers)
    parts = [
        (kind, i * size, min(size, total - i * size), plan.seed * 1000 + i)
        for i in range(workers)
        if i * size < total
    ]
    connections.close_all()  # every worker opens its own
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        yield from pool.starmap(_write_part, parts)


def _write_part(kind: str, start: int, count: int, seed: int) -> tuple[int, int, list]:
    """Generate and write rows ``start .. start+count`` (in a worker, or in-process)."""
    from concurrent.futures import ThreadPoolExecutor

    plan, gen, log = _SHARED["plan"], _SHARED["gen"], _SHARED["log"]
    if start:
        gen.rng.seed(seed)
    model = Organization if kind == "organization" else Initiative
    writer = Writer(model, log)
    orgs = _SHARED["orgs"]
    made: list = []
    began = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=1)

    def chunk(first: int, n: int):
        if kind == "organization":
            return [gen.organization(first + i) for i in range(n)]
        return [gen.initiative(first + i, gen.rng.choice(orgs)) for i in range(n)]

    bounds = [(start + s, min(plan.chunk, count - s)) for s in range(0, count, plan.chunk)]
    done = links = 0
    try:
        # The next chunk is made in a helper thread while the database takes the current one.
        future = pool.submit(chunk, *bounds[0]) if bounds else None
        for k in range(len(bounds)):
            rows = future.result()
            future = pool.submit(chunk, *bounds[k + 1]) if k + 1 < len(bounds) else None
            for (row, _, _), pk in zip(rows, writer.reserve_ids(len(rows)), strict=True):
                row["id"] = pk
            with transaction.atomic():
                writer.write(rows)
            if kind == "organization":
                for row, _, _ in rows:
                    place = None
                    if row["postal_code"]:
                        place = Place(
                            row["postal_code"],
                            row["city"],
                            row["state"],
                            row["county"],
                            row["latitude"],
                            row["longitude"],
                        )
                    made.append(
                        (row["id"], place, row["is_network"], row["status"] == Status.PUBLISHED)
                    )
            done += len(rows)
            links += sum(len(r) + len(g) for _, r, g in rows)
            progress(log, f"{kind}s [{start:,}+]", done, count, began)
    finally:
        pool.shutdown(cancel_futures=True)
    return done, links, made


def _drop_secondary_indexes(models, log) -> list[tuple[str, str]]:
    """Drop the plain (non-constraint) indexes of big tables before a bulk load; return their
    definitions. Rebuilding an index once is much faster than updating it row by row."""
    dropped = []
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.schemaname = current_schema() AND i.tablename = %s
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                     WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
                [model._meta.db_table],
            )
            dropped.extend(cursor.fetchall())
        for name, definition in dropped:
            log(f"dropping index {name} for the bulk load; it is rebuilt after: {definition}")
            cursor.execute(f'DROP INDEX "{name}"')
    return dropped


def _recreate_indexes(dropped: list[tuple[str, str]], log) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in dropped:
            t = time.monotonic()
            cursor.execute(definition)
            log(f"rebuilt index {name} in {time.monotonic() - t:.1f} s")
        cursor.execute("RESET maintenance_work_mem")


def progress(log, what: str, done: int, total: int, since: float) -> None:
    elapsed = time.monotonic() - since
    rate = done / elapsed if elapsed else 0
    log(f"{what}: {done:,}/{total:,}  {elapsed:6.1f} s  {rate:,.0f} rows/s")
