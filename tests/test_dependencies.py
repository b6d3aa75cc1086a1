"""The tool imports only what it installs: a package only the tests install is never imported
by `src/` (the demo's report once failed on a fresh install because one was)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The import name of each distribution where it differs from the distribution's name.
IMPORT_NAMES = {
    "import-linter": "importlinter",
    "types-jsonschema": "",
    "psycopg[binary]": "psycopg",
}


def _names(requirements: list[str]) -> set[str]:
    found = set()
    for requirement in requirements:
        name = re.split(r"[<>=!~; ]", requirement, maxsplit=1)[0]
        found.add(IMPORT_NAMES.get(name, name.replace("-", "_").split("[")[0]))
    return found - {""}


def test_no_module_of_the_tool_imports_a_package_only_the_tests_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    shipped = _names(project["dependencies"]) | {
        name for extra, needs in extras.items() if extra != "dev" for name in _names(needs)
    }
    test_only = _names(extras["dev"]) - shipped
    assert {"statsmodels", "krippendorff", "pytest"} <= test_only
    offenders = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        if path.name == "pytest_plugin.py":
            continue  # loaded by pytest only, which is there by then
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {r}" for r in roots if r in test_only
            ]
    assert offenders == []
