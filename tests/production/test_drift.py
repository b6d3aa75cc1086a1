"""Drift between two weeks of traffic, on real queries (BANKING77): an unchanged week reports
no drift in about 95% of seeded trials; a planted cluster of German queries is found."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldeval.production.drift import drift_report
from fieldeval.records.production import ProductionRecord

QUERIES = Path(__file__).resolve().parents[1] / "fixtures" / "banking77" / "test.csv"
WEEK = 400  # records per week
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)

GERMAN = [
    f"{opening} {ask}"
    for opening in ("Hallo,", "Guten Tag,", "Entschuldigung,", "Bitte helfen Sie mir:")
    for ask in (
        "wo ist meine neue Karte? Ich habe sie vor einer Woche bestellt.",
        "warum wurde meine Überweisung auf das Konto meiner Schwester abgelehnt?",
        "wie kann ich das Passwort für die App zurücksetzen?",
        "ich möchte mein Konto kündigen und das Guthaben auszahlen lassen.",
        "meine Karte funktioniert am Geldautomaten nicht mehr.",
        "warum wurde mir für die Zahlung im Ausland eine Gebühr berechnet?",
    )
]


@pytest.fixture(scope="module")
def queries() -> list[tuple[str, str]]:
    with QUERIES.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def _week(rows: list[tuple[str, str]], start: datetime, tag: str) -> list[ProductionRecord]:
    return [
        ProductionRecord(
            id=f"{tag}{i}",
            source="otlp",
            started_at=start + timedelta(minutes=i),
            messages=({"role": "user", "content": text},),
            output="ok",
            attributes={"intent": category},
        )
        for i, (text, category) in enumerate(rows)
    ]


def _two_weeks(queries, rng: random.Random) -> tuple[list, list[tuple[str, str]]]:
    drawn = rng.sample(queries, 2 * WEEK)
    return _week(drawn[:WEEK], MONDAY, "a"), drawn[WEEK:]


def test_an_unchanged_week_reports_no_drift_in_about_95_percent_of_trials(queries) -> None:
    trials = 200
    rng = random.Random(20261208)
    quiet = 0
    for trial in range(trials):
        baseline, rows = _two_weeks(queries, rng)
        later = _week(rows, MONDAY + timedelta(days=7), "b")
        report = drift_report(baseline, later, by=["intent"], seed=trial)
        quiet += not report.drifted
    # At least 95% expected (Holm keeps the family-wise rate at or under 5%); three standard
    # errors of 200 trials below that is 90.4%.
    assert quiet / trials >= 0.90, quiet


def test_a_planted_cluster_in_another_language_is_found(queries) -> None:
    found = 0
    for trial in range(10):
        rng = random.Random(trial)
        baseline, rows = _two_weeks(queries, rng)
        planted = round(0.05 * WEEK)  # 5% of the later week
        later_rows = rows[: WEEK - planted] + [(text, "unknown") for text in GERMAN[:planted]]
        rng.shuffle(later_rows)
        later = _week(later_rows, MONDAY + timedelta(days=7), "b")
        report = drift_report(baseline, later, by=["intent"], seed=trial)
        tests = {test.name: test for test in report.tests}
        assert tests["language"].drifted and "de 0% → 5%" in tests["language"].detail
        assert tests["new inputs"].drifted
        biggest = report.clusters[0]
        german = {f"b{i}" for i, (text, _) in enumerate(later_rows) if text in GERMAN}
        found += len(german & set(biggest.record_ids)) >= 0.8 * planted
        assert max(biggest.languages, key=biggest.languages.get) == "de"
    assert found >= 9


def _log_lines(rows: list[tuple[str, str]], start: datetime) -> str:
    import json

    return "".join(
        json.dumps(
            {
                "request": {"model": "m", "messages": [{"role": "user", "content": text}]},
                "response": {"choices": [{"message": {"content": "ok"}}]},
                "timestamp": (start + timedelta(minutes=i)).isoformat(),
                "metadata": {"intent": category},
            }
        )
        + "\n"
        for i, (text, category) in enumerate(rows)
    )


def test_drift_coverage_and_sampling_the_new_cluster_from_the_command_line(
    queries, tmp_path: Path
) -> None:
    from tests.cli.test_cli import fieldeval

    rng = random.Random(5)
    drawn = rng.sample(queries, 2 * WEEK)
    later = drawn[WEEK : 2 * WEEK - 20] + [(text, "unknown") for text in GERMAN[:20]]
    rng.shuffle(later)
    (tmp_path / "week1.jsonl").write_text(_log_lines(drawn[:WEEK], MONDAY), encoding="utf-8")
    (tmp_path / "week2.jsonl").write_text(
        _log_lines(later, MONDAY + timedelta(days=7)), encoding="utf-8"
    )
    done = fieldeval(tmp_path, "collect", "week1.jsonl", "week2.jsonl", "--db", "p.db")
    assert f"{2 * WEEK} model calls read, {2 * WEEK} new" in done.stdout, done.stderr

    week = ["--baseline-since", "2026-11-30", "--baseline-until", "2026-12-07"]
    week += ["--since", "2026-12-07", "--until", "2026-12-14"]
    found = fieldeval(tmp_path, "drift", *week, "--save-clusters", "drift", "--db", "p.db")
    assert found.returncode == 1, found.stderr  # drift is a verdict, as the gate's
    assert "traffic has drifted" in found.stdout
    assert "new cluster 1:" in found.stdout and "de " in found.stdout
    ids = (tmp_path / "drift" / "cluster-1.ids").read_text(encoding="utf-8").split()
    assert len(ids) >= 16

    quiet = fieldeval(
        tmp_path, "drift", "--baseline-until", "2026-11-30T03:20", "--since",
        "2026-11-30T03:20", "--until", "2026-12-07", "--db", "p.db",
    )  # fmt: skip
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "no drift the data supports" in quiet.stdout

    added = fieldeval(
        tmp_path, "sample", "--ids", "drift/cluster-1.ids", "--n", "10", "--out", "new.jsonl",
        "--db", "p.db",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "wrote 10 examples to new.jsonl" in added.stdout

    sampled = fieldeval(
        tmp_path, "sample", "--by", "intent", "--n", "60", "--min-per-stratum", "1",
        "--until", "2026-12-07", "--out", "evalset.jsonl", "--db", "p.db",
    )  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    covered = fieldeval(
        tmp_path, "coverage", "evalset.jsonl", "--by", "intent", "--since", "2026-12-07",
        "--db", "p.db",
    )  # fmt: skip
    assert covered.returncode == 0, covered.stderr
    assert "intent=unknown" in covered.stdout and "missing" in covered.stdout
    assert "too few" in covered.stdout
