"""OpenAI request/response logs read into production records, bad lines named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldeval.errors import DataError
from fieldeval.traces.files import read_trace_file

LINE = {
    "request": {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Is my order late?"}]},
        ],
    },
    "response": {
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"message": {"role": "assistant", "content": "No, it arrives Friday."}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6},
    },
    "timestamp": "2026-11-30T09:12:00Z",
    "latency_ms": 640,
    "metadata": {"route": "shipping", "tier": "free", "openai_api_key": "sk-live-1"},
}


def _write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_log_line_is_a_record(tmp_path: Path) -> None:
    [record] = read_trace_file(_write(tmp_path, LINE))
    assert record.source == "openai-log"
    assert record.input == "Is my order late?"  # the text of a content-parts message
    assert record.output == "No, it arrives Friday."
    assert record.model == "gpt-4o-mini-2024-07-18"
    assert (record.input_tokens, record.output_tokens, record.latency_ms) == (12, 6, 640.0)
    assert record.started_at == datetime(2026, 11, 30, 9, 12, tzinfo=UTC)
    assert record.attributes == {"route": "shipping", "tier": "free"}


def test_the_same_line_twice_is_the_same_record(tmp_path: Path) -> None:
    first, second = read_trace_file(_write(tmp_path, LINE, LINE))
    assert first.id == second.id


def test_unix_seconds_and_a_failed_call(tmp_path: Path) -> None:
    failed = {"request": LINE["request"], "error": {"status": 429}, "timestamp": 1796700000}
    [record] = read_trace_file(_write(tmp_path, failed))
    assert record.error == '{"status": 429}' and record.output is None
    assert record.started_at == datetime.fromtimestamp(1796700000, UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"timestamp": "last tuesday"},
            r"requests.jsonl:2: 'timestamp' 'last tuesday' is not a time",
        ),
        (
            {"request": {"messages": []}},
            r"requests.jsonl:2: 'request.messages' must be a non-empty",
        ),
        ({"response": "ok"}, r"requests.jsonl:2: 'response' must be an object"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_trace_file(_write(tmp_path, LINE, {**LINE, **change}))
