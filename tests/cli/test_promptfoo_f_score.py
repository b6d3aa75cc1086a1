"""promptfoo's own f-score example (IMDB sentiment), imported and run: fieldeval's
classification view reproduces the precision, recall, F1 and accuracy promptfoo derives
from its confusion-cell asserts, on the same outputs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from ruamel.yaml import YAML
from tests.cli.test_cli import fieldeval
from tests.doubles.fixtures import start_server

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "peer-suites" / "promptfoo-f-score"
# The fake model's rule: a review holding one of these words is positive, else negative.
POSITIVE_WORDS = ("fantastic", "love", "funny", "amazing", "good")


def _promptfoo_metrics() -> dict[str, float | int]:
    """promptfoo's derivedMetrics, computed as its config does from its four cell asserts."""
    with (SOURCE / "imdb_eval_sample.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    said = [
        "positive" if any(w in row["text"].lower() for w in POSITIVE_WORDS) else "negative"
        for row in rows
    ]
    truth = [row["sentiment"] for row in rows]
    pairs = list(zip(said, truth, strict=True))
    tp = pairs.count(("positive", "positive"))
    fp = pairs.count(("positive", "negative"))
    fn = pairs.count(("negative", "positive"))
    tn = pairs.count(("negative", "negative"))
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "n": len(rows),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1_score": 2 * tp / (2 * tp + fp + fn),
        "accuracy_score": (tp + tn) / (tp + tn + fp + fn),
    }


def test_the_f_score_example_reproduces_promptfoo_s_derived_metrics(tmp_path: Path) -> None:
    imported = fieldeval(tmp_path, "import", "promptfoo", str(SOURCE), "--out", "imdb")
    assert imported.returncode == 0, imported.stderr
    out = imported.stdout
    assert "everything was carried over" in out
    assert "reference `sentiment`, labels read from the output's JSON field `sentiment`" in out
    assert "config.response_format -> gpt-4o-mini params.response_format" in out
    for name in ("precision", "recall", "f1_score", "accuracy_score"):
        assert f"derivedMetrics {name} -> the classification view" in out

    expected = _promptfoo_metrics()
    # The rule errs both ways, and unevenly: precision (6/9), recall (6/8) and F1 all differ.
    assert expected["fp"] != expected["fn"] and expected["fn"] > 0
    config = {
        "classify": {
            "field": "sentiment",
            "rules": [[word, "positive"] for word in POSITIVE_WORDS],
            "default": "negative",
        }
    }
    with start_server("--config", json.dumps(config)) as server:
        yaml = YAML()
        path = tmp_path / "imdb" / "suite.yaml"
        suite = yaml.load(path)
        suite["candidates"][0]["base_url"] = server.url
        suite["candidates"][0]["api_key_env"] = None  # the test server takes no key
        yaml.dump(suite, path)
        done = fieldeval(tmp_path, "run", str(path), "--db", str(tmp_path / "f.db"), timeout=120)
        assert done.returncode == 0, done.stderr
        # The prompt's response_format reached the model on every call.
        assert server.stats()["response_formats"] == {"json_schema": expected["n"]}

    text = done.stdout
    assert "2 labels, declared in the suite; each output's JSON field `sentiment` is read" in text
    tp, fp, fn, n = expected["tp"], expected["fp"], expected["fn"], expected["n"]
    positive = next(
        line for line in text.splitlines() if line.startswith("│ positive") and "/" in line
    )
    precision, recall, f1 = (cell.strip() for cell in positive.strip("│").split("│")[2:5])
    assert f"{100 * expected['precision']:.0f}%" in precision and f"({tp}/{tp + fp})" in precision
    assert f"{100 * expected['recall']:.0f}%" in recall and f"({tp}/{tp + fn})" in recall
    assert f1.startswith(f"{expected['f1_score']:.2f} [")
    accuracy = re.search(r"gpt-4o-mini: accuracy (\d+)% \[[^]]+\] \((\d+)/(\d+)\)", text)
    assert accuracy is not None
    correct = round(expected["accuracy_score"] * n)
    assert (int(accuracy[2]), int(accuracy[3])) == (correct, n)
    # promptfoo's `accuracy` assert became a check on the JSON field: the same count passes.
    assert re.search(rf"│ accuracy\s+│\s+{n - correct}/{n} │", text)
