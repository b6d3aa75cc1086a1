"""Edge cases as terminal tables (rich): rates per generator and candidate, then the worst."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.edges.rates import ALL, EdgeReport, EdgeRow
from fieldeval.edges.run_grading import EdgeGradingReport
from fieldeval.edges.turn_results import TurnRow
from fieldeval.notation import number
from fieldeval.stats.intervals import Rate

MAX_WORST_SHOWN = 5
EXCERPT_SHOWN = 160


def render_edges(report: EdgeReport, console: Console) -> None:
    """One table per candidate, its total last; then the catastrophic replies to read first."""
    console.print(
        Text(
            f"edge cases: {report.variants} variants of {report.seeds} clean examples"
            " (rates over graded replies, 95% Wilson intervals)"
        )
    )
    candidates = list(dict.fromkeys(row.candidate_id for row in report.totals))
    for candidate in candidates:
        total = next(row for row in report.totals if row.candidate_id == candidate)
        console.print(_table(candidate, [*report.rows_of(candidate), total], width=console.width))
    if report.turns:
        render_turns(report.turns, console)
    for warning in report.warnings:
        console.print(Text(f"judge: {warning}"), style="yellow")
    for note in report.notes:
        console.print(Text(f"not measured: {note}"), style="yellow")
    if report.worst:
        console.print(Text("catastrophic replies to read first", style="bold"))
        for excerpt in report.worst[:MAX_WORST_SHOWN]:
            console.print(
                Text.assemble(
                    (f"{excerpt.kind}", "bold red"),
                    f" {excerpt.candidate_id} on {excerpt.example_id}"
                    f" (repeat {excerpt.repeat}, {excerpt.oracle}): {excerpt.reason}",
                )
            )
            console.print(Text(f"    input:  {_line(excerpt.input)}"), style="dim")
            console.print(Text(f"    output: {_line(excerpt.output)}"))
        if len(report.worst) > MAX_WORST_SHOWN:
            console.print(
                f"… and {len(report.worst) - MAX_WORST_SHOWN} more in `fieldeval report`",
                style="dim",
            )


def render_edge_grading(report: EdgeGradingReport, console: Console, *, earlier: int = 0) -> None:
    """One line on what grading the edge replies did now (`earlier`: outcomes stored by an
    earlier grading, which the table below also counts), and why some are ungraded."""
    oracles = ", ".join(f"{name} {k}" for name, k in sorted(report.by_oracle.items()))
    line = f"edge grading: {report.graded} replies graded now" + (
        f" ({oracles})" if oracles else ""
    )
    if earlier:
        line += f"; {earlier} graded earlier are kept, and counted below"
    if report.clean_checked:
        line += (
            f"; {report.clean_checked} clean replies checked for over-refusal,"
            f" {report.over_refusals} refused"
        )
    console.print(Text(line))
    left = report.undecided + report.unpaired
    if left:
        why = (
            "no judge: the suite has none, or --no-judge; `fieldeval edges SUITE` grades them"
            if report.judge is None
            else "the judge gave no usable answer, or there was no clean reply to pair with"
        )
        console.print(Text(f"  not graded: {left} ({why})"), style="yellow")
    if report.no_output:
        console.print(Text(f"  {report.no_output} variant calls failed: nothing to grade"))
    judge = report.judge
    if judge is not None:
        cost = "no price set" if judge.cost_usd is None else number(judge.cost_usd, "$")
        console.print(
            Text(
                f"  judge {judge.judge_id}: {judge.calls} calls ({judge.cached} from the cache),"
                f" {judge.failed} failed; cost {cost}"
            )
        )
        for failure in judge.failures[:3]:
            console.print(Text(f"  failed: {failure}"), style="yellow")


# Below this width a row's expectation goes under its generator's name and a rate wraps
# after its count ("36% 5/14" over "[16–61%]"): the audit saw every cell cut to "…" at 100.
NARROW = 130


def _table(candidate: str, rows: list[EdgeRow], *, width: int) -> Table:
    narrow = width < NARROW
    table = Table(
        title=Text(f"edge cases of {candidate}"),
        title_justify="left",
        collapse_padding=narrow,
        pad_edge=not narrow,
    )
    names = [row.generator for row in rows] + [row.expect for row in rows if narrow]
    table.add_column("generator", min_width=max(len(name) for name in names), no_wrap=True)
    if not narrow:
        table.add_column("expects")
    table.add_column("n", justify="right", no_wrap=True)
    for name in ("correct", "graceful", "catas-\ntrophic" if narrow else "catastrophic"):
        table.add_column(name, justify="right", min_width=9)
    table.add_column("ungraded", justify="right", min_width=8)
    table.add_column("clean pass", justify="right", min_width=9)
    table.add_column("clean refused", justify="right", min_width=9)
    for row in rows:
        total = row.generator == ALL
        cell = Text(row.generator, style="bold" if total else "")
        expects = Text(row.expect.replace("_", " "))
        if narrow and row.expect:
            cell.append(Text.assemble("\n", (row.expect.replace("_", " "), "dim")))
        table.add_row(
            cell,
            *([] if narrow else [expects]),
            str(row.replies),
            rate_text(row.correct),
            rate_text(row.graceful),
            rate_text(row.catastrophic, bad=True),
            _ungraded(row),
            rate_text(row.clean_pass),
            rate_text(row.over_refusal, bad=True) if row.over_refusal else Text("–", "dim"),
            end_section=total,
        )
    return table


def render_turns(rows: tuple[TurnRow, ...], console: Console) -> None:
    """Conversations replayed turn by turn: how many held, and the first broken turns."""
    table = Table(
        title=Text("conversations replayed turn by turn (fixed history)"), title_justify="left"
    )
    table.add_column("candidate")
    table.add_column("replayed", justify="right", no_wrap=True)
    table.add_column("turns checked", justify="right", no_wrap=True)
    table.add_column("held every turn", justify="right", no_wrap=True)
    table.add_column("first broken turn", no_wrap=False)
    table.add_column("errors", justify="right", no_wrap=True)
    for row in rows:
        median = row.median_first_broken
        broken = (
            f"median {median:g}: {', '.join(map(str, row.first_broken))}"
            if median is not None
            else "–"
        )
        table.add_row(
            Text(row.candidate_id),
            str(row.replayed),
            str(row.turns),
            rate_text(row.held),
            Text(broken),
            str(row.errors),
        )
    console.print(table)


def rate_text(rate: Rate, *, bad: bool = False) -> Text:
    """`67% 4/6 [30–90%]`; a dash when nothing was graded."""
    if rate.n == 0:
        return Text("–", style="dim")
    style = "bold red" if bad and rate.k else "bold"
    return Text.assemble(
        (f"{100 * rate.k / rate.n:.0f}%", style),
        f" {rate.k}/{rate.n} ",
        (f"[{100 * rate.low:.0f}–{100 * rate.high:.0f}%]", "dim"),
    )


def _ungraded(row: EdgeRow) -> Text:
    parts = []
    if row.ungraded:
        parts.append(str(row.ungraded))
    if row.errors:
        parts.append(f"{row.errors} errors")
    return Text(", ".join(parts) or "0", style="yellow" if parts else "")


def _line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_SHOWN else flat[: EXCERPT_SHOWN - 1] + "…"
