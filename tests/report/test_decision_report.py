"""The decision report over a real run: the recommendation, its caveats, Markdown and HTML."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tests.projects.decision import HOSTILE_SLICE, PAYLOAD, USAGE, DecisionRun, N, make_run

from fieldeval.decision.evidence import Decision, decision
from fieldeval.notation import dollars
from fieldeval.report.decision_html import decision_html
from fieldeval.report.decision_markdown import decision_markdown, untrusted
from fieldeval.runner import run_suite
from fieldeval.stats.intervals import wilson
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite
from fieldeval.suite.schema import Gate

PRICES = {"cheap": (0.15, 0.60), "pricey": (2.50, 10.0), "weak": (0.10, 0.40)}
PASSES = {"cheap": 27, "pricey": 31, "weak": 4}
# Per 1,000 requests of 1,000 tokens in and 200 out, at the suite's prices.
THOUSAND = {"cheap": dollars(0.27), "pricey": dollars(4.5), "weak": dollars(0.18)}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> DecisionRun:
    return make_run(tmp_path_factory.mktemp("decision"))


@pytest.fixture(scope="module")
def found(made: DecisionRun) -> Decision:
    store = made.open()
    try:
        return decision(store, made.loaded.suite, made.run_id)
    finally:
        store.close()


def per_request(candidate: str) -> float:
    """What one call costs at the suite's price: 1,000 tokens in, 200 out."""
    price_in, price_out = PRICES[candidate]
    return (USAGE["input_tokens"] * price_in + USAGE["output_tokens"] * price_out) / 1e6


def test_the_cheaper_of_two_candidates_the_data_cannot_separate_is_recommended(
    found: Decision,
) -> None:
    rec = found.recommendation
    assert rec.ranking == ("pricey", "cheap", "weak")
    assert rec.top_group == ("pricey", "cheap")
    assert rec.candidate_id == "cheap"
    assert rec.good_enough is None
    assert rec.sentence.startswith(
        "Recommend cheap: the cheapest of the candidates the data cannot separate from the best,"
        f" pricey, at {THOUSAND['cheap']} per 1,000 requests ({dollars(300_000 * 0.00027)} a month"
        " at 300,000 requests)"
    )
    for cid, passes in PASSES.items():
        assert found.quality(cid).pass_rate == wilson(passes, N)
        cost = found.cost_of(cid)
        assert cost is not None and cost.per_request is not None and cost.monthly is not None
        assert cost.per_request.value == pytest.approx(per_request(cid))
        assert cost.monthly.total.value == pytest.approx(300_000 * per_request(cid))


def test_the_caveats_say_what_the_data_cannot_tell_and_what_is_not_measured(
    found: Decision,
) -> None:
    caveats = found.recommendation.caveats
    assert caveats[0] == (
        "cheap and pricey cannot be separated with n=40; cheap is cheaper"
        f" ({THOUSAND['cheap']} against {THOUSAND['pricey']} per 1,000 requests)."
    )
    catastrophic = wilson(1, N)
    assert (
        "cheap failed catastrophically (a critical failure mode) on 1 of 40 outputs: 2% (95% CI"
        f" 0% to {100 * catastrophic.high:.0f}%, n=40). Read them before shipping."
    ) in caveats
    assert not any("latency" in c for c in caveats)  # cheap met its targets: nothing to say
    assert found.power.small and found.power.sentence in caveats
    assert caveats[1] == (
        "No bar is set: the suite has no ready.min_pass_rate (or gate.min_pass_rate), so nothing"
        " here says whether cheap's 68% is good enough to ship."
    )
    assert any(
        re.search(r"^With n=40, two candidates must differ by at least \d+ points", c)
        for c in caveats
    )
    assert "The judge's verdicts on polite are not calibrated against people" in caveats[-1]
    # pricey and weak have no load test: not measured, with the command that would measure it.
    missing = {item.what: item.command for item in found.not_measured}
    assert missing["latency under load of pricey"] == (
        f"fieldeval load {found.suite_path} --candidate pricey"
    )
    assert "edge cases" in missing and "latency under load of cheap" not in missing


def test_the_public_leaderboard_is_set_beside_the_ranking_here(found: Decision) -> None:
    (ranking,) = found.rankings
    assert ranking.public_rank == {"weak": 1.0, "pricey": 2.0, "cheap": 3.0}
    assert ranking.own_rank == {"pricey": 1.0, "cheap": 2.0, "weak": 3.0}
    assert ranking.kendall_tau == pytest.approx(-1 / 3)
    assert {(p.ahead_publicly, p.ahead_here) for p in ranking.reversed_pairs} == {
        ("weak", "cheap"),
        ("weak", "pricey"),
    }


