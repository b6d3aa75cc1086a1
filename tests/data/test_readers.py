from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldeval.data.readers import read_records
from fieldeval.errors import DataError


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def test_real_csv_rows_start_on_their_physical_lines(complaints_csv: Path) -> None:
    records = read_records(complaints_csv)
    lines = complaints_csv.read_text(encoding="utf-8").split("\n")

    assert len(records) == 25
    assert [r.source for r in records[:3]] == [
        "complaints.csv:2",
        "complaints.csv:7",
        "complaints.csv:14",
    ]
    for record in records:
        line = int(record.source.rsplit(":", 1)[1])
        assert lines[line - 1].startswith(record.fields["id"] + ",")
    assert "\n\nPlease investigate" in records[0].fields["narrative"]
    assert list(records[0].fields) == ["id", "product", "issue", "narrative", "state", "date"]


def test_multiline_cells_and_crlf_keep_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'id,text\r\n1,"a\r\nb\r\nc"\r\n\r\n2,plain\r\n')
    records = read_records(path)
    assert [(r.fields["id"], r.source) for r in records] == [("1", "t.csv:2"), ("2", "t.csv:6")]
    assert records[0].fields["text"] == "a\r\nb\r\nc"


def test_tsv_by_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "t.tsv", "q\ta\nhello, world\tx\n")
    assert read_records(path)[0].fields == {"q": "hello, world", "a": "x"}


def test_utf8_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "\ufeffid,text\n1,hé\n")
    assert read_records(path)[0].fields == {"id": "1", "text": "hé"}


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_names_the_encoding(tmp_path: Path, codec: str) -> None:
    # Excel's "Unicode text" and PowerShell's default: UTF-16 with a BOM, short or long.
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(codec, "")
    path = write(tmp_path, "t.csv", (bom + "id,text\n1,café\n2,naïve\n").encode(codec))
    assert [r.fields["text"] for r in read_records(path)] == ["café", "naïve"]


def test_cp1252_export_is_detected(tmp_path: Path) -> None:
    text = (
        "id,text\n1,The customer said: “I was charged twice” — and wants £20 back.\n"
        "2,Another café complaint with naïve résumé wording.\n"
    )
    path = write(tmp_path, "t.csv", text.encode("cp1252"))
    assert read_records(path)[0].fields["text"] == (
        "The customer said: “I was charged twice” — and wants £20 back."
    )


def test_cp1252_file_is_never_garbled(tmp_path: Path) -> None:
    text = "id,text\n" + "".join(
        f"{i},Le client a payé {i}€ pour un café crème; il réclame «remboursement» — déçu.\n"
        for i in range(40)
    )
    path = write(tmp_path, "t.csv", text.encode("cp1252"))
    try:
        records = read_records(path)
    except DataError as error:
        assert "t.csv" in error.message and "line 2" in error.message
        assert error.hint is not None and "dataset.encoding" in error.hint
    else:
        assert records[3].fields["text"] == text.split("\n")[4].split(",", 1)[1]


def test_undetectable_encoding_names_offset_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", b"id,text\n1,ok\n2,caf\xe9\n")
    with pytest.raises(DataError) as caught:
        read_records(path)
    assert "t.csv" in caught.value.message
    assert "offset 18 (line 3)" in caught.value.message
    assert caught.value.hint is not None and "cp1252" in caught.value.hint


def test_explicit_latin1_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "id,text\n1,caf\xe9 cr\xe8me\n".encode("latin-1"))
    assert read_records(path, encoding="latin-1")[0].fields["text"] == "café crème"


def test_unknown_encoding_name_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "id\n1\n")
    with pytest.raises(DataError, match="unknown encoding 'utf-9'"):
        read_records(path, encoding="utf-9")


