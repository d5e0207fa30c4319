"""The verdict of the load and soak run (scripts/soak.py): what makes it fail, from made-up
results (pure functions; ``make soak-smoke`` runs the real thing)."""

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"
spec = importlib.util.spec_from_file_location("soak", SCRIPT)
soak = sys.modules.setdefault("soak", importlib.util.module_from_spec(spec))
spec.loader.exec_module(soak)

Request, Write = soak.Request, soak.Write


def flat_memory(mib=500.0, growth=0.0, seconds=60, warmup=10):
    return [
        {
            "t": float(t),
            "rss_mib": mib + growth * t / seconds,
            "rss_max_worker_mib": mib / 4,
            "workers": [11, 12, 13, 14],
            "load1": 1.0,
        }
        for t in range(0, seconds + 1, 2)
    ]


def run(requests=None, writes=None, stored=None, samples=None):
    requests = requests or [Request("home", 200, 12.0, 1.0), Request("list", 200, 30.0, 2.0)]
    writes = writes or []
    if stored is None:
        stored = {
            "submission": Counter(
                w.marker for w in writes if w.kind == "submission" and w.status == 201
            ),
            "report": Counter(w.marker for w in writes if w.kind == "report" and w.status == 302),
        }
    summary = soak.summarize(requests, writes, stored, samples or flat_memory(), 60.0, 10.0)
    return summary, soak.verdict(summary, max_growth_mib=50, max_growth_pct=25)


def test_a_clean_run_passes_and_counts_429s_apart():
    requests = [
        Request("submission", 201, 50.0, 1.0),
        Request("submission", 429, 5.0, 2.0),
        Request("report", 302, 40.0, 3.0),
        Request("api_list", 429, 3.0, 4.0),
        Request("home", 200, 10.0, -1.0),  # pre-warm: checked, but not in the rate
    ]
    writes = [
        Write("submission", "soak-x-00-00001", 201),
        Write("submission", "soak-x-00-00002", 429),
        Write("report", "soak-x-01-00001", 302),
    ]
    summary, problems = run(requests, writes)
    assert problems == []
    assert summary["429"] == 2 and summary["5xx"] == 0
    assert summary["prewarm_requests"] == 1 and summary["rps"] == round(4 / 60, 1)
    sub = summary["writes"]["submission"]
    assert (sub["attempted"], sub["accepted"], sub["stored"]) == (2, 1, 1)
    assert (sub["rate_limited_429"], sub["lost"]) == (1, 0)


def test_a_5xx_fails_the_run():
    summary, problems = run([Request("home", 200, 10.0, 1.0), Request("detail", 502, 9.0, 2.0)])
    assert summary["5xx"] == 1
    assert any("5xx" in p for p in problems)


@pytest.mark.parametrize("at", [-1.0, 5.0])  # during the pre-warm too
def test_an_unanswered_request_fails_the_run(at):
    _summary, problems = run([Request("list", 0, 30000.0, at)])
    assert any("no answer" in p for p in problems)


def test_an_accepted_write_missing_from_the_database_is_a_lost_write():
    writes = [
        Write("submission", "soak-x-00-00001", 201),
        Write("submission", "soak-x-00-00002", 201),
        Write("report", "soak-x-01-00001", 302),
    ]
    stored = {"submission": Counter(["soak-x-00-00001"]), "report": Counter(["soak-x-01-00001"])}
    summary, problems = run(writes=writes, stored=stored)
    assert summary["writes"]["submission"]["lost"] == 1
    assert summary["writes"]["submission"]["lost_examples"] == ["soak-x-00-00002"]
    assert any("not stored" in p and "soak-x-00-00002" in p for p in problems)


def test_writes_stored_twice_or_despite_a_refusal_fail_the_run():
    writes = [Write("report", "soak-x-01-00001", 302), Write("report", "soak-x-01-00002", 429)]
    stored = {"report": Counter({"soak-x-01-00001": 2, "soak-x-01-00002": 1})}
    _summary, problems = run(writes=writes, stored=stored)
    assert any("stored twice" in p for p in problems)
    assert any("stored anyway" in p for p in problems)


def test_a_write_without_an_answer_but_stored_is_not_lost():
    writes = [Write("submission", "soak-x-00-00001", 0)]
    stored = {"submission": Counter({"soak-x-00-00001": 1})}
    summary, _problems = run(writes=writes, stored=stored)
    assert summary["writes"]["submission"]["lost"] == 0
    assert summary["writes"]["submission"]["stored_unconfirmed"] == 1


def test_an_unexpected_answer_fails_the_run():
    _summary, problems = run([Request("report", 403, 5.0, 1.0)])  # e.g. a CSRF failure
    assert any("unexpected" in p and "report 403" in p for p in problems)


def test_memory_growth_after_the_warm_up_fails_the_run():
    summary, problems = run(samples=flat_memory(growth=80))
    assert summary["memory"]["growth_mib"] > 50
    assert any("memory grew" in p for p in problems)
    summary, problems = run(samples=flat_memory(growth=20))
    assert summary["memory"]["slope_mib_per_min"] == pytest.approx(20, abs=1)
    assert problems == []


def test_the_csrf_cookie_is_read_from_set_cookie():
    headers = [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "csrftoken=abc123; expires=x; Path=/; SameSite=Lax; Secure"),
    ]
    assert soak.csrf_cookie(headers) == "abc123"
    assert soak.csrf_cookie([]) == ""
