"""`fieldeval drift` and `fieldeval coverage` in the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.notation import p_value, truncate
from fieldeval.production.coverage import CoverageReport
from fieldeval.production.drift import DriftReport


def render_drift(report: DriftReport, console: Console, *, saved: Path | None) -> None:
    table = Table(
        title=f"drift: {report.baseline} baseline records against {report.later} later",
        title_justify="left",
        caption=f"p Holm-adjusted across the {len(report.tests)} tests;"
        f" drift at p < {report.alpha}",
        caption_justify="left",
    )
    for column in ("test", "statistic", "p", "drift", "what moved most"):
        table.add_column(column)
    for test in report.tests:
        table.add_row(
            Text(test.name),
            test.statistic,
            p_value(test.adjusted_p),
            Text("yes", style="bold red") if test.drifted else Text("no", style="green"),
            Text(test.detail),
        )
    console.print(table)
    verdict = "traffic has drifted" if report.drifted else "no drift the data supports"
    console.print(Text(verdict, style="bold red" if report.drifted else "green"))
    if report.new_against_evalset is not None:
        console.print(
            Text(f"{report.new_against_evalset} later inputs are unlike every eval-set input")
        )
    for number, cluster in enumerate(report.clusters, 1):
        languages = ", ".join(f"{code} {count}" for code, count in cluster.languages.items())
        console.print(
            Text(
                f"new cluster {number}: {cluster.size} inputs ({100 * cluster.share:.1f}% of the"
                f" later period; {languages}), e.g. "
                + " | ".join(repr(truncate(text, 80)) for text in cluster.inputs)
            ),
            soft_wrap=True,
        )
        ids = (saved or Path("drift")) / f"cluster-{number}.ids"
        prefix = "" if saved else f"rerun with --save-clusters {ids.parent}, then "
        console.print(
            Text(
                f"  to add examples of it: {prefix}fieldeval sample --ids {ids} --n 20"
                f" --out cluster-{number}.jsonl",
                style="dim",
            ),
            soft_wrap=True,
        )


def render_coverage(report: CoverageReport, console: Console) -> None:
    table = Table(
        title=f"coverage: {report.examples} eval-set examples against {report.records}"
        " production calls",
        title_justify="left",
        caption=(
            "MDE: the smallest difference between two candidates' pass rates the stratum's"
            f" examples detect (paired, 80% power, α = 0.05, at a {100 * report.pass_rate:.0f}%"
            f" pass rate); too few: none up to {100 * report.max_mde:.0f} points"
        ),
        caption_justify="left",
    )
    for column in ("stratum", "calls", "share", "examples", "MDE", "status"):
        table.add_column(column)
    styles = {"missing": "bold red", "too few": "yellow", "covered": "green"}
    for stratum in report.strata:
        mde = "–" if stratum.mde is None else f"{100 * stratum.mde:.0f} points"
        table.add_row(
            Text(stratum.name),
            str(stratum.calls),
            f"{100 * stratum.share:.1f}%",
            str(stratum.examples),
            mde,
            Text(stratum.status, style=styles[stratum.status]),
        )
    console.print(table)
    console.print(
        Text(
            f"{100 * report.uncovered_share:.1f}% of production calls fall in strata the eval set"
            " is missing or has too few examples of"
        )
    )