@pytest.mark.parametrize("content", [b"", b"\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(DataError, match="is empty"):
        read_records(write(tmp_path, "t.csv", content))


def test_header_only_csv_has_no_rows(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="has no rows"):
        read_records(write(tmp_path, "t.csv", "id,text\n"))


def test_binary_file(tmp_path: Path) -> None:
    xlsx_like = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe"
    with pytest.raises(DataError, match="binary") as caught:
        read_records(write(tmp_path, "t.csv", xlsx_like))
    assert caught.value.hint is not None and "CSV" in caught.value.hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_records(tmp_path / "nope.csv")


def test_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        read_records(write(tmp_path, "t.txt", "id\n1\n"))
    assert caught.value.hint is not None and "dataset.format" in caught.value.hint
    assert read_records(tmp_path / "t.txt", fmt="csv")[0].fields == {"id": "1"}


def test_csv_row_with_extra_cells_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'id,text\n1,"two\nlines"\n2,a,b\n')
    with pytest.raises(DataError, match=r"t\.csv:4: this row has 3 cells but the header has 2"):
        read_records(path)


def test_short_rows_read_as_empty_cells(tmp_path: Path) -> None:
    assert read_records(write(tmp_path, "t.csv", "a,b,c\n1,2\n"))[0].fields == {
        "a": "1",
        "b": "2",
        "c": "",
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [("id,text,id", "'id' more than once"), (",id,text", "no name for column 1")],
)
def test_bad_header(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_records(write(tmp_path, "t.csv", f"{header}\n1,2,3\n"))


def test_unclosed_quote_is_a_data_error_with_a_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"t\.csv:\d+: not valid CSV"):
        read_records(write(tmp_path, "t.csv", 'id,text\n1,"never closed\n2,x\n'))


def test_json_array_and_wrapped_object(tmp_path: Path) -> None:
    rows = [{"q": "2+2?", "answer": "4"}, {"q": "3+3?", "answer": "6"}]
    bare = read_records(write(tmp_path, "a.json", json.dumps(rows)))
    wrapped = read_records(write(tmp_path, "b.json", json.dumps({"version": 2, "data": rows})))
    assert [r.fields for r in bare] == [r.fields for r in wrapped] == rows
    assert [r.source for r in wrapped] == ["b.json:data[0]", "b.json:data[1]"]


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", '[\n  {"q": "a"},\n  {"q": "b",}\n]')
    with pytest.raises(DataError, match=r"t\.json:3:13: invalid JSON"):
        read_records(path)


def test_json_with_two_lists_is_ambiguous(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", json.dumps({"train": [{"a": 1}], "test": [{"a": 2}]}))
    with pytest.raises(DataError, match="'train', 'test'"):
        read_records(path)


def test_jsonl_non_object_line_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.jsonl", '{"q": "a"}\n\n["not", "an object"]\n')
    with pytest.raises(DataError, match=r"t\.jsonl:3: this line is a JSON array, not an object"):
        read_records(path)


def test_jsonl_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.jsonl", '{"q": "a"}\n{"q": oops}\n')
    with pytest.raises(DataError, match=r"t\.jsonl:2:7: invalid JSON"):
        read_records(path)


def test_chat_log_becomes_input_reference_and_prior_turns(tmp_path: Path) -> None:
    turns = [
        {"role": "system", "content": "You are a bank's support agent."},
        {"role": "user", "content": "My card was charged twice."},
        {"role": "assistant", "content": "Sorry! Which date?"},
        {"role": "user", "content": "October 3rd."},
        {"role": "assistant", "content": "Refund issued for the October 3rd charge."},
    ]
    open_ended = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    lines = [{"messages": turns, "topic": "refund"}, {"messages": open_ended, "topic": "hello"}]
    path = write(tmp_path, "chats.jsonl", "\n".join(json.dumps(line) for line in lines))

    first, second = read_records(path)
    assert first.fields["input"] == "October 3rd."
    assert first.fields["reference"] == "Refund issued for the October 3rd charge."
    assert first.fields["messages"] == turns[:-1]
    assert first.fields["topic"] == "refund"
    assert (second.fields["input"], second.fields["reference"]) == ("Hi", None)


def test_chat_format_rejects_rows_without_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", '{"q": "hi"}\n')
    with pytest.raises(DataError, match=r"c\.jsonl:1: not a chat log"):
        read_records(path, fmt="chat")


def test_a_50_mb_cell_reads(tmp_path: Path) -> None:
    big = "x" * (50 * 1024 * 1024)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write(f'id,text\n1,"{big}"\n2,small\n')
    records = read_records(path)
    assert len(records[0].fields["text"]) == len(big)
    assert records[1].source == "big.csv:3"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda s: s.encode("utf-8")),
        st.lists(
            st.sampled_from(['"', ",", "\n", "\r", "{", "}", "[", "]", ":", "a", "1", "\x00"])
        ).map(lambda parts: "".join(parts).encode()),
    ),
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".json"]),
)
def test_any_bytes_read_or_raise_data_error(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    try:
        records = read_records(path)
    except DataError:
        return
    assert records and all(isinstance(r.fields, dict) for r in records)


def test_old_mac_line_endings(tmp_path: Path) -> None:
    records = read_records(write(tmp_path, "t.csv", 'id,text\r1,"a\rb"\r2,s\r'))
    assert [(r.fields["text"], r.source) for r in records] == [
        ("a\rb", "t.csv:2"),
        ("s", "t.csv:4"),
    ]