def test_a_candidate_shown_to_miss_its_latency_targets_at_every_load_is_not_ready(
    made: DecisionRun,
) -> None:
    """The same stored load test, judged against a target no level met (1 ms): cheap is not
    ready, and the recommendation goes to pricey, the best of the ready candidates."""
    targets = made.loaded.suite.load.targets.model_copy(update={"e2e_p95_ms": 1.0})
    load = made.loaded.suite.load.model_copy(update={"targets": targets})
    strict = made.loaded.suite.model_copy(update={"load": load})
    store = made.open()
    try:
        rec = decision(store, strict, made.run_id).recommendation
    finally:
        store.close()
    assert rec.candidate_id == "pricey" and rec.ranking == ("pricey", "weak")
    assert rec.sentence.startswith(
        "Recommend pricey: the highest pass rate of the ready candidates"
    )
    assert rec.caveats[0].startswith(
        "cheap is not ready, whatever its pass rate (68%): it misses the latency targets at"
        " every load tested (no level met the targets; they break at 1 user (E2E p95"
    )


def test_a_bar_no_candidate_can_reach_says_none_is_ready(made: DecisionRun) -> None:
    strict = made.loaded.suite.model_copy(update={"gate": Gate(min_pass_rate=0.95)})
    store = made.open()
    try:
        rec = decision(store, strict, made.run_id).recommendation
    finally:
        store.close()
    assert rec.good_enough is False and rec.candidate_id is None
    assert rec.sentence == (
        "No candidate is ready to ship. Closest: pricey, which misses 1 bar of the suite's."
    )
    assert rec.caveats[0] == (
        "pricey is not ready: it passes 78% (at most"
        f" {100 * wilson(31, N).high:.0f}%, 95% CI, n=40), below the 95% the suite asks for."
    )


def test_the_markdown_carries_every_section_and_no_markup_from_the_data(found: Decision) -> None:
    text = decision_markdown(found)
    headings = re.findall(r"^#+ (.*)$", text, flags=re.MULTILINE)
    assert headings[:9] == [
        "Decision report: decide",
        "The task",
        "The data",
        "Quality",
        "By group",
        "Answers and abstentions",  # the failing replies say "no idea"
        "Rubric",
        "Failures and their severity",
        "Read these first",
    ]
    assert "| cheap (recommended) | 68% | 52%–80% | 27/40 | 0 |" in text
    # By slice: a row per value, each candidate's passes adding up to its overall 27/40 etc.
    by_group = text[text.index("### By group") : text.index("### Rubric")]
    pairs = "cheap − pricey | cheap − weak | pricey − weak"
    header = f"| group | Examples | pricey | cheap | weak | {pairs} |"
    assert header in by_group
    plain_row = next(row for row in by_group.splitlines() if row.startswith("| plain | 30 |"))
    hostile_row = next(row for row in by_group.splitlines() if "pwned" in row)
    assert f"| {untrusted(HOSTILE_SLICE)} | 10 |" in hostile_row
    counts = [re.findall(r"\((\d+)/(\d+)\)", row) for row in (plain_row, hostile_row)]
    totals = [sum(int(row[i][0]) for row in counts) for i in range(3)]
    assert totals == [31, 27, 4] and all(int(n) in (30, 10) for row in counts for _, n in row)
    thousand = THOUSAND["cheap"].replace("$", "\\$")
    # Every request of the bot costs the same: a zero-width interval would claim a certainty
    # 40 examples cannot give, so none is shown, and the line says why.
    assert f"| cheap | set in the suite | {thousand} (the same on all 40: no interval) | " in text
    assert f"[{thousand} to {thousand}]" not in text
    for raw in ("<script", "<img", "javascript:", "<b>", "onerror=", "<a "):
        assert raw not in text
    assert untrusted(PAYLOAD) in text and untrusted(HOSTILE_SLICE) in text
    # Rendered as GitHub would: no element from the data, and `|` split no table cell.
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    for element in ("<script", "<img", "<a ", "<b>"):
        assert element not in rendered
    assert 'href="' not in rendered
    slice_row = next(row for row in rendered.split("<tr>") if "__pwned" in row and "10" in row)
    assert slice_row.count("<td") == 3
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;|x" in slice_row


def test_the_html_shows_the_data_as_text_and_runs_none_of_it(found: Decision) -> None:
    page = decision_html(found)
    scripts = re.findall(r"<script[^>]*>", page)
    # plotly.js once, then one drawing script per chart: quality, failures, latency, Pareto.
    assert len(scripts) == 5
    ours = page.split("</script>", 1)[1]  # all but plotly.js itself
    assert "window.__pwned" not in "".join(re.findall(r"<script[^>]*>.*?</script>", ours, re.S))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;|x" in ours
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in ours
    assert "<img" not in ours and "<b>ticket</b>" not in ours
    markup = re.sub(r"<script[^>]*>.*?</script>", "", ours, flags=re.S)
    tags = re.findall(r"<[a-z][^>]*>", markup)
    assert tags and not [t for t in tags if re.search(r"\b(src|href|on\w+)=", t)]


