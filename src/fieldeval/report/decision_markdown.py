"""The decision report as GitHub-flavoured Markdown, for a pull request: tables, no charts.

Text from the dataset or a model goes through `untrusted` (`markdown_text`), which leaves no
Markdown or HTML in it: an output cannot add a link, an image, a script or a table cell to
the comment. The edge-case section is written by `decision_edges_markdown`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fieldeval.decision.evidence import Decision, NotMeasured
from fieldeval.decision.latency import LatencyLevel, LatencyUnderLoad
from fieldeval.decision.recommendation import pct
from fieldeval.files import write_atomically
from fieldeval.notation import duration, p_value, points
from fieldeval.report.abstention import abstention_markdown
from fieldeval.report.classification import classification_markdown
from fieldeval.report.decision_edges_markdown import edges_markdown
from fieldeval.report.markdown_text import plain, untrusted
from fieldeval.report.markdown_text import rate_cell as _rate
from fieldeval.report.markdown_text import table as _table
from fieldeval.report.markdown_text import usd_interval as _usd_interval
from fieldeval.report.markdown_text import usd_text as _usd
from fieldeval.report.production import production_markdown
from fieldeval.report.rubric import estimate_text
from fieldeval.report.slices import slices_markdown
from fieldeval.stats.intervals import ExampleRate, Proportion

MAX_EXCERPTS = 8
_PARETO_HEADERS = (
    "Candidate",
    "Pass rate [95%]",
    "Per 1,000 requests",
    "Frontier",
    "Not separable from",
)
_SEPARABLE = {True: "a difference the data supports", False: "which this data cannot separate"}


def write_decision_markdown(decision: Decision, path: Path) -> None:
    write_atomically(path, decision_markdown(decision))


def decision_markdown(decision: Decision) -> str:
    """The report's sections, in the HTML report's order."""
    d = decision
    parts = [
        f"# Decision report: {plain(d.suite_name)}",
        f"Run {plain(d.data.run_id)} of {d.data.started_at:%Y-%m-%d %H:%M} UTC. Every interval "
        "is 95%; every comparison between candidates is paired on the same examples.",
        *_summary(d),
        "## The task",
        "> " + untrusted(d.description),
        *_data(d),
        *_quality(d),
        *_failures(d),
        *(["## Edge cases", _not_measured(d.edges)] if d.edges else []),
        *(edges_markdown(d.edge_cases) if d.edges is None and d.edge_cases else []),
        *_latency(d),
        *_cost(d),
        *_leaderboards(d),
        *_recommendation(d),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _summary(d: Decision) -> list[str]:
    rec = d.recommendation
    lines = [f"> **{plain(rec.sentence)}**"]
    if rec.caveats:
        lines.append("**Caveats**\n\n" + _bullets(plain(c) for c in rec.caveats))
    return lines


def _data(d: Decision) -> list[str]:
    data = d.data
    rows = [
        ["Examples", str(data.examples)],
        ["Dataset", f"{untrusted(data.dataset_path)}, version {data.dataset_hash[:16]}"],
        ["Run", f"{plain(data.run_id)}, {data.status}"],
        ["Outputs", f"{data.outputs}" + (f" ({data.missing} missing)" if data.missing else "")],
    ]
    if data.repeats > 1:
        rows.append(["Repeats per example", str(data.repeats)])
    parts = ["## The data", _table(["", ""], rows, right=(1,))]
    if data.slices:
        parts.append(
            _table(
                ["Slice", "Value", "Examples"],
                [[untrusted(s.name), untrusted(s.value), str(s.examples)] for s in data.slices],
                right=(2,),
            )
        )
    parts.append(plain(d.power.sentence))
    return parts


def _quality(d: Decision) -> list[str]:
    rec = d.recommendation
    rows = []
    for cid in d.candidate_ids:
        c = d.quality(cid)
        mark = " (recommended)" if cid == rec.candidate_id else ""
        rows.append(
            [
                plain(cid) + mark,
                pct(c.quality.value),
                _interval(c.quality),
                f"{c.pass_rate.k}/{c.pass_rate.n}",
                str(c.error_count),
            ]
        )
    parts = [
        "## Quality",
        _table(
            ["Candidate", "Pass rate", "95% interval", "Passed / answered", "Errors"],
            rows,
            right=(1, 3, 4),
        ),
    ]
    repeated = [d.quality(cid).quality for cid in d.candidate_ids]
    if any(isinstance(rate, ExampleRate) for rate in repeated):
        parts.append(
            "The unit is the example: a pass rate is the mean over examples of each one's "
            "share of passing outputs, its interval Wilson's on the effective number of "
            "examples (docs/statistics.md)."
        )
    if d.pairs:
        parts.append(
            _table(
                ["Pair", "n", "Difference (points)", "95% interval", "p (Holm)", "Verdict"],
                [
                    [
                        f"{plain(p.a)} − {plain(p.b)}",
                        str(p.paired.n),
                        points(p.paired.difference),
                        f"{points(p.paired.low)} to {points(p.paired.high)}",
                        p_value(p.adjusted_p),
                        plain(p.named_verdict),
                    ]
                    for p in d.pairs
                ],
                right=(1, 2, 4),
            )
        )
    if d.production is not None:
        parts += ["### Estimated for production traffic", production_markdown(d.production)]
    if d.slices:
        parts.append(slices_markdown(d.slices, d.candidate_ids))
    if d.classification is not None:
        parts += ["### Classification", classification_markdown(d.classification)]
    if d.abstention is not None:
        parts += ["### Answers and abstentions", abstention_markdown(d.abstention)]
    unmeasured = [_not_measured(item) for item in d.not_measured if item.what == "rubric"]
    if unmeasured:
        parts += ["### Rubric", *unmeasured]
    if d.rubric:
        parts.append("### Rubric")
        parts.append(
            _table(
                ["Criterion", "Candidate", "Graded by", "Pass rate [95%] (passed/graded)"],
                [
                    [plain(r.criterion_id), plain(r.candidate_id), r.source, _rate(r.rate)]
                    for r in d.rubric
                ],
            )
        )
    return parts


def _interval(rate: Proportion) -> str:
    if not rate.has_interval:
        return "no interval"
    return f"{pct(rate.low)}–{pct(rate.high)}"


def _failures(d: Decision) -> list[str]:
    parts = ["## Failures and their severity"]
    found = [item for item in d.not_measured if item.what == "failure modes"]
    parts += [_not_measured(item) for item in found]
    if d.failures is None:
        return parts
    rows = [
        [
            plain(c.candidate_id),
            str(c.n),
            _rate(c.failed),
            estimate_text(c.weighted),
            _rate(c.graceful),
            _rate(c.serious),
            _rate(c.catastrophic),
        ]
        for c in d.failures.candidates
    ]
    headers = ["Candidate", "Examples", "Any failure", "Weighted [95%]", "Graceful", "Serious"]
    parts.append(_table([*headers, "Catastrophic"], rows, right=(1,)))
    candidates = d.failures.candidates
    parts.append(
        _table(
            ["Failure mode", "Severity", *(plain(c.candidate_id) for c in candidates)],
            [
                [plain(mode.id), mode.severity, *(_rate(c.modes[i].rate) for c in candidates)]
                for i, mode in enumerate(d.failures.modes)
            ],
        )
    )
    if d.look_first:
        parts.append("### Read these first")
        parts.append(
            _table(
                ["Candidate", "Example", "Worst failure", "Why", "Input", "Output"],
                [
                    [
                        plain(e.candidate_id),
                        untrusted(e.example_id),
                        e.severity,
                        plain(e.reason),
                        untrusted(e.input),
                        untrusted(e.output),
                    ]
                    for e in d.look_first[:MAX_EXCERPTS]
                ],
            )
        )
    return parts


def _latency(d: Decision) -> list[str]:
    parts = ["## Latency under load"]
    for cid, lat in d.latency:
        parts.append(f"### {plain(cid)}")
        if lat is None:
            wanted = f"latency under load of {cid}"
            parts += [_not_measured(item) for item in d.not_measured if item.what == wanted]
        else:
            parts += _load_table(lat)
    return parts


def _targets_cell(level: LatencyLevel) -> str:
    if level.misses_targets:
        return "missed: " + plain(", ".join(level.missed))
    if level.meets_targets:
        return "met"
    return "not shown: " + plain(", ".join(level.not_shown))


def _load_table(lat: LatencyUnderLoad) -> list[str]:
    rows = [
        [
            plain(level.label),
            str(level.requests),
            str(level.errors),
            duration(level.ttft_p50_ms),
            duration(level.ttft_p95_ms),
            duration(level.e2e_p50_ms),
            duration(level.e2e_p95_ms),
            _targets_cell(level),
        ]
        for level in lat.levels
    ]
    headers = ["Load", "Requests", "Errors", "TTFT p50", "TTFT p95", "E2E p50", "E2E p95"]
    return [
        plain(lat.verdict),
        _table([*headers, "Targets"], rows, right=(1, 2, 3, 4, 5, 6)),
        f"Load run {plain(lat.load_run_id)} ({lat.status}).",
    ]


def _cost(d: Decision) -> list[str]:
    volume = d.volume
    month = f"A month at {volume.requests_per_month:,} requests" if volume else "A month"
    rows = []
    for c in d.cost.candidates:
        if c.price is None:
            rows.append([plain(c.candidate_id), "no price", "–", "–", "–"])
            continue
        thousand = "–"
        if c.per_request is not None:
            r = c.per_request
            thousand = _usd_interval(r, scale=1000)
        monthly = "–"
        if c.monthly is not None:
            monthly = _usd_interval(c.monthly.total)
        estimate = " (estimate)" if c.estimated else ""
        rows.append(
            [
                plain(c.candidate_id),
                plain(c.price.describe()) + estimate,
                thousand,
                _usd(c.total_usd),
                monthly,
            ]
        )
    parts = [
        "## Cost",
        _table(
            ["Candidate", "Price", "Per 1,000 requests [95%]", "This run", f"{month} [95%]"],
            rows,
            right=(2, 3, 4),
        ),
    ]
    parts += [_not_measured(item) for item in d.not_measured if item.what.startswith("cost of")]
    parts += [_not_measured(item) for item in d.not_measured if item.what == "monthly cost"]
    priced = [p for p in d.pareto if p.cost is not None]
    if priced:
        parts.append("### Quality against cost")
        rows = [
            [
                plain(p.candidate_id),
                _rate(p.quality),
                _usd(1000 * (p.cost or 0.0)),
                "yes" if p.frontier else "no",
                plain(", ".join(p.ties)) or "–",
            ]
            for p in priced
        ]
        parts.append(_table(_PARETO_HEADERS, rows))
    if d.trade_offs:
        parts.append(_bullets(plain(t.sentence) for t in d.trade_offs))
    return parts


def _leaderboards(d: Decision) -> list[str]:
    parts = ["## Public leaderboards against this task"] if d.rankings else []
    for r in d.rankings:
        board = r.leaderboard
        parts.append(f"### {untrusted(board.name)}")
        if board.source:
            parts.append(untrusted(board.source))
        rows = [
            [
                plain(cid),
                f"{board.scores[cid]:g}",
                f"{r.public_rank[cid]:g}",
                f"{r.own_rank[cid]:g}",
                _rate(d.quality(cid).quality),
            ]
            for cid in r.candidates
        ]
        headers = ["Candidate", "Public score", "Public rank", "Rank here", "Pass rate here"]
        parts.append(_table(headers, rows, right=(1, 2, 3)))
        tau, rho = (_signed(r.kendall_tau), _signed(r.spearman_rho))
        parts.append(f"Rank correlation: Kendall's τ {tau}, Spearman's ρ {rho}.")
        parts.append(
            _bullets(
                f"{untrusted(board.name)} puts {plain(p.ahead_publicly)} ahead of "
                f"{plain(p.ahead_here)}; on this task {plain(p.ahead_here)} is ahead by "
                f"{100 * abs(p.difference):.0f} points (95% CI {points(p.low)} to "
                f"{points(p.high)}), {_SEPARABLE[p.separable]}."
                for p in r.reversed_pairs
            )
            or "No pair is ordered the other way round here."
        )
    return parts


def _recommendation(d: Decision) -> list[str]:
    rec = d.recommendation
    parts = [
        "## The recommendation",
        plain(rec.sentence),
        f"Ranked by pass rate: {plain(', '.join(rec.ranking))}. The best and those the paired "
        f"test cannot separate from it: {plain(', '.join(rec.top_group))}. Among them the "
        "cheapest is recommended; when any of them has no price, the best.",
    ]
    if d.not_measured:
        parts.append("### Not measured")
        parts.append(_bullets(_not_measured_line(item) for item in d.not_measured))
    return parts


def _not_measured(item: NotMeasured) -> str:
    return f"**Not measured**: {_why(item)}"


def _not_measured_line(item: NotMeasured) -> str:
    return f"**{plain(item.what)}**: {_why(item)}"


def _why(item: NotMeasured) -> str:
    command = f" To measure it: {_code(item.command)}" if item.command else ""
    return f"{plain(item.why)}.{command}"


def _code(text: str) -> str:
    # A backtick inside would close the span early; such a command is shown as plain text.
    return f"`{text}`" if "`" not in text and "|" not in text else plain(text)


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace("-", "−")


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
