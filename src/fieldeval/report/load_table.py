"""A load test in the terminal: a line per level as it ends, then the table and the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.load.metrics import Distribution, LevelMetrics
from fieldeval.load.session import LoadResult
from fieldeval.load.verdict import by_load, verdict
from fieldeval.notation import duration, number
from fieldeval.stats.intervals import Rate

# Below this many requests a p95 rests on the one or two slowest, so the table says so.
FEW_REQUESTS = 20


def level_line(metrics: LevelMetrics) -> Text:
    """The line printed as each level ends."""
    mark = (
        ("✗ targets missed", "red")
        if metrics.misses_targets
        else ("✓ targets met", "green")
        if metrics.meets_targets
        else ("? too few requests to tell", "yellow")
    )
    line = Text.assemble(
        (metrics.label, "bold"),
        f": {metrics.requests} requests, {metrics.errors} errors, "
        f"TTFT p95 {duration(metrics.ttft.p95)}, E2E p95 {duration(metrics.e2e.p95)}, "
        f"{number(metrics.request_throughput)} req/s  ",
        mark,
    )
    if metrics.client_bound:
        line.append("  ⚠ client-bound", style="yellow")
    return line


def render_load(result: LoadResult, console: Console) -> None:
    """The table of every level run, then which load meets the targets and where it breaks."""
    sweep = result.sweep
    if not sweep.levels:
        console.print(f"load run {result.info.id} has no finished level", style="yellow")
        return
    console.print(_latency_table(result))
    scheduled = _scheduled_table(result)
    if scheduled is not None:
        console.print(scheduled)
    console.print(_throughput_table(result))
    bound = [m.label for m in sweep.levels if m.client_bound]
    on_uvloop = result.spec.event_loop == "uvloop"
    if bound:
        console.print(
            f"[yellow]⚠ client-bound[/] at {', '.join(bound)}: the load generator's own delays "
            "(event-loop lag or CPU) are part of these latencies; run it on a bigger machine "
            "or spread the load (--workers)"
            + ("" if on_uvloop else ", or on uvloop (--event-loop uvloop: less CPU per event)"),
            soft_wrap=True,
        )
    if on_uvloop:
        console.print("the client ran on uvloop's event loop", style="dim")
    few = [m.label for m in sweep.levels if m.requests < FEW_REQUESTS]
    if few:
        console.print(
            f"[yellow]⚠ few requests[/] at {', '.join(few)} (under {FEW_REQUESTS} in the steady "
            "window): their p95 and p99 are close to the maximum; a longer --duration gives more",
            soft_wrap=True,
        )
    console.print(verdict(sweep), soft_wrap=True)
    if sweep.refined:
        console.print(
            f"refined by {sweep.refined} level{'s' if sweep.refined > 1 else ''} bisecting "
            "between the best level and the knee",
            style="dim",
        )
    if result.stopped_early:
        console.print(
            f"stopped at the first level shown to miss a target ({len(sweep.levels)} of "
            f"{len(result.planned)} levels run); --all-levels runs them all",
            style="dim",
        )
    elif result.info.status != "finished":
        console.print(f"the load run is {result.info.status}", style="yellow")


def _latency_table(result: LoadResult) -> Table:
    table = Table(
        title=f"{result.info.candidate_id} under load: latency in ms over each steady window",
        title_justify="left",
        caption="TTFT = to the first token; ITL = every gap between chunks, pooled; "
        "TPOT = decode time per output token after the first; E2E = to the end of the answer. "
        "targets: ✓ shown met (the 95% interval within each), ✗ shown missed, ? too few "
        "requests to tell.",
        caption_justify="left",
    )
    table.add_column("level")
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    for metric in ("TTFT", "ITL", "TPOT", "E2E"):
        quantiles = ("p95",) if metric in ("ITL", "TPOT") else ("p50", "p95", "p99")
        for quantile in quantiles:
            table.add_column(f"{metric}\n{quantile}", justify="right", no_wrap=True)
    table.add_column("targets", justify="center", no_wrap=True)
    for metrics in by_load(result):
        table.add_row(
            _label(metrics),
            str(metrics.requests),
            Text(str(metrics.errors), style="red" if metrics.errors else "dim"),
            *_percentiles(metrics.ttft),
            number(metrics.itl_pooled.p95),
            number(metrics.tpot.p95),
            *_percentiles(metrics.e2e),
            _mark(metrics),
        )
    return table


def _scheduled_table(result: LoadResult) -> Table | None:
    """Open loop: latency from when each request was due, not from when it got sent."""
    levels = [m for m in by_load(result) if m.e2e_scheduled is not None]
    if not levels:
        return None
    replay = result.spec.replay
    title = "latency in ms from each request's scheduled send time"
    if replay is not None:
        title += f" (replay of {replay.since} – {replay.until}, {replay.scale:g}x)"
    table = Table(
        title=title,
        title_justify="left",
        caption="what a user arriving on schedule waited: any queue before the request was "
        "sent (the concurrency cap, a busy client) included, which latency from the send "
        "hides (coordinated omission). queued = scheduled → sent.",
        caption_justify="left",
    )
    table.add_column("level")
    for header in ("TTFT\np50", "TTFT\np95", "E2E\np50", "E2E\np95", "E2E\np99", "queued\np95"):
        table.add_column(header, justify="right", no_wrap=True)
    for metrics in levels:
        assert metrics.e2e_scheduled is not None and metrics.ttft_scheduled is not None
        table.add_row(
            _label(metrics),
            number(metrics.ttft_scheduled.p50),
            number(metrics.ttft_scheduled.p95),
            *_percentiles(metrics.e2e_scheduled),
            number(metrics.wait_at_cap.p95),
        )
    return table


def _mark(metrics: LevelMetrics) -> Text:
    if metrics.misses_targets:
        return Text("✗", style="bold red")
    return Text("✓", style="green") if metrics.meets_targets else Text("?", style="yellow")


def _throughput_table(result: LoadResult) -> Table:
    table = Table(
        title="throughput per second over each steady window",
        title_justify="left",
        caption="sent = requests started (open loop: / the rate asked); done = answered; "
        "good = answered within every latency target [95% Wilson interval].",
        caption_justify="left",
    )
    table.add_column("level")
    for header in ("sent", "done", "output tokens", "goodput", "good"):
        table.add_column(header, justify="right", no_wrap=True)
    for metrics in by_load(result):
        tokens = ("~" if metrics.tokens_estimated else "") + number(metrics.output_token_throughput)
        table.add_row(
            _label(metrics),
            _sent(metrics),
            number(metrics.request_throughput),
            tokens,
            number(metrics.goodput),
            _good(metrics.good_fraction),
        )
    return table


def _label(metrics: LevelMetrics) -> Text:
    label = Text(metrics.label)
    if metrics.client_bound:
        label.append(" ⚠", style="yellow")
    return label


def _sent(metrics: LevelMetrics) -> str:
    """Requests sent per second; an open loop's against the rate it was asked for."""
    achieved = number(metrics.achieved_rate)
    return achieved if metrics.target_rate is None else f"{achieved}/{number(metrics.target_rate)}"


def _percentiles(distribution: Distribution) -> tuple[str, str, str]:
    return number(distribution.p50), number(distribution.p95), number(distribution.p99)


def _good(rate: Rate) -> Text:
    if rate.n == 0:
        return Text("–", style="dim")
    return Text.assemble(
        f"{100 * rate.k / rate.n:.0f}% ",
        (f"[{100 * rate.low:.0f}–{100 * rate.high:.0f}]", "dim"),
    )
