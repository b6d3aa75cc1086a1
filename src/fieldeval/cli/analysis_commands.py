"""`plan`, `compare` and `gate`: the commands that read runs as evidence."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from fieldeval.cli.console import console, count
from fieldeval.errors import GateFailed, UserError

if TYPE_CHECKING:
    from fieldeval.records.run import StoredOutput

STDOUT = "-"  # `--json -`: the JSON alone on stdout, for piping into jq
DEFAULT_PASS_RATE = 0.8  # `power.plan`'s default; ψ is derived from it before planning


def plan(
    suite_path: Path,
    *,
    pass_rate: float | None,
    discordance: float | None,
    target: float | None,
    from_run: str | None,
    db: str | None,
) -> None:
    from fieldeval.data.dataset import load_dataset
    from fieldeval.report.plan import describe_assumptions, describe_plan
    from fieldeval.stats import power
    from fieldeval.suite.loader import load_suite

    for name, value in (("--pass-rate", pass_rate), ("--discordance", discordance)):
        if value is not None and not 0 < value < 1:
            raise UserError(f"{name} must be between 0 and 1, got {value}", hint="e.g. 0.8")
    if target is not None and not 0 < target < 1:
        raise UserError(
            f"--target must be between 0 and 1, got {target}",
            hint="a difference in pass rate as a fraction: 0.1 for 10 points",
        )
    loaded = load_suite(suite_path)
    n = len(load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir))
    pass_rate_from = (
        "--pass-rate"
        if pass_rate is not None
        else "the default; set it with --pass-rate, or measure it with --from-run"
    )
    discordance_from = (
        "--discordance"
        if discordance is not None
        else "2p(1−p), as if they failed independently; if they fail the same examples "
        "they disagree less, and smaller differences become detectable"
    )
    if from_run is not None:
        measured_pass_rate, measured_discordance, source = _measure(from_run, db=db)
        if pass_rate is None:
            pass_rate, pass_rate_from = measured_pass_rate, f"measured in {source}"
        if discordance is None:
            discordance, discordance_from = measured_discordance, f"measured in {source}"
    rate = DEFAULT_PASS_RATE if pass_rate is None else pass_rate
    psi = power.discordance_from_pass_rate(rate) if discordance is None else discordance
    if target is not None and target > psi:
        raise UserError(
            f"--target {target} is more than the share of examples the candidates are expected "
            f"to disagree on ({psi:.2f})",
            hint="two candidates can differ only where they disagree: lower --target, "
            "or set --discordance",
        )
    try:
        result = power.plan(n, pass_rate=rate, discordance=psi, target=target)
    except ValueError as error:  # a measured pass rate of 0 or 1: nothing varies to plan with
        raise UserError(str(error), hint="set --pass-rate strictly between 0 and 1") from None
    console.print(
        Text(
            describe_assumptions(
                result, pass_rate_from=pass_rate_from, discordance_from=discordance_from
            ),
            style="dim",
        )
    )
    for line in describe_plan(result):
        console.print(Text(line))


def compare(before_id: str, after_id: str, *, json_path: str | None, db: str | None) -> None:
    from fieldeval.report.comparison import render_comparison
    from fieldeval.report.export import comparison_json
    from fieldeval.results.compare import compare_runs
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        before, after = store.run(before_id), store.run(after_id)
        if before.id == after.id:
            raise UserError(f"{before_id!r} and {after_id!r} are the same run {before.id}")
        comparison = compare_runs(store, before.id, after.id)
    finally:
        store.close()
    if json_path is not None:
        _write(json_path, comparison_json(comparison))
    if json_path != STDOUT:
        render_comparison(comparison, console)


def gate(
    *,
    baseline: str | None,
    run: str | None,
    suite_path: Path | None,
    junit_path: Path | None,
    json_path: str | None,
    db: str | None,
) -> None:
    import fieldeval
    from fieldeval.report.comparison import render_gate
    from fieldeval.report.export import gate_json
    from fieldeval.report.junit import gate_junit

    gating = fieldeval.gate(db=db, run=run, baseline=baseline, suite=suite_path)
    result = gating.result
    if junit_path is not None:
        _write(str(junit_path), gate_junit(result))
    if json_path is not None:
        _write(json_path, gate_json(result))
    if json_path != STDOUT:
        render_gate(result, console)
    if not result.passed:
        failing = sum(f.failing for f in result.findings)
        raise GateFailed(
            f"gate failed: {count(failing, 'finding')} against baseline {gating.baseline.id}",
            hint=f"`fieldeval compare {gating.baseline.id} {gating.run.id}` shows what flipped",
        )


def _measure(run_id: str, *, db: str | None) -> tuple[float, float, str]:
    """Pass rate and discordance of a run's first two candidates, on examples both answered."""
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        info = store.run(run_id)
        outputs = store.outputs(info.id)
    finally:
        store.close()
    if len(info.candidates) < 2:
        raise UserError(
            f"run {info.id} has {count(len(info.candidates), 'candidate')}: "
            "--from-run needs two to measure how often they disagree",
            hint="pass --pass-rate (and --discordance) instead",
        )
    a, b = info.candidates[:2]
    pairs = _paired_passes(outputs, a, b)
    if not pairs:
        raise UserError(f"run {info.id}: no example answered by both {a} and {b}")
    pass_rate = sum(x + y for x, y in pairs) / (2 * len(pairs))
    discordance = sum(x != y for x, y in pairs) / len(pairs)
    return pass_rate, discordance, f"run {info.id} ({a} and {b}, {count(len(pairs), 'example')})"


def _paired_passes(outputs: Sequence[StoredOutput], a: str, b: str) -> list[tuple[bool, bool]]:
    # The first repeat only: with --repeat K the repeats are not independent examples.
    passed = {(o.candidate_id, o.example_id): o.passed for o in outputs if o.ok and o.repeat == 0}
    return [(p, passed[b, e]) for (c, e), p in passed.items() if c == a and (b, e) in passed]


def _write(path: str, text: str) -> None:
    if path == STDOUT:
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror}") from None
