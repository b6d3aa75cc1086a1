"""Third-party providers and checks: a tiny plugin package, installed by pip, then used.

The package is built here as a real wheel and installed with `pip install --target`; the
commands run with that folder on PYTHONPATH, so the plugin is found through its entry
points exactly as an installed one is, and the test environment itself is left untouched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fieldeval.store import Store

PLUGIN = '''\
"""A tiny fieldeval plugin: an `echo` candidate and a `shouting` check."""

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Literal

from fieldeval.errors import ConfigError
from fieldeval.providers.registry import Capabilities
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion, Usage
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.checks import CheckBase


class EchoCandidate(CandidateBase):
    provider: Literal["echo"]
    suffix: str = ""


class EchoProvider:
    def __init__(self, candidate):
        self.suffix = candidate.suffix

    async def complete(self, request):
        if self.suffix == "!":
            raise ConfigError("echo cannot shout '!'", hint="give the echo another suffix")
        text = request.prompt_text.upper() + self.suffix
        return Completion(text=text, usage=Usage(estimated=True), finish_reason="stop")

    async def aclose(self):
        pass

    def cache_identity(self):
        return {"provider": "echo", "suffix": self.suffix}


def from_candidate(candidate, *, base_dir):
    return EchoProvider(candidate)


provider = SimpleNamespace(spec=EchoCandidate, from_candidate=from_candidate,
                           capabilities=Capabilities(default_max_tokens=7))


class Shouting(CheckBase):
    type: Literal["shouting"]
    value: bool = True


@dataclass(frozen=True)
class ShoutingCheck:
    id: str
    only: frozenset

    def applies_to(self, candidate_id):
        return not self.only or candidate_id in self.only

    def __call__(self, output, example):
        loud = output == output.upper()
        return CheckResult(self.id, loud, "all capitals" if loud else "has lower-case letters")


def compile(spec, *, check_id, only, base_dir):
    return ShoutingCheck(check_id, only)


check = SimpleNamespace(spec=Shouting, compile=compile)
'''


def build_wheel(folder: Path, *, entry_points: str, name: str = "fieldeval_echo") -> Path:
    """A pure-Python wheel holding `fieldeval_echo.py` and the given entry_points.txt."""
    dist = f"{name}-0.1.dist-info"
    files = {
        f"{name}.py": PLUGIN,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{dist}/entry_points.txt": entry_points,
    }
    record = "".join(f"{path},,\n" for path in files) + f"{dist}/RECORD,,\n"
    wheel = folder / f"{name}-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in {**files, f"{dist}/RECORD": record}.items():
            archive.writestr(path, text)
    return wheel


def install(tmp_path: Path, entry_points: str) -> Path:
    target = tmp_path / "site"
    wheel = build_wheel(tmp_path, entry_points=entry_points)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (target / "fieldeval_echo.py").exists()
    return target


ENTRY_POINTS = (
    "[fieldeval.providers]\necho = fieldeval_echo:provider\n\n"
    "[fieldeval.checks]\nshouting = fieldeval_echo:check\n"
)


def fieldeval(folder: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def write_suite(folder: Path) -> None:
    (folder / "data.csv").write_text("id,text\na,hello there\nb,quiet please\n", encoding="utf-8")
    suite = {
        "task": {"name": "plugin", "description": "Shout it back.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [
            {"id": "loud", "provider": "echo"},
            {"id": "mixed", "provider": "echo", "suffix": " (said quietly)"},
        ],
        "checks": [{"shouting": True}, {"max_words": 10}],
    }
    (folder / "suite.yaml").write_text(json.dumps(suite), encoding="utf-8")


def test_an_installed_plugin_adds_a_candidate_kind_and_a_check(tmp_path: Path) -> None:
    site = install(tmp_path, ENTRY_POINTS)
    write_suite(tmp_path)

    checked = fieldeval(tmp_path, site, "validate", "suite.yaml")
    assert checked.returncode == 0, checked.stderr
    assert "2 candidates, 2 checks" in checked.stdout

    ran = fieldeval(tmp_path, site, "run", "suite.yaml", "--db", "results.db", "--quiet")
    assert ran.returncode == 0, ran.stderr

    store = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    try:
        outputs = store.outputs(store.runs(limit=1)[0].id)
    finally:
        store.close()
    texts = {(o.candidate_id, o.example_id): o.text for o in outputs}
    assert texts == {
        ("loud", "a"): "HELLO THERE",
        ("loud", "b"): "QUIET PLEASE",
        ("mixed", "a"): "HELLO THERE (said quietly)",
        ("mixed", "b"): "QUIET PLEASE (said quietly)",
    }
    shouting = {
        (o.candidate_id, o.example_id): c.passed
        for o in outputs
        for c in o.checks
        if c.check_id == "shouting"
    }
    assert shouting == {("loud", "a"): True, ("loud", "b"): True,
                        ("mixed", "a"): False, ("mixed", "b"): False}  # fmt: skip


def test_a_plugins_own_error_in_a_call_stops_the_run_with_its_message(tmp_path: Path) -> None:
    site = install(tmp_path, ENTRY_POINTS)
    write_suite(tmp_path)
    suite = json.loads((tmp_path / "suite.yaml").read_text(encoding="utf-8"))
    suite["candidates"] = [{"id": "loud", "provider": "echo", "suffix": "!", "concurrency": 2}]
    (tmp_path / "suite.yaml").write_text(json.dumps(suite), encoding="utf-8")

    ran = fieldeval(tmp_path, site, "run", "suite.yaml", "--db", "results.db", "--quiet")

    assert ran.returncode == 2
    assert "echo cannot shout '!'" in ran.stderr and "another suffix" in ran.stderr
    assert "Traceback" not in ran.stderr and "ExceptionGroup" not in ran.stderr
    store = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    try:
        assert [run.status for run in store.runs()] == ["interrupted"]
    finally:
        store.close()


def test_a_dry_run_reads_the_plugins_capabilities(tmp_path: Path) -> None:
    site = install(tmp_path, ENTRY_POINTS)
    write_suite(tmp_path)

    estimated = fieldeval(tmp_path, site, "run", "suite.yaml", "--db", "r.db", "--dry-run")

    assert estimated.returncode == 0, estimated.stderr
    # No max_tokens in the suite: the plugin's default (7 per call, 2 calls) bounds the output.
    for candidate in ("loud", "mixed"):
        assert re.search(rf"│ {candidate}\s+│\s+2 │.*│\s+≤ 14 │", estimated.stdout), (
            estimated.stdout
        )


def test_without_the_plugin_the_suite_names_the_kinds_it_knows(tmp_path: Path) -> None:
    write_suite(tmp_path)

    checked = fieldeval(tmp_path, tmp_path, "validate", "suite.yaml")

    assert checked.returncode == 2
    assert "unknown value 'echo'; expected one of 'openai', 'anthropic'" in checked.stderr


@pytest.mark.parametrize(
    ("entry_points", "said"),
    [
        ("[fieldeval.providers]\necho = fieldeval_echo:missing\n", "failed to load"),
        ("[fieldeval.providers]\nshout = fieldeval_echo:provider\n", "Literal['shout']"),
        ("[fieldeval.checks]\nshouting = fieldeval_echo:provider\n", "subclass of CheckBase"),
        ("[fieldeval.providers]\nopenai = fieldeval_echo:provider\n", "Literal['openai']"),
    ],
)
def test_a_broken_plugin_is_a_clear_error_naming_it(
    tmp_path: Path, entry_points: str, said: str
) -> None:
    site = install(tmp_path, entry_points)
    write_suite(tmp_path)

    checked = fieldeval(tmp_path, site, "validate", "suite.yaml")

    assert checked.returncode == 2, checked.stderr
    message = checked.stderr + checked.stdout
    assert "plugin" in message and said in message and "fieldeval_echo" in message
    assert "Traceback" not in message
