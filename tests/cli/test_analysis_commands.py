"""`plan`, `compare` and `gate` end to end, on real runs of a Python-function bot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

NAMES = ["ann", "bob", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "jo", "kim", "lu"]
SCRIPT = "<script>alert('x')</script> [/red] [bold]no"  # HTML, and markup rich would choke on


def fieldeval(
    cwd: Path, *args: str, mode: str = "good", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"  # rich wraps at 80 columns when not on a terminal
    env["BOT_MODE"] = mode
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, "--db", str(cwd / "f.db")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def greet(tmp_path: Path) -> Path:
    """Twelve names, a greeter whose behaviour $BOT_MODE sets, and a steady second candidate.

    good: greets everyone but `lu` (answered "hi lu", which fails starts_with).
    bad:  greets only `ann` and `lu`; everyone else gets SCRIPT, failing both checks.
    """
    rows = "".join(f"e{i:02},{name}\n" for i, name in enumerate(NAMES, start=1))
    (tmp_path / "data.csv").write_text("id,name\n" + rows)
    (tmp_path / "bot.py").write_text(
        textwrap.dedent(
            f"""\
            import os

            def answer(request):
                name = request.variables["name"]
                if os.environ["BOT_MODE"] == "bad":
                    return "hello " + name if name in ("ann", "lu") else {SCRIPT!r}
                return "hi lu" if name == "lu" else "hello " + name

            def steady(request):
                return "hello dear " + request.variables["name"]
            """
        )
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        textwrap.dedent(
            """\
            task:
              name: greet
              description: Greet whoever the text names.
              prompt: "Greet {{ name }}"
            dataset:
              path: data.csv
              id: id
              input: name
            candidates:
              - {id: greeter, provider: python, function: "bot:answer"}
              - {id: steady, provider: python, function: "bot:steady"}
            checks:
              - {max_words: 3, id: short}
              - {starts_with: hello}
            """
        )
    )
    return suite


def run(cwd: Path, mode: str, *extra: str) -> str:
    result = fieldeval(cwd, "run", "suite.yaml", "-q", *extra, mode=mode)
    assert result.returncode == 0, result.stderr
    stored = re.search(r"as run (\S+)", result.stdout)
    assert stored is not None, result.stdout
    return stored.group(1)


def test_plan_prints_the_smallest_detectable_difference(tmp_path: Path, greet: Path) -> None:
    # 12 examples tell two candidates apart only if they disagree on most of them.
    args = ("plan", "suite.yaml", "--pass-rate", "0.5", "--discordance", "0.9")
    result = fieldeval(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Assumed: pass rate 50% (--pass-rate); candidates disagree on 90% of examples" in out
    assert re.search(
        r"With 12 examples and an expected pass rate of 50%, two candidates must differ by at "
        r"least \d+ points to be told apart \(80% power, 5% level, assuming they disagree on "
        r"90% of examples\)\.",
        out,
    ), out


def test_plan_with_a_target_says_how_many_examples_it_needs(tmp_path: Path, greet: Path) -> None:
    result = fieldeval(tmp_path, "plan", "suite.yaml", "--target", "0.1")
    assert result.returncode == 0, result.stderr
    assert re.search(r"To detect a 10-point difference you need \d{3} examples\.", result.stdout)

    result = fieldeval(tmp_path, "plan", "suite.yaml", "--discordance", "0.05")
    assert result.returncode == 0, result.stderr
    assert "no difference between two candidates is detectable with 12 examples" in " ".join(
        result.stdout.split()
    )

    result = fieldeval(tmp_path, "plan", "suite.yaml", "--target", "10")
    assert result.returncode == 2
    assert "error: --target must be between 0 and 1" in result.stderr


def test_plan_from_a_run_measures_its_assumptions(tmp_path: Path, greet: Path) -> None:
    first = run(tmp_path, "good")
    result = fieldeval(tmp_path, "plan", "suite.yaml", "--from-run", first[:12])
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    # greeter passes 11/12 and steady 12/12: they disagree on 1 example of 12
    assert "pass rate 95.8%" in out and "disagree on 8.33% of examples" in out
    assert f"measured in run {first} (greeter and steady, 12 examples)" in out


@pytest.mark.timeout(120)
def test_a_planted_regression_fails_the_gate_and_compare_shows_it(
    tmp_path: Path, greet: Path
) -> None:
    before = run(tmp_path, "good")
    after = run(tmp_path, "bad", "--no-cache")

    result = fieldeval(
        tmp_path, "gate", "--baseline", before, "--junit", "gate.xml", "--json", "gate.json"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(f"FAIL  greet: run {after} against baseline {before}")
    assert "error: gate failed" in result.stderr
    assert "Traceback" not in result.stderr
    suite = ET.parse(tmp_path / "gate.xml").getroot()
    assert suite.tag == "testsuite" and suite.get("name") == "fieldeval gate"
    failed = {
        (case.get("classname"), case.get("name"))
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }
    assert ("fieldeval.greeter", "regression") in failed
    assert all(classname != "fieldeval.steady" for classname, _ in failed)
    gate = json.loads((tmp_path / "gate.json").read_text())
    assert gate["passed"] is False
    assert any(f["failing"] and f["candidate_id"] == "greeter" for f in gate["findings"])

    result = fieldeval(tmp_path, "compare", before, after)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("regressed e02") < out.index("fixed     e12")  # regressions first
    flip = out[out.index("regressed e02") : out.index("regressed e03")]
    assert "hello bob  ✓ passed" in flip  # the output before
    # The output after, printed as text (no tag, no markup, no markup error), its failed check.
    assert f"{SCRIPT}  ✗ starts_with" in flip

    result = fieldeval(tmp_path, "compare", before, after, "--json", "-")
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)["comparison"]
    greeter = next(c for c in comparison["candidates"] if c["candidate_id"] == "greeter")
    assert greeter["flips"][0]["direction"] == "regressed"
    assert greeter["flips"][0]["after"]["text"] == SCRIPT


@pytest.mark.timeout(120)
def test_an_unchanged_bot_passes_the_gate_by_default(tmp_path: Path, greet: Path) -> None:
    before = run(tmp_path, "good")
    after = run(tmp_path, "good", "--no-cache")
    # No --baseline and no --run: the latest finished run against the one before it.
    result = fieldeval(tmp_path, "gate", "--junit", "gate.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"PASS  greet: run {after} against baseline {before}")
    suite = ET.parse(tmp_path / "gate.xml").getroot()
    assert suite.get("failures") == "0"
    assert len(list(suite.iter("testcase"))) == 6  # 2 candidates × 3 cases

    # Every example's output is as long as before: a change with no spread has no interval.
    compared = fieldeval(tmp_path, "compare", before, after)
    assert compared.returncode == 0, compared.stderr
    tokens = [line for line in compared.stdout.splitlines() if line.startswith("│ tokens out")]
    assert tokens and all("+0 on every example (no interval)" in line for line in tokens), (
        compared.stdout
    )


@pytest.mark.timeout(120)
def test_the_gate_says_what_it_could_not_judge(tmp_path: Path, greet: Path) -> None:
    """The audit: `gate` did not mention a dropped candidate or a changed dataset."""
    before = run(tmp_path, "good")
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        suite.read_text().replace(
            '  - {id: steady, provider: python, function: "bot:steady"}\n', ""
        )
    )
    data = tmp_path / "data.csv"
    data.write_text(
        "\n".join(data.read_text().splitlines()[:-2]) + "\ne99,zed\n"
    )  # 10 kept, 2 gone, 1 new
    after = run(tmp_path, "good", "--no-cache")
    result = fieldeval(tmp_path, "gate", "--baseline", before, "--run", after)
    out = " ".join(result.stdout.split())
    assert "not gated: steady ran in the baseline but not in this run" in out
    assert "the dataset changed since the baseline" in out
    assert "10 examples in both are paired, 2 only in the baseline and 1 only in this run" in out


def test_show_pairs_the_candidates(tmp_path: Path, greet: Path) -> None:
    first = run(tmp_path, "good")
    result = fieldeval(tmp_path, "show", first)
    assert result.returncode == 0, result.stderr
    assert "greeter − steady" in result.stdout


def test_unknown_runs_are_user_errors(tmp_path: Path, greet: Path) -> None:
    first = run(tmp_path, "good")
    for args in (("compare", "nope", first), ("gate", "--baseline", "nope"), ("gate",)):
        result = fieldeval(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("error: "), args
        assert "Traceback" not in result.stderr


def test_flaky_examples_are_listed_least_stable_first() -> None:
    from rich.console import Console

    from fieldeval.report.terminal import render_flaky
    from fieldeval.results.repeats import Stability

    console = Console(record=True, width=100)
    stabilities = [
        Stability("bot", "steady", passes=3, runs=3),
        Stability("bot", "[red]almost", passes=2, runs=3),  # ids are data: never markup
        Stability("bot", "coin", passes=1, runs=2),
    ]
    render_flaky(stabilities, 3, console)
    text = console.export_text()
    assert "flaky examples: 2 passed in some of 3 repeats" in text
    assert text.index("coin") < text.index("[red]almost")
    assert "steady" not in text
