"""Local runs keep the test database for the next run; CI runs never do; runs side by side in
one checkout each get a database of their own (tests/conftest.py)."""

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from tests import conftest


def test_local_runs_reuse_the_test_database():
    options = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
    assert "--reuse-db" in options["tool"]["pytest"]["ini_options"]["addopts"].split()


@pytest.mark.parametrize(
    ("ci", "reused"),
    [("true", False), ("1", False), ("false", True), ("0", True), ("", True), (None, True)],
)
def test_ci_always_creates_the_test_database_afresh(monkeypatch, ci, reused):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    config = SimpleNamespace(option=SimpleNamespace(reuse_db=True))
    conftest.pytest_configure(config)
    assert config.option.reuse_db is reused


def test_runs_side_by_side_each_get_their_own_database(tmp_path):
    prefix = str(tmp_path / "mpdb-test")
    first_name, first_lock = conftest.claim_test_database(prefix)
    second_name, second_lock = conftest.claim_test_database(prefix)
    assert (first_name, second_name) == (f"{prefix}-0.sqlite3", f"{prefix}-1.sqlite3")
    assert conftest.claim_test_database(prefix, slots=2) is None
    first_lock.close()  # the first run ends: the next run reuses its database
    again, lock = conftest.claim_test_database(prefix)
    assert again == first_name
    lock.close()
    second_lock.close()
