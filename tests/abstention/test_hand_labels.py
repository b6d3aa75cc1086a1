"""Abstention on a set where half the examples have their answer removed: 16 real CFPB
complaints that name a dollar amount, every second one with its amounts redacted as
`{$XXXX}` (tests/fixtures/abstention). Two hand-written candidates: one says so when the
amount is gone, one answers anyway. A person labelled every reply answered or abstained
(`hand_labels.csv`); fieldeval's reading agrees on 31 of the 32 (97%, Cohen's kappa 0.93):
the one miss is a hedge that gives an amount and then says it is redacted."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest
from tests.cli.test_cli import fieldeval

from fieldeval.abstention.agreement import hand_agreement, read_hand_labels
from fieldeval.abstention.outcomes import judged_replies
from fieldeval.abstention.rates import AbstentionReport, run_abstention
from fieldeval.errors import DataError
from fieldeval.failures.report import failure_report
from fieldeval.records.run import OutputKey
from fieldeval.results.run_data import read_run
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "abstention"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("amounts")
    for path in FIXTURE.iterdir():
        shutil.copy(path, folder / path.name)
    ran = fieldeval(folder, "run", "suite.yaml", "--db", str(folder / "f.db"))
    assert ran.returncode == 0, ran.stderr
    return folder


def _report(folder: Path) -> AbstentionReport:
    store = Store.open(str(folder / "f.db"))
    try:
        run = store.latest_run("complaint-amount")
        assert run is not None
        data = read_run(store, run.id)
    finally:
        store.close()
    return run_abstention(
        data.run.suite,
        data.outputs,
        data.clean_examples,
        data.run.candidates,
        judged=judged_replies(data.clean_judged),
        grades=data.grades,
    )


def _rows(name: str) -> list[dict[str, str]]:
    with (FIXTURE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _from_hand_labels(candidate: str) -> Counter[str]:
    """Each example's result as a person reads it: abstained, or answered and right or
    wrong (right: the reply holds the amount; on a redacted example every answer is wrong)."""
    examples = {row["id"]: row for row in _rows("complaints.csv")}
    replies = {row["id"]: row["output"] for row in _rows(f"{candidate}.csv")}
    counts: Counter[str] = Counter()
    for label in _rows("hand_labels.csv"):
        if label["candidate"] != candidate:
            continue
        example = examples[label["example"]]
        answerable = example["has_answer"] == "yes"
        if label["outcome"] == "abstained":
            counts["abstained"] += 1
            counts["over_abstained"] += answerable
        elif answerable and example["amount"] in replies[label["example"]]:
            counts["right"] += 1
        else:
            counts["wrong"] += 1
            counts["answered_unanswerable"] += not answerable
    return counts


def test_outcomes_agree_with_a_person_s_labels(project: Path) -> None:
    report = _report(project)
    found = hand_agreement(report.outputs, read_hand_labels(FIXTURE / "hand_labels.csv"))
    assert (found.agreed.k, found.agreed.n) == (31, 32)
    assert found.kappa is not None and found.kappa > 0.9
    assert not found.unmatched
    [miss] = found.disagreements
    assert miss.key == OutputKey("eager", "9874861", 0)
    assert (miss.person, miss.read.outcome) == ("answered", "abstained")


@pytest.mark.parametrize("candidate", ["careful", "eager"])
def test_the_rates_are_the_ones_the_hand_labels_give(project: Path, candidate: str) -> None:
    rates = _report(project).of(candidate)
    assert rates is not None and rates.n == 16
    hand = _from_hand_labels(candidate)
    # eager's one disagreement (a hedged $900 on a redacted example) moves one example
    # from wrong to abstained; every other count is the person's.
    moved = 1 if candidate == "eager" else 0
    assert rates.abstained.k == hand["abstained"] + moved
    assert rates.confidently_wrong is not None
    assert rates.confidently_wrong.k == hand["wrong"] - moved
    assert rates.right_when_answering is not None
    assert rates.right_when_answering.k == hand["right"]
    assert rates.right_when_answering.n == hand["right"] + hand["wrong"] - moved
    assert rates.over_abstention is not None and rates.answered_unanswerable is not None
    assert (rates.over_abstention.k, rates.over_abstention.n) == (hand["over_abstained"], 8)
    assert rates.answered_unanswerable.k == hand["answered_unanswerable"] - moved
    assert rates.answered_unanswerable.n == 8


def test_refusing_everything_never_looks_safe_and_confidence_orders_the_risk(
    project: Path,
) -> None:
    careful = _report(project).of("careful")
    assert careful is not None
    # careful abstains on 8 of 16, one of them an example that has its answer: shown beside.
    assert (careful.abstained.k, careful.over_abstention and careful.over_abstention.k) == (8, 1)
    curve = careful.risk_coverage
    assert curve is not None and curve.stated == curve.answers == 8
    # Its two wrong answers are its least confident (0.60 and 0.40): risk rises only at the
    # end, so AURC = (1/7 + 2/8) / 8.
    assert curve.aurc == pytest.approx((1 / 7 + 2 / 8) / 8)
    assert [p.risk.k for p in curve.points] == [0, 0, 0, 0, 0, 0, 1, 2]
    assert curve.points[-1].coverage == pytest.approx(0.5)
    assert _report(project).of("eager").risk_coverage is None  # type: ignore[union-attr]


def test_the_failure_modes_weigh_answering_the_unanswerable_over_not_answering(
    project: Path,
) -> None:
    loaded = load_suite(project / "suite.yaml")
    store = Store.open(str(project / "f.db"))
    try:
        run = store.latest_run("complaint-amount")
        assert run is not None
        report = failure_report(loaded.suite, read_run(store, run.id))
    finally:
        store.close()
    modes = {(o.candidate_id, o.example_id): o.modes for o in report.outputs if o.modes}
    # careful's over-abstention is minor; its one answer to a redacted complaint, critical.
    assert modes[("careful", "18391282")] == frozenset({"over_abstained"})
    assert modes[("careful", "14863277")] == frozenset({"answered_unanswerable"})
    by_candidate = {c.candidate_id: c for c in report.candidates}
    assert by_candidate["careful"].catastrophic.k == 1
    assert by_candidate["eager"].catastrophic.k == 6
    # A wrong amount on an example that has one stays the suite's own failure.
    assert modes[("eager", "12300011")] == frozenset({"unclassified"})


def test_the_report_ranks_the_candidate_that_says_i_don_t_know_closest(project: Path) -> None:
    reported = fieldeval(
        project,
        "report",
        "suite.yaml",
        "--db",
        str(project / "f.db"),
        "--markdown",
        str(project / "report.md"),
    )
    assert reported.returncode == 0, reported.stderr
    assert "No candidate is ready to ship. Closest: careful" in reported.stdout
    # eager passes more of the checks (15 of 16 against 14): its pass rate does not save it.
    assert "eager is not ready, whatever its pass rate (94%)" in reported.stdout
    text = (project / "report.md").read_text(encoding="utf-8")
    assert "### Answers and abstentions" in text
    assert "| answered the unanswerable | 12% [2%–47%] (1/8) | 75% [41%–93%] (6/8) |" in text


def test_the_command_states_the_agreement_and_the_disagreement(project: Path) -> None:
    shown = fieldeval(
        project,
        "abstention",
        "suite.yaml",
        "--db",
        str(project / "f.db"),
        "--labels",
        "hand_labels.csv",
    )
    assert shown.returncode == 0, shown.stderr
    assert "97% [84%–99%] (31/32) of the labelled outputs; Cohen's kappa 0.93" in shown.stdout
    assert "eager/9874861#0: the person says answered, fieldeval abstained" in shown.stdout


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("candidate,example\ncareful,1\n", "no outcome column"),
        ("candidate,example,outcome\ncareful,1,maybe\n", "labels.csv:2: outcome 'maybe'"),
        ("candidate,example,outcome\nc,1,answered\nc,1,abstained\n", "labels.csv:3: c/1#0"),
        ("candidate,example,repeat,outcome\nc,1,x,answered\n", "labels.csv:2: repeat 'x'"),
    ],
)
def test_a_bad_labels_file_names_its_line(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as raised:
        read_hand_labels(path)
    assert said in str(raised.value)


def test_a_missing_answerable_column_is_named_before_any_call(tmp_path: Path) -> None:
    for path in FIXTURE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        suite.read_text(encoding="utf-8").replace(
            "answerable: has_answer", "answerable: has_anser"
        ),
        encoding="utf-8",
    )
    ran = fieldeval(tmp_path, "run", "suite.yaml", "--db", str(tmp_path / "f.db"))
    assert ran.returncode == 2
    assert "`abstention.answerable` names field 'has_anser'" in ran.stderr
    assert "did you mean 'has_answer'?" in ran.stderr
