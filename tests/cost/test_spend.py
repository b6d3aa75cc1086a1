"""`run_cost`: spend, per request, per success, retries, judge and the monthly projection,
checked against numbers worked out by hand from the usage each candidate reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.projects.cost import JUDGE_CALL_USD, CostProject, answer, usage

from fieldeval.cost.spend import CandidateCost, RunCost, run_cost
from fieldeval.results.run_data import read_run
from fieldeval.store import Store

# $/Mtok: input 2, cached input 0.5, output 8, reasoning 10; and $0.0001 a call.
PRICE = {
    "input_per_mtok": 2.0,
    "cached_input_per_mtok": 0.5,
    "output_per_mtok": 8.0,
    "reasoning_per_mtok": 10.0,
    "per_call": 0.0001,
}
# e1: (600·2 + 400·0.5 + 300·8 + 200·10) / 1e6 + 0.0001 = 0.0058 + 0.0001
E1_USD = 0.0059
# e2: (2000·2 + 100·8) / 1e6 + 0.0001
E2_USD = 0.0049
# e3: (500·0.5 + 1000·10) / 1e6 + 0.0001: every input token cached, every output reasoning
E3_USD = 0.01035
VOLUME = {
    "requests_per_month": 100_000,
    "low": 50_000,
    "high": 200_000,
    "judged_share": 0.1,
    "fixed_monthly_usd": 50.0,
}
EXAMPLES = ["e1", "e2", "e3", "e4"]
ANSWERS = {
    "exact": {
        "e1": answer("ok", usage(1000, 500, cached=400, reasoning=200), fail_first=1),
        "e2": answer("ok", usage(2000, 100)),
        "e3": answer("nope", usage(500, 1000, cached=500, reasoning=1000)),
        "e4": "RAISE",
    },
    # Plain strings: the client counts the tokens. Its e1 repeats exact's e1 word for word,
    # so the judge is asked once about both.
    "counted": {"e1": "ok", "e2": "ok then", "e3": "ok sure", "e4": "ok yes"},
    "unpriced": {e: answer(f"ok {e} unpriced", usage(100, 100)) for e in EXAMPLES},
}


def _by_id(cost: RunCost, candidate_id: str) -> CandidateCost:
    return next(c for c in cost.candidates if c.candidate_id == candidate_id)


@pytest.fixture
def judged(tmp_path: Path, store: Store) -> RunCost:
    project = CostProject(tmp_path, store)
    loaded = project.write(
        EXAMPLES, {"exact": PRICE, "counted": PRICE, "unpriced": None}, volume=VOLUME, judge=True
    )
    info = project.run(loaded, ANSWERS, judge=True)
    return run_cost(loaded.suite, read_run(store, info.id), resamples=500)


def test_spend_per_request_and_per_success_to_the_cent_fraction(judged: RunCost) -> None:
    exact = _by_id(judged, "exact")
    assert exact.price is not None and exact.price.source == "suite"
    assert (exact.outputs, exact.answered, exact.priced, exact.passes) == (4, 3, 3, 2)
    total = E1_USD + E2_USD + E3_USD
    assert exact.total_usd == pytest.approx(total, abs=1e-12)
    assert exact.per_request is not None
    assert exact.per_request.value == pytest.approx(total / 3, abs=1e-12)
    assert exact.per_request.n == 3  # examples answered, not outputs
    assert exact.per_request_p50 == pytest.approx(E1_USD)
    # p95 of [0.0049, 0.0059, 0.01035]: rank 0.95·2 = 1.9, 0.9 of the way from 0.0059
    assert exact.per_request_p95 == pytest.approx(E1_USD + 0.9 * (E3_USD - E1_USD))
    assert exact.per_success is not None
    assert exact.per_success.value == pytest.approx(total / 2, abs=1e-12)
    assert exact.estimated is False


def test_retries_count_every_output_errors_included(judged: RunCost) -> None:
    # e1 was rate-limited once and answered on its second attempt; e4's app error is
    # not retried. One extra attempt over four outputs.
    assert _by_id(judged, "exact").retry_rate == pytest.approx(0.25)
    assert _by_id(judged, "unpriced").retry_rate == 0


def test_judge_spend_is_split_over_the_outputs_a_call_graded(judged: RunCost) -> None:
    # Ten questions: exact's e1 and counted's e1 share one; 3 + 4 + 4 outputs in all.
    assert judged.judge_calls == 10
    assert judged.judge_usd == pytest.approx(10 * JUDGE_CALL_USD)
    exact, counted = _by_id(judged, "exact"), _by_id(judged, "counted")
    assert exact.judged_outputs == 3
    assert exact.judge_usd == pytest.approx(JUDGE_CALL_USD / 2 + 2 * JUDGE_CALL_USD)
    assert exact.judge_per_output == pytest.approx(0.001)
    assert counted.judge_usd == pytest.approx(JUDGE_CALL_USD / 2 + 3 * JUDGE_CALL_USD)
    assert _by_id(judged, "unpriced").judge_usd == pytest.approx(4 * JUDGE_CALL_USD)
    assert judged.judge_unattributed_usd == pytest.approx(0.0, abs=1e-12)


def test_monthly_projection_is_the_formula_by_hand(judged: RunCost) -> None:
    exact = _by_id(judged, "exact")
    monthly = exact.monthly
    assert monthly is not None and exact.per_request is not None
    c_hat = (E1_USD + E2_USD + E3_USD) / 3
    # C = V·(1 + r)·ĉ + V·s·ĉ_judge + fixed = 100,000·1.25·ĉ + 100,000·0.1·0.001 + 50
    assert monthly.model_usd.value == pytest.approx(100_000 * 1.25 * c_hat)
    assert monthly.model_usd.value == pytest.approx(881.25)
    assert monthly.judge_usd == pytest.approx(10.0)
    assert monthly.fixed_usd == 50.0
    assert monthly.total.value == pytest.approx(941.25)
    # The interval is the bootstrap interval of ĉ carried through the same formula.
    assert monthly.model_usd.low == pytest.approx(125_000 * exact.per_request.low)
    assert monthly.total.high == pytest.approx(125_000 * exact.per_request.high + 60)
    assert [(s.name, s.requests_per_month, s.total_usd) for s in monthly.scenarios] == [
        ("low", 50_000, pytest.approx(50_000 * 1.25 * c_hat + 5 + 50)),
        ("high", 200_000, pytest.approx(200_000 * 1.25 * c_hat + 20 + 50)),
    ]


def test_unpriced_is_none_not_zero(judged: RunCost) -> None:
    unpriced = _by_id(judged, "unpriced")
    assert unpriced.price is None and unpriced.priced == 0
    assert unpriced.total_usd is None and unpriced.per_request is None
    assert unpriced.per_success is None and unpriced.monthly is None
    assert unpriced.per_request_p50 is None
    assert judged.total_usd is None  # a run total with an unknown part is unknown


def test_client_counted_usage_marks_the_cost_estimated(judged: RunCost) -> None:
    counted = _by_id(judged, "counted")
    assert counted.estimated is True
    assert counted.total_usd is not None and counted.total_usd > 0


def test_intervals_contain_the_estimate_and_shrink_with_more_examples(
    tmp_path: Path, store: Store
) -> None:
    project = CostProject(tmp_path, store)
    price = {"output_per_mtok": 10.0}
    widths = []
    for n in (8, 32):
        ids = [f"x{i}" for i in range(n)]
        # Costs vary 1:3:2:9 and every fourth answer fails the check.
        table = {
            "bot": {
                e: answer("nope" if i % 4 == 3 else "ok", usage(10, 100 * (1, 3, 2, 9)[i % 4]))
                for i, e in enumerate(ids)
            }
        }
        loaded = project.write(ids, {"bot": price})
        cost = _by_id(run_cost(loaded.suite, read_run(store, project.run(loaded, table).id)), "bot")
        per_request, per_success = cost.per_request, cost.per_success
        assert per_request is not None and per_success is not None
        assert per_request.n == n
        assert per_request.low <= per_request.value <= per_request.high
        assert per_success.low <= per_success.value <= per_success.high
        # (1+3+2+9)/4 · 100 tokens · $10/Mtok, and 4 answers' cost over 3 passes
        assert per_request.value == pytest.approx(15 / 4 * 100 * 10e-6)
        assert per_success.value == pytest.approx(15 * 100 * 10e-6 / 3)
        widths.append(per_request.high - per_request.low)
    assert widths[1] < widths[0]


def test_with_repeats_the_example_is_the_unit(tmp_path: Path, store: Store) -> None:
    project = CostProject(tmp_path, store)
    ids = ["r1", "r2", "r3", "r4", "r5"]
    loaded = project.write(ids, {"bot": {"input_per_mtok": 1.0}})
    table = {"bot": {e: answer("ok", usage(1000 * (i + 1), 0)) for i, e in enumerate(ids)}}
    cost = _by_id(
        run_cost(loaded.suite, read_run(store, project.run(loaded, table, repeats=3).id)), "bot"
    )
    assert cost.priced == 15
    assert cost.per_request is not None and cost.per_request.n == 5
    assert cost.per_request.value == pytest.approx(0.003)  # mean of 1..5 thousand tokens at $1/Mtok


def test_a_cached_answer_costs_a_request_but_not_this_run(tmp_path: Path, store: Store) -> None:
    project = CostProject(tmp_path, store)
    loaded = project.write(["c1", "c2"], {"bot": {"output_per_mtok": 10.0}})
    table = {"bot": {"c1": answer("ok", usage(0, 100)), "c2": answer("ok", usage(0, 300))}}
    first = _by_id(run_cost(loaded.suite, read_run(store, project.run(loaded, table).id)), "bot")
    again = project.run(loaded, table, use_cache=True)
    cached = _by_id(run_cost(loaded.suite, read_run(store, again.id)), "bot")
    assert first.total_usd == pytest.approx(0.004)
    assert cached.cached == 2 and cached.total_usd == 0.0
    assert cached.per_request is not None and first.per_request is not None
    assert cached.per_request.value == pytest.approx(first.per_request.value)


def test_a_cached_rerun_projects_the_month_it_did_before(tmp_path: Path, store: Store) -> None:
    # The audit's case: a re-run answered from the cache showed "retries -1.00" and
    # "monthly $0": a cached answer made no call, so it says nothing about retries.
    project = CostProject(tmp_path, store)
    loaded = project.write(
        ["c1", "c2", "c3"],
        {"bot": {"output_per_mtok": 10.0}},
        volume={"requests_per_month": 100_000},
    )
    table = {
        "bot": {
            "c1": answer("ok", usage(0, 100), fail_first=1),
            "c2": answer("ok", usage(0, 300)),
            "c3": answer("ok", usage(0, 200)),
        }
    }
    first = _by_id(run_cost(loaded.suite, read_run(store, project.run(loaded, table).id)), "bot")
    assert first.retry_rate == pytest.approx(1 / 3)
    again = _by_id(
        run_cost(loaded.suite, read_run(store, project.run(loaded, table, use_cache=True).id)),
        "bot",
    )
    assert again.cached == 3 and again.retry_rate == 0.0  # never negative
    assert again.monthly is not None and again.per_request is not None
    assert again.monthly.total.value == pytest.approx(100_000 * again.per_request.value)
    assert again.monthly.total.value > 0
    # Three from the cache and one new example: the retries are those of the one call made.
    loaded = project.write(
        ["c1", "c2", "c3", "c4"],
        {"bot": {"output_per_mtok": 10.0}},
        volume={"requests_per_month": 100_000},
    )
    table["bot"]["c4"] = answer("ok", usage(0, 250), fail_first=2)
    mixed = _by_id(
        run_cost(loaded.suite, read_run(store, project.run(loaded, table, use_cache=True).id)),
        "bot",
    )
    assert mixed.cached == 3 and mixed.retry_rate == pytest.approx(2.0)


def test_an_unpriced_judge_leaves_its_share_unknown(tmp_path: Path, store: Store) -> None:
    project = CostProject(tmp_path, store)
    loaded = project.write(
        ["j1", "j2"],
        {"bot": {"input_per_mtok": 1.0}},
        volume={"requests_per_month": 1000, "judged_share": 0.5, "fixed_monthly_usd": 7.0},
        judge=True,
        judge_price=None,
    )
    table = {"bot": {"j1": answer("ok", usage(1000, 0)), "j2": answer("ok", usage(3000, 0))}}
    cost = run_cost(loaded.suite, read_run(store, project.run(loaded, table, judge=True).id))
    bot = _by_id(cost, "bot")
    assert cost.judge_calls == 2 and cost.judge_usd is None and cost.total_usd is None
    assert bot.judge_usd is None and bot.judged_outputs == 2
    assert bot.monthly is not None and bot.monthly.judge_usd is None
    # The judge left out of the total, not counted as free: 1000 · 0.002 + 7.
    assert bot.monthly.total.value == pytest.approx(9.0)
    assert bot.monthly.scenarios == ()


def test_without_volume_there_is_no_projection(tmp_path: Path, store: Store) -> None:
    project = CostProject(tmp_path, store)
    loaded = project.write(["v1", "v2"], {"bot": {"input_per_mtok": 1.0}})
    table = {"bot": {"v1": answer("nope", usage(10, 0)), "v2": answer("nope", usage(30, 0))}}
    bot = _by_id(run_cost(loaded.suite, read_run(store, project.run(loaded, table).id)), "bot")
    assert bot.monthly is None
    assert bot.per_request is not None and bot.per_success is None  # nothing passed


def test_judge_calls_that_grade_nothing_are_in_the_run_total_only(
    tmp_path: Path, store: Store
) -> None:
    project = CostProject(tmp_path, store)
    loaded = project.write(["g1", "g2"], {"bot": {"input_per_mtok": 1.0}}, judge=True)
    table = {"bot": {"g1": answer("ok", usage(1000, 0)), "g2": answer("ok garble", usage(1000, 0))}}
    cost = run_cost(loaded.suite, read_run(store, project.run(loaded, table, judge=True).id))
    bot = _by_id(cost, "bot")
    # g2's question was asked and re-asked twice (3 attempts, one stored call), no grade.
    assert cost.judge_calls == 2
    assert cost.judge_usd == pytest.approx(4 * JUDGE_CALL_USD)
    assert cost.judge_unattributed_usd == pytest.approx(3 * JUDGE_CALL_USD)
    assert bot.judged_outputs == 1 and bot.judge_usd == pytest.approx(JUDGE_CALL_USD)
    assert cost.total_usd == pytest.approx(0.002 + 4 * JUDGE_CALL_USD)
