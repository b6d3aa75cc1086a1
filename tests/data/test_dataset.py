from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fieldeval.canonical import canonical_json, content_hash
from fieldeval.data.dataset import load_dataset
from fieldeval.errors import DataError
from fieldeval.suite.schema import DatasetSpec


def spec(**settings: Any) -> DatasetSpec:
    return DatasetSpec.model_validate(settings)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_real_complaints_become_examples(complaints_csv: Path) -> None:
    dataset = load_dataset(
        spec(path="complaints.csv", id="id", input="narrative", slices=["product"]),
        base_dir=complaints_csv.parent,
    )
    first = dataset.examples[0]
    assert (len(dataset), dataset.source_rows) == (25, 25)
    assert first.id == "11311969"
    assert first.input.startswith("I am writing to report an issue")
    assert first.slices == {"product": "Credit card"}
    assert first.source == "complaints.csv:2"
    assert first.fields["state"] == "CA"
    assert dataset.content_hash.startswith("s256:")


def test_stratified_sample_of_real_data(complaints_csv: Path) -> None:
    settings = {"path": "complaints.csv", "id": "id", "sample": {"n": 10, "stratify": "product"}}
    dataset = load_dataset(spec(**settings), base_dir=complaints_csv.parent)
    again = load_dataset(spec(**settings), base_dir=complaints_csv.parent)
    products = Counter(e.fields["product"] for e in dataset.examples)
    assert len(dataset) == 10 and dataset.source_rows == 25
    assert len(products) == 5  # every product kept
    assert dataset.examples == again.examples
    assert dataset.content_hash == again.content_hash


def test_missing_column_suggests_the_close_one(complaints_csv: Path) -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(spec(path="complaints.csv", input="narative"), base_dir=complaints_csv.parent)
    assert "'narative'" in caught.value.message and "complaints.csv" in caught.value.message
    assert caught.value.hint is not None
    assert "did you mean 'narrative'?" in caught.value.hint
    assert "id, product, issue, narrative, state, date" in caught.value.hint


def test_missing_stratify_field_is_named(complaints_csv: Path) -> None:
    settings = {"path": "complaints.csv", "sample": {"n": 5, "stratify": "region"}}
    with pytest.raises(DataError, match=r"`dataset\.sample\.stratify` names field 'region'"):
        load_dataset(spec(**settings), base_dir=complaints_csv.parent)


def test_missing_file_says_paths_are_relative_to_the_suite(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(spec(path="data/nope.csv"), base_dir=tmp_path)
    assert caught.value.hint is not None and "relative to the suite file" in caught.value.hint


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", 'id,text\n7,a\n8,"b\nc"\n7,d\n')
    with pytest.raises(DataError) as caught:
        load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path)
    assert (
        caught.value.message
        == "an id is used more than once (2 rows in all): '7' (t.csv:2, t.csv:5)"
    )
    assert caught.value.hint is not None and "remove `dataset.id`" in caught.value.hint


def test_every_repeated_id_is_reported_at_once(tmp_path: Path) -> None:
    # The audit's file had 155 repeated ids; only the first was ever named.
    rows = [f"{i % 7},row {i}" for i in range(20)]
    write_csv(tmp_path / "t.csv", "id,text\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as caught:
        load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path)
    message = caught.value.message
    assert message.startswith("7 ids are used more than once (20 rows in all): '0' (t.csv:2, ")
    assert message.endswith("; and 2 more")


def test_empty_id_names_its_line(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", "id,text\n1,a\n ,b\n")
    with pytest.raises(DataError, match=r"t\.csv:3: the id field 'id' is empty"):
        load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path)


def test_content_hash_ids_ignore_row_and_column_order(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "q,answer\nhi,hello\nbye,goodbye\n")
    write_csv(tmp_path / "b.csv", "answer,q\ngoodbye,bye\nhello,hi\n")
    a = load_dataset(spec(path="a.csv"), base_dir=tmp_path)
    b = load_dataset(spec(path="b.csv"), base_dir=tmp_path)
    assert {e.id for e in a.examples} == {e.id for e in b.examples}
    assert a.examples[0].id == "h" + content_hash({"q": "hi", "answer": "hello"})[5:17]


