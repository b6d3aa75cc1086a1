"""`fieldeval --help` stays fast: the CLI module imports no heavy dependency up front."""

from __future__ import annotations

import json
import subprocess
import sys

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
