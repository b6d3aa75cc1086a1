"""`fieldeval --help` stays fast: the CLI module imports no heavy dependency up front."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "aiohttp",
    "alembic",
    "jsonschema",
    "py3langid",
    "xllamacpp",
    "numpy",
    "scipy",
    "plotly",
    "ray",
    "fastapi",
    "starlette",
    "uvicorn",
    "playwright",
)


# fieldeval's modules a suite with no `edges:`, no rubric and a UTF-8 file never needs.
UNUSED_BY_A_PLAIN_RUN = (
    "fieldeval.edges.dataset",
    "fieldeval.edges.expand",
    "fieldeval.edges.generators",
    "fieldeval.edges.rates",
    "fieldeval.edges.rewrite",
    "fieldeval.judge.calibration",
    "fieldeval.stats.agreement",
    "fieldeval.cost",
    "charset_normalizer",
)


def test_importing_the_cli_imports_no_heavy_dependency() -> None:
    probe = (
        "import json, sys\n"
        "import fieldeval.cli.main\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    """The check above is not vacuous: loading the store does pull in sqlalchemy."""
    probe = "import sys, fieldeval.store; print('sqlalchemy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "True"


def test_a_run_imports_only_what_its_candidates_and_task_use(tmp_path: Path) -> None:
    """Issue 23: nothing a command does not use is imported. A python candidate makes no
    HTTP call (no aiohttp), and a task that is no classification needs no scipy."""
    (tmp_path / "data.csv").write_text("id,text\na1,world\n", encoding="utf-8")
    (tmp_path / "bot_imports.py").write_text(
        "def answer(request):\n    return 'hello ' + request.variables['text']\n",
        encoding="utf-8",
    )
    (tmp_path / "suite.yaml").write_text(
        "task: {name: one, description: Greet., prompt: 'Greet {{ text }}'}\n"
        "dataset: {path: data.csv, id: id}\n"
        "candidates: [{id: greeter, provider: python, function: 'bot_imports:answer'}]\n"
        "checks: [{max_words: 3}]\n",
        encoding="utf-8",
    )
    probe = (
        "import json, sys\n"
        "from fieldeval.cli.main import app\n"
        "try:\n"
        f"    app(['run', 'suite.yaml', '--db', {str(tmp_path / 'f.db')!r}, '-q'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps(sorted(loaded & {'aiohttp', 'numpy', 'scipy', 'sqlalchemy'})))\n"
        f"unused = {UNUSED_BY_A_PLAIN_RUN!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(unused))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The store is used (sqlalchemy); the HTTP client, numpy and scipy are not (one
    # candidate: no paired comparison, no rubric), nor the edge generators, the judge's
    # calibration and the charset guesser (the file is UTF-8).
    *_, third_party, own = result.stdout.splitlines()
    assert json.loads(third_party) == ["sqlalchemy"]
    assert json.loads(own) == []
