"""`--repeat K`: per-example stability, and the pass rate with the example as the unit."""

from __future__ import annotations

import pytest
from tests.projects.bot import BotProject

from fieldeval.results.repeats import Stability, stability
from fieldeval.results.summary import example_clusters, summarize
from fieldeval.store import Store

# e1 passes 2 of 3, e2 always, e3 never, e4 passes the 2 repeats that did not error.
ANSWERS = {"e1": ["ok", "no", "ok"], "e2": "ok", "e3": "no", "e4": ["ok", "RAISE", "ok"]}


def test_stability_counts_passes_over_answered_repeats(project: BotProject, store: Store) -> None:
    project.write(list(ANSWERS))
    run = project.run(ANSWERS, repeats=3)

    found = sorted(stability(store.outputs(run.id)), key=lambda s: s.example_id)

    assert found == [
        Stability("bot", "e1", passes=2, runs=3),
        Stability("bot", "e2", passes=3, runs=3),
        Stability("bot", "e3", passes=0, runs=3),
        Stability("bot", "e4", passes=2, runs=2),
    ]
    assert [s.flaky for s in found] == [True, False, False, False]


def test_with_repeats_the_summary_averages_within_each_example_first(
    project: BotProject, store: Store
) -> None:
    project.write(list(ANSWERS))
    run = project.run(ANSWERS, repeats=3)

    (bot,) = summarize(run, store.outputs(run.id)).candidates

    assert bot.pass_mean is not None
    assert bot.pass_mean.value == pytest.approx((2 / 3 + 1 + 0 + 1) / 4)
    assert (bot.pass_mean.n, bot.pass_mean.df) == (4, 3)  # examples, not 11 outputs
    assert bot.flaky == 1
    assert (bot.pass_rate.k, bot.pass_rate.n) == (7, 11)  # outputs, as without repeats


def test_with_a_cluster_field_the_interval_is_clustered(project: BotProject, store: Store) -> None:
    project.write(list(ANSWERS), clusters=["x", "x", "y", "y"])
    run = project.run(ANSWERS, repeats=3)
    clusters = example_clusters(run, store.examples(run.dataset_hash))

    (bot,) = summarize(run, store.outputs(run.id), clusters=clusters).candidates

    assert clusters == {"e1": "x", "e2": "x", "e3": "y", "e4": "y"}
    assert bot.pass_mean is not None
    assert (bot.pass_mean.clusters, bot.pass_mean.df) == (2, 1)


def test_without_repeats_there_is_no_per_example_mean(project: BotProject, store: Store) -> None:
    project.write(["e1", "e2"])
    run = project.run({"e1": "ok", "e2": "no"})

    (bot,) = summarize(run, store.outputs(run.id)).candidates

    assert (bot.pass_mean, bot.flaky) == (None, 0)
    assert example_clusters(run, store.examples(run.dataset_hash)) is None


def test_a_cluster_field_alone_makes_the_interval_clustered(
    project: BotProject, store: Store
) -> None:
    # Four examples from two documents are not four independent examples, even run once.
    project.write(["e1", "e2", "e3", "e4"], clusters=["x", "x", "y", "y"])
    run = project.run({"e1": "ok", "e2": "ok", "e3": "no", "e4": "ok"})
    clusters = example_clusters(run, store.examples(run.dataset_hash))

    (bot,) = summarize(run, store.outputs(run.id), clusters=clusters).candidates

    assert bot.pass_mean is not None
    assert bot.pass_mean.value == pytest.approx(3 / 4)
    assert (bot.pass_mean.n, bot.pass_mean.clusters, bot.pass_mean.df) == (4, 2, 1)
    assert bot.pass_mean.high - bot.pass_mean.low > bot.pass_rate.high - bot.pass_rate.low
