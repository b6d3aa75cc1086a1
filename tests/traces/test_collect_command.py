"""`fieldeval collect` and `fieldeval sample` as a user runs them: files, the receiver, errors."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.cli.test_cli import assert_user_error, fieldeval
from tests.doubles.collector import collecting
from tests.traces.test_spans import GENAI, _export

from fieldeval.store import Store
from fieldeval.store.production_store import ProductionStore


def _captured(text: str, span_id: str) -> dict:
    export = _export(
        {
            **GENAI,
            "gen_ai.input.messages": json.dumps([{"role": "user", "content": text}]),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": "ok"}]),
        }
    )
    export["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = span_id
    return export


def _count(db: str) -> int:
    store = Store.open(db)
    try:
        return ProductionStore(store).count()
    finally:
        store.close()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_collect_files_then_sample(tmp_path: Path) -> None:
    lines = [
        json.dumps(_captured(f"question number {w} about {w * 3}", f"{i:016x}"))
        for i, w in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    ]
    (tmp_path / "spans.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = fieldeval(tmp_path, "collect", "spans.jsonl", "--db", "p.db")
    assert done.returncode == 0, done.stderr
    assert "6 model calls read, 6 new" in done.stdout
    again = fieldeval(tmp_path, "collect", "spans.jsonl", "--db", "p.db")
    assert "6 model calls read, 0 new" in again.stdout

    sampled = fieldeval(tmp_path, "sample", "--out", "evalset.jsonl", "--n", "4", "--db", "p.db")
    assert sampled.returncode == 0, sampled.stderr
    assert "wrote 4 examples to evalset.jsonl from 6 production records" in sampled.stdout
    assert "provider: recorded" in sampled.stdout
    rows = (tmp_path / "evalset.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4


def test_a_bad_line_stores_nothing_and_names_the_line(tmp_path: Path) -> None:
    good = json.dumps(_captured("fine question", "00000000000000aa"))
    (tmp_path / "spans.jsonl").write_text(f"{good}\n{good}\n{{broken\n", encoding="utf-8")
    done = fieldeval(tmp_path, "collect", "spans.jsonl", "--db", "p.db")
    assert_user_error(done)
    assert "spans.jsonl:3: not JSON" in done.stderr
    assert _count(f"sqlite:///{tmp_path / 'p.db'}") == 0


def test_sample_with_nothing_collected_says_what_to_do(tmp_path: Path) -> None:
    done = fieldeval(tmp_path, "sample", "--out", "e.jsonl", "--db", "p.db")
    assert_user_error(done)
    assert "no production record" in done.stderr and "fieldeval collect" in done.stderr
    assert not (tmp_path / "e.jsonl").exists()


def test_the_receiver_off_loopback_needs_a_token(tmp_path: Path) -> None:
    done = fieldeval(tmp_path, "collect", "--host", "0.0.0.0", "--db", "p.db")
    assert_user_error(done)
    assert "needs a token" in done.stderr


@pytest.fixture
def receiver(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    with collecting(db) as collector:
        yield collector, db


def test_the_receiver_takes_gzipped_json_and_refuses_what_it_cannot_read(receiver) -> None:
    collector, db = receiver
    body = json.dumps(_captured("a question", "00000000000000bb")).encode()
    status, answer = _post(
        collector.url,
        gzip.compress(body),
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert (status, answer) == (200, {})
    assert collector.next_line() == "1 model call read, 1 new"
    status, answer = _post(collector.url, b"{nope", {"Content-Type": "application/json"})
    assert status == 400
    status, answer = _post(collector.url, b"\xff\xfe", {"Content-Type": "application/x-protobuf"})
    assert status == 400 and "protobuf" in answer["message"]
    status, answer = _post(collector.url, body, {"Content-Type": "text/plain"})
    assert status == 415
    bomb = gzip.compress(b"0" * (21 * 1024 * 1024))  # 20 kB that would be 21 MB
    status, _ = _post(
        collector.url, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert status == 400
    assert _count(db) == 1


def test_the_receiver_on_loopback_refuses_other_host_names(receiver) -> None:
    collector, db = receiver
    body = json.dumps(_captured("a question", "00000000000000cc")).encode()
    status, _ = _post(
        collector.url, body, {"Content-Type": "application/json", "Host": "evil.example"}
    )
    assert status == 403
    assert _count(db) == 0


def test_the_receiver_bound_wider_checks_the_token(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    token = "a-long-enough-secret-token"
    with collecting(db, "--host", "0.0.0.0", "--token", token) as collector:
        url = collector.url.replace("0.0.0.0", "127.0.0.1")
        body = json.dumps(_captured("a question", "00000000000000dd")).encode()
        status, _ = _post(url, body, {"Content-Type": "application/json"})
        assert status == 401
        status, _ = _post(
            url, body, {"Content-Type": "application/json", "Authorization": "Bearer wrong"}
        )
        assert status == 401
        status, _ = _post(
            url, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        )
        assert status == 200
    assert _count(db) == 1


def test_a_stratum_field_no_record_has_is_named(tmp_path: Path) -> None:
    lines = [json.dumps(_captured(f"question {w}", f"{i:016x}")) for i, w in enumerate("abc")]
    (tmp_path / "spans.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert fieldeval(tmp_path, "collect", "spans.jsonl", "--db", "p.db").returncode == 0
    done = fieldeval(tmp_path, "sample", "--by", "app.rout", "--out", "e.jsonl", "--db", "p.db")
    assert_user_error(done)
    assert "no production record has the attribute 'app.rout'" in done.stderr
    assert "did you mean 'app.route'" in done.stderr
