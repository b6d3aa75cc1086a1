"""`import fieldeval`: the one front door the CLI, the pytest plugin and scripts share."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.test_edges_command import fieldeval as fieldeval_cli
from tests.cli.test_edges_command import run_id, server, write_suite  # noqa: F401
from tests.doubles.fixtures import ServerHandle

import fieldeval
from fieldeval.providers import providers
from fieldeval.store import Store
from fieldeval.suite.schema import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]


def test_the_public_names_are_sorted_and_each_one_resolves() -> None:
    assert fieldeval.__all__ == sorted(fieldeval.__all__)
    assert {"evaluate", "evaluate_async", "validate", "gate", "load_run"} <= set(fieldeval.__all__)
    for name in fieldeval.__all__:
        assert getattr(fieldeval, name) is not None, name
    assert dir(fieldeval) == fieldeval.__all__
    with pytest.raises(AttributeError, match="no attribute 'run_suite'"):
        _ = fieldeval.run_suite  # type: ignore[attr-defined]


def test_importing_the_front_door_loads_neither_the_store_nor_the_pipeline() -> None:
    probe = (
        "import sys, fieldeval\n"
        "heavy = [m for m in ('sqlalchemy', 'aiohttp', 'fieldeval.pipeline', 'numpy')"
        " if m in sys.modules]\n"
        "print(','.join(heavy) or 'none')"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "none"


def test_every_provider_kind_of_the_suite_is_registered_and_no_other() -> None:
    assert set(PROVIDERS) == set(providers())


def _stored(db: Path) -> list[tuple[str, str, int, str | None]]:
    store = Store.open(f"sqlite:///{db}")
    try:
        info = store.runs(limit=1)[0]
        return sorted(
            (o.candidate_id, o.example_id, o.repeat, o.text) for o in store.outputs(info.id)
        )
    finally:
        store.close()


def test_the_cli_and_the_library_store_the_same_outputs_for_a_suite_with_edges(
    tmp_path: Path,
    server: ServerHandle,  # noqa: F811
) -> None:
    cli_folder, lib_folder = tmp_path / "cli", tmp_path / "lib"
    for folder in (cli_folder, lib_folder):
        folder.mkdir()
        write_suite(folder, server)

    ran = fieldeval_cli(cli_folder, "run", "suite.yaml", "--quiet")
    assert ran.returncode == 0, ran.stderr
    sys.path.insert(0, str(lib_folder))  # the suite's python candidate lives beside it
    try:
        result = fieldeval.evaluate(lib_folder / "suite.yaml", db=str(lib_folder / "results.db"))
    finally:
        sys.path.remove(str(lib_folder))

    from_cli, from_library = _stored(cli_folder / "results.db"), _stored(lib_folder / "results.db")
    assert len(from_cli) == 9  # 3 examples and 6 edge-case variants (typos, injection)
    assert [row[:3] for row in from_library] == [row[:3] for row in from_cli]
    assert [row[3] for row in from_library] == [row[3] for row in from_cli]
    # The result counts the clean examples; the variants are in its edge report.
    assert len(result.outputs) == 3
    assert result.edges is not None and result.edges.rows
    assert str(result.pass_rate(candidate="bot")).startswith("pass rate for bot: 100% (3/3)")


def _readme_script() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Library", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README's Library section has no python block"
    return found.group(1)


def test_the_readme_script_uses_only_the_front_door_in_six_lines() -> None:
    script = _readme_script()
    lines = [line for line in script.splitlines() if line.strip()]
    assert len(lines) <= 6, script
    imports = [line for line in lines if re.match(r"\s*(import|from)\b", line)]
    assert imports == ["import fieldeval"]


@pytest.mark.local_model
def test_the_readme_script_prints_pass_rates_with_intervals(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "complaints", tmp_path / "examples" / "complaints")
    env = {**os.environ, "FIELDEVAL_DB": f"sqlite:///{tmp_path / 'readme.db'}"}

    shown = subprocess.run(
        [sys.executable, "-c", _readme_script()],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.strip().splitlines()
    assert len(rows) == 2, shown.stdout
    for candidate, row in zip(("gemma-zero-shot", "gemma-one-shot"), rows, strict=True):
        expected = rf"pass rate for {candidate}: \d+% \(\d/3\), 95% CI \d+%–\d+%"
        assert re.fullmatch(expected, row), row