def test_the_command_writes_both_files_and_prints_the_recommendation(
    made: DecisionRun, tmp_path: Path
) -> None:
    def fieldeval(*args: str) -> subprocess.CompletedProcess[str]:
        return _fieldeval(tmp_path, *args)

    suite, db = str(made.loaded.path), str(made.db)
    done = fieldeval("report", suite, "--run", made.run_id[:15], "--db", db, "--markdown", "pr.md")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fieldeval-report.html").stat().st_size > 1_000_000  # plotly.js inline
    assert (tmp_path / "pr.md").read_text(encoding="utf-8").startswith("# Decision report")
    assert "Recommend cheap: the cheapest" in done.stdout
    assert f"fieldeval serve {suite}" in done.stdout

    wrong = fieldeval("report", suite, "--run", "no-such-run", "--db", db)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("error: run 'no-such-run' matches no run")

    # The terminal shows the pass rate per slice value too, the hostile value as text.
    shown = fieldeval("show", made.run_id, "--db", db)
    assert shown.returncode == 0, shown.stderr
    table = shown.stdout[shown.stdout.index("pass rate by group") :]
    plain_row = next(line for line in table.splitlines() if line.startswith("│ plain"))
    assert re.search(r"│\s+30 │", plain_row), plain_row
    assert "cheap − pricey" in table and "Holm-adjusted across every value and pair" in table
    assert "<script>window.__pw" in table  # folded at 24 characters, never markup


BARE_SUITE = """\
task: {name: bare, description: Say hello., prompt: "{{ text }}"}
dataset: {path: data.csv, id: id}
candidates:
  - {id: one, provider: python, function: "MODULE:one"}
  - {id: two, provider: python, function: "MODULE:two"}
checks:
  - {contains: hello}
"""


def test_a_bare_run_says_what_is_not_measured_and_how_to_measure_it(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text(
        "id,text\n" + "".join(f"b{i},x{i}\n" for i in range(6)), encoding="utf-8"
    )
    module = f"bare_bot_{secrets.token_hex(4)}"
    (tmp_path / f"{module}.py").write_text(
        "def one(request):\n    return 'hello'\n\n"
        "def two(request):\n    return 'hello' if request.variables['text'] < 'x3' else 'bye'\n",
        encoding="utf-8",
    )
    (tmp_path / "suite.yaml").write_text(BARE_SUITE.replace("MODULE", module), encoding="utf-8")
    loaded = load_suite(tmp_path / "suite.yaml")
    store = Store.open(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        info = run_suite(loaded, store)
        found = decision(store, loaded.suite, info.id, suite_path="suite.yaml")
    finally:
        store.close()

    rec = found.recommendation
    assert rec.candidate_id == "one" and rec.top_group == ("one", "two")
    assert rec.sentence.endswith("without all their prices, cost cannot decide, price unknown.")
    assert rec.caveats[1].startswith("No bar is set")
    assert "No price for one, two: set `price:` on each in suite.yaml" in rec.caveats[3]
    commands = {item.what: item.command for item in found.not_measured}
    assert commands["failure modes"] == "fieldeval failures suggest suite.yaml"
    assert commands["cost of two"] == "set `price:` on two in suite.yaml"
    assert commands["latency under load of one"] == "fieldeval load suite.yaml --candidate one"
    assert found.rankings == () and found.rubric == ()
    # No mode is named, yet two's three failed checks are counted: unclassified, major.
    assert found.failures is not None
    one, two = found.failures.candidates
    assert [m.mode_id for m in two.modes] == ["unclassified"]
    assert (two.failed, two.serious) == (wilson(3, 6), wilson(3, 6))
    assert one.failed == wilson(0, 6)

    page = decision_html(found)
    assert 'id="chart-pareto"' not in page and 'id="leaderboards"' not in page
    assert "Not on the chart, without a price: one, two." in page
    markdown = decision_markdown(found)
    assert (
        "**Not measured**: the suite names no failure\\_modes, so every failed check or "
        "criterion counts as unclassified, at severity major."
    ) in markdown
    assert "| two | 6 | 50% [19%–81%] (3/6) |" in markdown  # the failures, counted
    assert "| one | no price | – | – | – |" in markdown


def test_a_run_with_repeats_gets_its_report_with_rates_over_examples(tmp_path: Path) -> None:
    # The HTML report read `k` of every rate, which a rate over repeated examples lacks:
    # any run with --repeat and failure modes crashed it.
    made = make_run(tmp_path)

    def fieldeval(*args: str) -> subprocess.CompletedProcess[str]:
        return _fieldeval(tmp_path, *args, "--db", str(made.db), bots=tmp_path)

    suite = str(made.loaded.path)
    ran = fieldeval("run", suite, "--repeat", "2", "-q")
    assert ran.returncode == 0, ran.stderr
    done = fieldeval("report", suite, "--markdown", "pr.md")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "fieldeval-report.html").read_text(encoding="utf-8")
    assert "(of 40 examples)" in html
    assert "of 40 examples" in (tmp_path / "pr.md").read_text(encoding="utf-8")


def _fieldeval(cwd: Path, *args: str, bots: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in `cwd`; `bots`: a folder the suite's python bots live in."""
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
    if bots is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(bots), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
