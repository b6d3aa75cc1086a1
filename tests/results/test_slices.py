"""Pass rates per slice value: the airline case a new user had to count by hand."""

from __future__ import annotations

from tests.projects.outputs import stored_output

from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.results.slices import MAX_VALUES, slice_results
from fieldeval.stats.intervals import ExampleRate, wilson
from fieldeval.stats.paired import holm, mcnemar


def _output(
    position: int, candidate: str, example: str, passed: bool, repeat: int = 0
) -> StoredOutput:
    check = CheckResult(check_id="label", passed=passed, reason=None)
    return stored_output(position, candidate, example, repeat=repeat, checks=[check])


def _examples(airlines: list[str]) -> list[StoredExample]:
    return [
        StoredExample(f"e{i}", "tweet", None, {}, {"airline": airline})
        for i, airline in enumerate(airlines)
    ]


def test_each_value_gets_its_rate_and_the_pairs_are_compared_within_it() -> None:
    # Delta 2 of 9 against US Airways 8 of 11, as the audit found by counting.
    airlines = ["Delta"] * 9 + ["US Airways"] * 11
    examples = _examples(airlines)
    a_pass = [i < 2 for i in range(9)] + [i < 8 for i in range(11)]
    b_pass = [True] * 9 + [i < 3 for i in range(11)]
    outputs = [
        _output(i, "a", e.id, p) for i, (e, p) in enumerate(zip(examples, a_pass, strict=True))
    ]
    outputs += [
        _output(100 + i, "b", e.id, p)
        for i, (e, p) in enumerate(zip(examples, b_pass, strict=True))
    ]
    (field,) = slice_results(outputs, examples, ["a", "b"])
    assert field.field == "airline" and field.hidden == 0
    us, delta = field.values  # most examples first
    assert (us.value, us.examples, delta.value, delta.examples) == ("US Airways", 11, "Delta", 9)
    assert delta.rates["a"] == wilson(2, 9) and us.rates["a"] == wilson(8, 11)
    assert delta.rates["b"] == wilson(9, 9)
    # Paired within each value, Holm across both values.
    raw = [mcnemar(a_pass[9:], b_pass[9:]), mcnemar(a_pass[:9], b_pass[:9])]
    adjusted = holm([r.p_value for r in raw])
    for value, paired, p in zip((us, delta), raw, adjusted, strict=True):
        (pair,) = value.pairs
        assert (pair.a, pair.b, pair.paired) == ("a", "b", paired)
        assert pair.adjusted_p == p
    assert field.pairs == (("a", "b"),)
    assert delta.pair("a", "b") is not None and delta.pair("b", "a") is None


def test_repeats_count_once_and_a_sampled_run_counts_only_what_it_ran() -> None:
    examples = _examples(["x", "x", "y", "y"])
    outputs = [
        _output(0, "a", "e0", True, 0),
        _output(1, "a", "e0", False, 1),
        _output(2, "a", "e1", True, 0),
        _output(3, "a", "e1", True, 1),
        _output(4, "a", "e2", False, 0),
        _output(5, "a", "e2", False, 1),
        # e3 was not sampled
    ]
    (field,) = slice_results(outputs, examples, ["a"])
    x, y = field.values
    assert (x.value, x.examples, y.value, y.examples) == ("x", 2, "y", 1)
    rate = x.rates["a"]
    assert isinstance(rate, ExampleRate) and rate.n == 2 and rate.outputs == 4
    assert rate.value == 0.75
    assert y.pairs == ()


def test_many_values_show_the_largest_and_count_the_rest() -> None:
    airlines = [f"air{i:02d}" for i in range(MAX_VALUES + 5)] + ["big"] * 3
    examples = _examples(airlines)
    outputs = [_output(i, "a", e.id, True) for i, e in enumerate(examples)]
    (field,) = slice_results(outputs, examples, ["a"])
    assert len(field.values) == MAX_VALUES and field.hidden == 6  # 26 values in all
    assert field.values[0].value == "big"


def test_no_slices_no_table() -> None:
    examples = [StoredExample("e0", "x", None, {}, {})]
    assert slice_results([_output(0, "a", "e0", True)], examples, ["a"]) == ()
