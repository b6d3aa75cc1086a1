"""End to end with clients nobody here wrote: an app on the `openai` SDK, instrumented by
OpenTelemetry's openai-v2 and by OpenInference, exports its spans with the real OTLP/HTTP
exporter to `fieldeval collect`; the calls are sampled, run, graded and weighted back to
production, and the weighted estimate lands nearer the truth than the eval set's own rate."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from tests.doubles.collector import collecting
from tests.doubles.fixtures import start_server

import fieldeval
from fieldeval.store import Store
from fieldeval.store.production_store import ProductionStore

APP = Path(__file__).with_name("support_app.py")
SHORT = 60  # the suite's check: a reply of at most this many characters passes

# Production traffic: billing is common and answered briefly; legal is rare and answered at
# length (so it fails the check); two billing questions come back again and again. Every
# question is worded its own way, so that none is a near-duplicate of another.
BILLING = [
    f"[[reply:{reply}]] {question}"
    for reply, question in [
        ("Refunds take five days.", "Why was I charged twice this month?"),
        ("We reversed the fee.", "There is a late fee on my statement that I never agreed to"),
        ("Your plan renews yearly.", "When does my subscription renew and how much is it"),
        ("Invoices are under Billing.", "How do I download last year's invoices for my taxes"),
        ("We accept Visa and Amex.", "Which credit cards can I pay with?"),
        ("Proration applies.", "If I upgrade mid-cycle, do I pay the full price"),
        ("Coupons apply at checkout.", "My discount code did not work at the checkout page"),
        ("VAT is shown per line.", "Please explain the VAT charged on invoice number seven"),
        ("We can split payments.", "Can the bill be paid in instalments over three months"),
        ("Your card was declined.", "Payment failed again even though my bank says all fine"),
        ("Receipts go to your email.", "I never received a receipt for yesterday's purchase"),
        ("Cancel from Settings.", "How can I stop paying for the premium tier right now"),
    ]
]
SHIPPING = [
    f"[[reply:{reply}]] {question}"
    for reply, question in [
        ("It ships tomorrow.", "My order still shows processing after a week, what gives"),
        ("Tracking is in your email.", "Where can I find the tracking number for my parcel"),
        ("We ship to Canada.", "Do you deliver to addresses outside the United States"),
        ("Express takes two days.", "How fast is express delivery compared with standard"),
        ("We will resend it.", "The courier says delivered but nothing arrived at my door"),
        ("Returns are free.", "Who pays the postage when I send back a wrong size"),
        ("Change it in Orders.", "I typed the wrong street name, can the address change"),
        ("Customs fees are yours.", "Why did the carrier ask me for import duties on arrival"),
    ]
]
LEGAL = [
    f"[[reply:{question} We will answer in writing, with the records concerned, within thirty"
    f" days of your written request.]] {question}"
    for question in [
        "Delete every piece of personal data you hold about me under the erasure right.",
        "Send me a full export of my account history, in a portable machine-readable format.",
        "I object to profiling for marketing; stop using my purchases to target adverts.",
        "Who is your data protection officer, and how do I lodge a formal complaint?",
        "Was my information part of the breach reported in the newspapers last spring?",
    ]
]
REPEATED = [BILLING[0]] * 6 + [BILLING[1]] * 4


def _questions() -> list[dict[str, str]]:
    routed = (
        [("billing", text) for text in BILLING + REPEATED]
        + [("shipping", text) for text in SHIPPING]
        + [("legal", text) for text in LEGAL]
    )
    # Interleaved, so both instrumentations see every route.
    return [{"route": route, "text": text} for route, text in routed]


def _run_app(base_url: str, endpoint: str, instrumentation: str, questions: list[dict[str, str]]):
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        # Message content on the spans, as the GenAI conventions' latest version puts it.
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY",
        "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    if instrumentation == "genai-events":
        # The instrumentation's own default: content in log events, apart from the spans.
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
        del env["OTEL_SEMCONV_STABILITY_OPT_IN"]
    done = subprocess.run(
        [sys.executable, str(APP), base_url, instrumentation],
        input="".join(json.dumps(q) + "\n" for q in questions),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("production")
    db = f"sqlite:///{folder / 'store.db'}"
    questions = _questions()
    with start_server() as model, collecting(db) as collector:
        sent = _run_app(model.url, collector.endpoint, "genai", questions[0::2])
        sent += _run_app(model.url, collector.endpoint, "openinference", questions[1::2])
    return folder, db, questions, sent


def test_the_collected_records_are_what_the_app_sent(collected) -> None:
    _, db, questions, sent = collected
    store = Store.open(db)
    try:
        records = list(ProductionStore(store).records())
    finally:
        store.close()
    assert len(records) == len(questions)
    assert Counter(r.source for r in records) == {
        "otlp": len(questions[0::2]),
        "openinference": len(questions[1::2]),
    }
    route_of = {q["text"]: q["route"] for q in questions}
    assert Counter((r.input, r.output) for r in records) == Counter(
        (call["text"], call["reply"]) for call in sent
    )
    for record in records:
        assert record.messages[0] == {"role": "system", "content": "Answer the customer briefly."}
        assert record.model == "gpt-4o-mini"
        assert record.attributes["app.route"] == route_of[record.input]  # from the parent span
        assert record.attributes["service.name"] == "support-bot"  # from the resource
        assert record.input_tokens and record.output_tokens
        assert record.latency_ms is not None and record.latency_ms > 0
        assert record.error is None


def test_sampled_run_graded_and_weighted_back_to_production(collected) -> None:
    folder, db, questions, sent = collected
    sampled = fieldeval.sample(
        folder / "evalset.jsonl", n=16, by=["app.route"], min_per_stratum=5, seed=3, db=db
    )
    drawn = {s.name: s for s in sampled.sample.strata}
    assert drawn["app.route=legal"].drawn == len(LEGAL)  # the rare route, oversampled to all
    assert drawn["app.route=billing"].calls == len(BILLING) + len(REPEATED)
    assert drawn["app.route=billing"].inputs == len(BILLING)  # the repeats are one input each
    suite = folder / "suite.yaml"
    suite.write_text(
        "task:\n  name: support\n  description: Answer customers briefly.\n"
        '  prompt: "{{ input }}"\n'
        + sampled.suite_lines
        + f"checks:\n  - type: max_chars\n    id: brief\n    value: {SHORT}\n",
        encoding="utf-8",
    )
    result = fieldeval.evaluate(suite, db=db)
    estimate = result.production
    assert estimate is not None
    production = estimate.of("production")
    assert production is not None
    # The truth: every production call graded by the same check.
    truth = sum(len(call["reply"]) <= SHORT for call in sent) / len(sent)
    weighted = production.weighted
    assert weighted.low <= truth <= weighted.high
    assert abs(weighted.value - truth) < abs(production.plain - truth)
    assert production.plain < truth  # the oversampled legal route fails: unweighted is low
    assert estimate.calls == pytest.approx(len(questions))  # the weights add up to the traffic


def test_content_logged_as_events_apart_from_the_spans_is_joined(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    questions = _questions()[:12]
    with start_server() as model, collecting(db) as collector:
        sent = _run_app(model.url, collector.endpoint, "genai-events", questions)
        # Every export was answered before the app exited, so each has printed its line.
        calls = events = 0
        lines = []
        while calls < len(questions) or events < 3 * len(questions):
            lines.append(collector.next_line())
            found = re.search(r"(\d+) model calls? read", lines[-1])
            calls += int(found.group(1)) if found else 0
            found = re.search(r"(\d+) GenAI log events read", lines[-1])
            events += int(found.group(1)) if found else 0
    # Spans and log events (system, user, choice per call) came in exports of their own.
    assert (calls, events) == (len(questions), 3 * len(questions))
    assert any("without message content on the span" in line for line in lines)
    sampled = fieldeval.sample(tmp_path / "evalset.jsonl", n=12, db=db)
    rows = [json.loads(line) for line in sampled.path.read_text(encoding="utf-8").splitlines()]
    assert Counter((row["input"], row["production_output"]) for row in rows) == Counter(
        (call["text"], call["reply"]) for call in sent
    )
    assert all(row["production_messages"][0]["role"] == "system" for row in rows)


def test_apps_exporting_at_once_lose_nothing(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    db = f"sqlite:///{tmp_path / 'store.db'}"
    questions = _questions()
    parts = [questions[0::3], questions[1::3], questions[2::3]]
    kinds = ["genai", "openinference", "genai-events"]
    with start_server() as model, collecting(db) as collector, ThreadPoolExecutor(3) as pool:
        runs = pool.map(
            lambda job: _run_app(model.url, collector.endpoint, *job),
            zip(kinds, parts, strict=True),
        )
        sent = [call for calls in runs for call in calls]
    records = fieldeval.sample(tmp_path / "all.jsonl", n=len(questions), db=db).sample
    assert records.records == len(questions) and records.unusable == 0
    assert len(sent) == len(questions)
