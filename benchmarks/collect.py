"""`fieldeval collect` taking in 10,000 GenAI spans, against parsing the same OTLP JSON raw.

    python benchmarks/collect.py [--spans 10000] [--batch 512] [--repeats 3]

The spans are chat calls with their messages (the GenAI conventions' latest form), in
exports of `--batch` spans each, as the SDK's BatchSpanProcessor sends them. Measured, each
the median of `--repeats`, interleaved:

- the baseline: `json.loads` of every export's OTLP JSON, nothing else;
- fieldeval reading the same exports from a file into a new SQLite store (`fieldeval.collect`);
- the receiver: a `fieldeval collect` process on loopback, sent every export as protobuf
  (what the OTLP exporters send) one after another, until the last answer (all stored).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

import fieldeval

ROUTES = ("billing", "shipping", "account", "legal")


def exports(spans: int, batch: int) -> list[dict]:
    found = []
    for start in range(0, spans, batch):
        items = []
        for i in range(start, min(spans, start + batch)):
            question = f"Question {i} about my {ROUTES[i % 4]} account, please help me today"
            attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 40 + i % 50,
                "gen_ai.usage.output_tokens": 20 + i % 30,
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": question}]}]
                ),
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": "Sure."}]}]
                ),
                "app.route": ROUTES[i % 4],
            }
            items.append(
                {
                    "traceId": f"{i:032x}",
                    "spanId": f"{i:016x}",
                    "name": "chat gpt-4o-mini",
                    "startTimeUnixNano": str(1_796_700_000_000_000_000 + i * 1_000_000),
                    "endTimeUnixNano": str(1_796_700_000_500_000_000 + i * 1_000_000),
                    "attributes": [{"key": k, "value": _value(v)} for k, v in attributes.items()],
                }
            )
        found.append(
            {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [
                            {"key": "service.name", "value": {"stringValue": "bench"}}
                        ]},
                        "scopeSpans": [{"scope": {"name": "bench"}, "spans": items}],
                    }
                ]
            }
        )  # fmt: skip
    return found


def _value(value: object) -> dict:
    return {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}


def protobuf(export: dict) -> bytes:
    message = ExportTraceServiceRequest()
    scope = message.resource_spans.add().scope_spans.add()
    for item in export["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span = scope.spans.add(
            trace_id=bytes.fromhex(item["traceId"]),
            span_id=bytes.fromhex(item["spanId"]),
            name=item["name"],
            start_time_unix_nano=int(item["startTimeUnixNano"]),
            end_time_unix_nano=int(item["endTimeUnixNano"]),
        )
        for pair in item["attributes"]:
            value = pair["value"]
            any_value = (
                AnyValue(int_value=int(value["intValue"]))
                if "intValue" in value
                else AnyValue(string_value=value["stringValue"])
            )
            span.attributes.append(KeyValue(key=pair["key"], value=any_value))
    return message.SerializeToString()


def raw_parse(lines: list[str]) -> float:
    started = time.perf_counter()
    for line in lines:
        json.loads(line)
    return time.perf_counter() - started


def from_file(path: Path, folder: Path, repeat: int) -> float:
    db = f"sqlite:///{folder / f'file{repeat}.db'}"
    started = time.perf_counter()
    collected = fieldeval.collect([path], db=db)
    elapsed = time.perf_counter() - started
    assert collected.added == collected.read, collected
    return elapsed


def receiver(bodies: list[bytes], folder: Path, repeat: int, spans: int) -> float:
    db = f"sqlite:///{folder / f'receiver{repeat}.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "fieldeval", "collect", "--port", "0", "--db", db],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            if line.startswith("receiving OTLP/HTTP traces at "):
                url = line.split()[-1]
            if line.strip() == "Ctrl-C stops":
                break
        assert url is not None
        started = time.perf_counter()
        for body in bodies:
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/x-protobuf"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
    from fieldeval.store import Store
    from fieldeval.store.production_store import ProductionStore

    store = Store.open(db)
    try:
        assert ProductionStore(store).count() == spans
    finally:
        store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    made = exports(args.spans, args.batch)
    lines = [json.dumps(export) for export in made]
    bodies = [protobuf(export) for export in made]
    times: dict[str, list[float]] = {"raw": [], "file": [], "receiver": []}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spans.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for repeat in range(args.repeats):
            print(f"repeat {repeat + 1} of {args.repeats}", flush=True)
            times["raw"].append(raw_parse(lines))
            times["file"].append(from_file(path, Path(folder), repeat))
            times["receiver"].append(receiver(bodies, Path(folder), repeat, args.spans))
    raw, file, received = (statistics.median(times[key]) for key in ("raw", "file", "receiver"))
    size = sum(len(line) for line in lines) / 1e6
    print(
        f"{args.spans} GenAI spans with content, {len(made)} exports of {args.batch},"
        f" {size:.1f} MB of OTLP JSON"
    )
    print(f"{'case':<52}{'seconds':>9}{'spans/s':>10}{'vs raw parse':>14}")
    print("-" * 85)
    for name, value in (
        ("raw OTLP JSON parse (json.loads), the baseline", raw),
        ("fieldeval.collect, a JSON file into a new store", file),
        ("fieldeval collect receiver, protobuf over HTTP", received),
    ):
        ratio = "-" if value is raw else f"{value / raw:.1f}x"
        print(f"{name:<52}{value:>9.3f}{args.spans / value:>10,.0f}{ratio:>14}")
    print(
        "\nranges (min-max s): "
        + ", ".join(f"{k} {min(v):.3f}-{max(v):.3f}" for k, v in times.items())
    )


if __name__ == "__main__":
    main()
