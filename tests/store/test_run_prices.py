"""The price each run's candidate is billed at, kept with the run on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import create_engine
from tests.store.test_store import START, dataset, migrate

from fieldeval.providers.price_table import PriceSnapshot
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.store.engine import with_driver
from fieldeval.suite.candidates import Price

OWN_PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 2.0, "per_call": 0.5}
TABLE = PriceSnapshot(
    Price(input_per_mtok=2.5, output_per_mtok=10.0, cached_input_per_mtok=1.25),
    "table",
    model="gpt-4o",
    as_of=date(2025, 11, 24),
)
SUITE = PriceSnapshot(Price.model_validate(OWN_PRICE), "suite")
CONFIGS = [
    ("listed", {"id": "listed", "provider": "openai", "model": "gpt-4o"}, "s256:a"),
    ("priced", {"id": "priced", "provider": "openai", "model": "m", "price": OWN_PRICE}, "s256:b"),
    ("unpriced", {"id": "unpriced", "provider": "python", "function": "m:f"}, "s256:c"),
]


def create(store: Store, run_id: str, prices: dict[str, dict[str, Any] | None] | None) -> None:
    data = dataset(1)
    store.save_dataset(data)
    run = RunInfo(
        id=run_id,
        suite_name="t",
        suite_path="suite.yaml",
        suite_hash="s256:suite",
        suite={"task": {"name": "t"}},
        dataset_hash=data.content_hash,
        status="finished",
        repeats=1,
        n_planned=3,
        fieldeval_version="0",
        started_at=START,
        finished_at=None,
    )
    store.create_run(run, CONFIGS, prices)


def test_each_candidates_snapshot_is_stored_and_read_back(store: Store) -> None:
    create(
        store,
        "r1",
        {"listed": TABLE.to_dict(), "priced": SUITE.to_dict(), "unpriced": None},
    )
    prices = store.candidate_prices("r1")
    assert list(prices) == ["listed", "priced", "unpriced"]  # in the run's order
    assert prices == {"listed": TABLE.to_dict(), "priced": SUITE.to_dict(), "unpriced": None}
    listed = prices["listed"]
    assert listed is not None and PriceSnapshot.from_dict(listed) == TABLE


def test_a_stored_table_price_outlives_a_change_of_the_candidate_config(store: Store) -> None:
    # What the run was billed at is the snapshot, not what the config says today.
    cheaper = PriceSnapshot(Price(input_per_mtok=0.01, output_per_mtok=0.02), "suite")
    create(store, "r2", {"listed": TABLE.to_dict(), "priced": cheaper.to_dict()})
    prices = store.candidate_prices("r2")
    assert prices["priced"] == cheaper.to_dict()
    assert prices["unpriced"] is None  # not in the mapping: no price


def test_a_run_stored_without_snapshots_falls_back_to_the_suites_own_price(store: Store) -> None:
    create(store, "r3", None)
    assert store.candidate_prices("r3") == {
        "listed": None,  # no table lookup after the fact: prices may have changed since
        "priced": SUITE.to_dict(),
        "unpriced": None,
    }


def test_a_run_from_before_prices_were_kept_is_read_after_the_upgrade(store_url: str) -> None:
    # A store last written at 0003 (no price column), with a run in it, opened by this version.
    migrate(store_url, "0003")
    old = Store(create_engine(with_driver(store_url)))
    try:
        create(old, "r-old", None)
    finally:
        old.close()
    store = Store.open(store_url)
    try:
        prices = store.candidate_prices("r-old")
        assert prices == {"listed": None, "priced": SUITE.to_dict(), "unpriced": None}
        create(store, "r-new", {"listed": TABLE.to_dict()})
        assert store.candidate_prices("r-new")["listed"] == TABLE.to_dict()
    finally:
        store.close()