def test_identical_rows_are_dropped_keeping_the_first(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", "q\nsame\nother\nsame\n")
    dataset = load_dataset(spec(path="t.csv"), base_dir=tmp_path)
    assert [e.source for e in dataset.examples] == ["t.csv:2", "t.csv:3"]
    assert dataset.source_rows == 3


def test_dataset_hash_changes_with_one_cell(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", "id,q\n1,hi\n2,bye\n")
    before = load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path).content_hash
    same = load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path).content_hash
    write_csv(tmp_path / "t.csv", "id,q\n1,hi\n2,bye!\n")
    after = load_dataset(spec(path="t.csv", id="id"), base_dir=tmp_path).content_hash
    assert before == same != after


def test_input_defaults_to_first_text_field_that_is_not_the_id(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", "id,question,answer\n1,2+2?,4\n")
    example = load_dataset(spec(path="t.csv", id="id", reference="answer"), base_dir=tmp_path)
    assert (example.examples[0].input, example.examples[0].reference) == ("2+2?", "4")


def test_empty_reference_cell_means_no_reference(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", "q,answer\na,\nb,yes\n")
    dataset = load_dataset(spec(path="t.csv", reference="answer"), base_dir=tmp_path)
    assert [e.reference for e in dataset.examples] == [None, "yes"]


def test_chat_log_examples(tmp_path: Path) -> None:
    turns = [
        {"role": "user", "content": "Where is my card?"},
        {"role": "assistant", "content": "It ships in 3 days."},
    ]
    row = json.dumps({"messages": turns, "channel": "app"})
    (tmp_path / "chats.jsonl").write_text(row + "\n", encoding="utf-8")
    (example,) = load_dataset(spec(path="chats.jsonl"), base_dir=tmp_path).examples
    assert example.input == "Where is my card?"
    assert example.reference == "It ships in 3 days."
    assert example.fields["messages"] == turns[:1]


def test_canonical_json_is_key_order_free_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    assert content_hash({"b": 1, "a": 2}) == content_hash({"a": 2, "b": 1})


def test_where_keeps_only_the_rows_holding_its_values_before_sampling(
    complaints_csv: Path,
) -> None:
    base = complaints_csv.parent
    everything = load_dataset(spec(path="complaints.csv", id="id"), base_dir=base)
    cards = load_dataset(
        spec(path="complaints.csv", id="id", where={"product": "Credit card"}), base_dir=base
    )
    wanted = [e.id for e in everything.examples if e.fields["product"] == "Credit card"]
    assert [e.id for e in cards.examples] == wanted and len(wanted) == 7
    assert cards.content_hash != everything.content_hash  # a version of its own
    two = load_dataset(
        spec(
            path="complaints.csv",
            id="id",
            where={"product": ["Credit card", "Debt collection"]},
            sample={"n": 4, "seed": 1},
        ),
        base_dir=base,
    )
    assert len(two.examples) == 4
    assert {e.fields["product"] for e in two.examples} <= {"Credit card", "Debt collection"}


def test_where_naming_a_missing_field_or_keeping_nothing_says_what_is_there(
    complaints_csv: Path,
) -> None:
    base = complaints_csv.parent
    with pytest.raises(DataError, match=r"`dataset\.where` names field 'prodcut'") as caught:
        load_dataset(spec(path="complaints.csv", where={"prodcut": "x"}), base_dir=base)
    assert "did you mean 'product'" in str(caught.value.hint)
    with pytest.raises(DataError, match=r"keeps none of the 25 rows of complaints\.csv") as caught:
        load_dataset(spec(path="complaints.csv", where={"product": "Mortgage"}), base_dir=base)
    assert "product holds e.g. 'Checking or savings account'" in str(caught.value.hint)
