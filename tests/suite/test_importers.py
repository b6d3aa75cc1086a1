"""`fieldeval import`'s importers on other tools' own suites (tests/fixtures/peer-suites/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldeval.checks import compile_checks
from fieldeval.checks.compiler import run_checks
from fieldeval.data.dataset import load_dataset
from fieldeval.errors import DataError, UserError
from fieldeval.importers import ImportResult, import_suite, write_import
from fieldeval.runner.plan import request_for
from fieldeval.suite.loader import LoadedSuite, load_suite

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PEERS = FIXTURES / "peer-suites"


def written(result: ImportResult, tmp_path: Path) -> LoadedSuite:
    """Write the import, load it as `fieldeval validate` does, render every prompt."""
    loaded = load_suite(write_import(result, tmp_path / "out", force=False))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    assert len(dataset) == len(result.rows)
    for candidate in loaded.suite.candidates:
        for example in dataset.examples:
            request_for(loaded.suite, candidate, example)
    return loaded


def skipped(result: ImportResult) -> dict[str, str]:
    return {item.what: item.reason for item in result.not_carried}


def check_results(loaded: LoadedSuite, outputs: dict[str, str]) -> dict[str, list[bool]]:
    """Each example's check outcomes (by check id) on the given output per example id."""
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    checks = compile_checks(loaded.suite.checks, base_dir=loaded.base_dir)
    out: dict[str, list[bool]] = {}
    for example in dataset.examples:
        for one in run_checks(checks, outputs.get(example.id, ""), example, "any"):
            out.setdefault(one.check_id, []).append(one.passed)
    return out


# --- promptfoo -------------------------------------------------------------------------


def test_promptfoo_customer_support_rubric(tmp_path: Path) -> None:
    result = import_suite("promptfoo", PEERS / "promptfoo-customer-support-rubric")
    loaded = written(result, tmp_path)
    suite = loaded.suite

    assert len(result.rows) == 8  # the CSV's rows
    assert suite.task.prompt.template == "{{reply}}"
    # The five llm-rubric asserts became five criteria named by their metrics.
    assert [c.id for c in suite.rubric] == [
        "correct",
        "resolved",
        "honest",
        "handoff",
        "language_fit",
    ]
    assert suite.rubric[0].question.startswith("The support agent's reply is factually correct")
    assert suite.judge is not None
    assert suite.judge.candidate == {
        "id": "judge-gpt-4.1-mini",
        "provider": "openai",
        "model": "gpt-4.1-mini",
    }
    # __metadata:severity became a field and a slice; __description a field.
    assert suite.dataset.slices == ("severity",)
    assert result.rows[0]["severity"] == "high"
    assert result.rows[0]["description"] == "ES refund ticket answered in Spanish"
    assert suite.dataset.input == "customer_message"  # the var the rubric text names most
    # echo answers with its rendered prompt: `cat` of the prompt does the same.
    (echo,) = suite.candidates
    assert (echo.id, echo.provider) == ("mock-support-assistant", "command")
    assert echo.command == ("cat",)  # type: ignore[union-attr]

    not_carried = skipped(result)
    thresholds = [w for w in not_carried if w.endswith(": threshold 0.8")]
    assert len(thresholds) == 5
    assert "test threshold (3 tests)" in not_carried
    assert [r.get("threshold") for r in result.rows].count(0.0) == 3
    assert (
        "it does not see context"
        in not_carried["criterion correct: {{customer_message}}, {{context}}"]
    )
    assert "criterion language_fit: {{language}}" in not_carried
    assert len(not_carried) == 11


def test_promptfoo_handwritten_paths(tmp_path: Path) -> None:
    """Inline tests, a CSV with __expected, icontains, regex, javascript, several prompts."""
    result = import_suite("promptfoo", FIXTURES / "promptfoo-handwritten")
    loaded = written(result, tmp_path)
    suite = loaded.suite

    assert len(result.rows) == 4  # two inline tests and the CSV's two rows
    assert [c.id for c in suite.candidates] == [
        "gpt-4o-mini-p1",
        "gpt-4o-mini-p2",
        "claude-3-5-haiku-latest-p1",
        "claude-3-5-haiku-latest-p2",
    ]
    assert suite.candidates[0].params == {
        "temperature": 0,
        "max_tokens": 50,
        "response_format": {"type": "json_object"},
    }
    terse = suite.candidates[1].prompt
    assert terse is not None and terse.template == "Q: {{question}}\nA:"
    assert [str(c.id) for c in suite.checks] == [
        "contains",
        "not_contains",
        "expected-regex",
        "expected-contains",
    ]
    assert suite.checks[0].ignore_case  # type: ignore[union-attr]  # icontains
    assert [r["expected_regex"] for r in result.rows] == ["\\bParis\\b", "Tok(yo|io)", "", ""]

    # The checks render per example: the right answers pass, a wrong one fails.
    answers = {"test-1": "Paris.", "test-2": "Tokio", "test-3": "ROME", "test-4": "Madrid"}
    assert check_results(loaded, answers) == {
        "contains": [True, False, True, True],  # Tokio lacks "tokyo"
        "not_contains": [True, True, True, True],
        "expected-regex": [True, True, True, True],
        "expected-contains": [True, True, True, True],
    }
    assert check_results(loaded, {"test-3": "Milan"})["expected-contains"][2] is False

    not_carried = skipped(result)
    assert set(not_carried) == {
        "more_tests.csv:2 assert 1 (javascript)",
        "defaultTest assert 2 (javascript)",
        "defaultTest assert 3 (latency)",
        "check expected-regex on the 2 tests without that assert",
        "check expected-contains on the 3 tests without that assert",
        "per-test equals asserts (1 of 4 tests)",
        "per-test rubric (1 of 4 tests): Says that Tokyo is in Japan",
        "provider python:my_provider.py",
    }
    assert "JavaScript" in not_carried["defaultTest assert 2 (javascript)"]
    assert "fieldeval load" in not_carried["defaultTest assert 3 (latency)"]


def test_promptfoo_compact_expected_syntax() -> None:
    from fieldeval.importers.promptfoo.asserts import parse_compact

    assert parse_compact("icontains: rome") == {"type": "icontains", "value": "rome"}
    assert parse_compact("similar(0.8): hi") == {"type": "similar", "value": "hi", "threshold": 0.8}
    assert parse_compact("grade: is kind") == {"type": "llm-rubric", "value": "is kind"}
    assert parse_compact("fn: output.length")["type"] == "javascript"
    assert parse_compact("Answer: 42") == {"type": "equals", "value": "Answer: 42"}


# --- OpenAI Evals ----------------------------------------------------------------------


def test_openai_evals_diy_repair(tmp_path: Path) -> None:
    result = import_suite("openai-evals", PEERS / "openai-evals-diy-repair")
    loaded = written(result, tmp_path)
    suite = loaded.suite

    assert len(result.rows) == 30
    assert suite.task.name == "diy-repair"
    assert suite.task.description == "Test OpenAI ability over appliance repair manual"
    assert suite.task.prompt.conversation == "messages"
    assert [m["role"] for m in result.rows[0]["messages"]] == ["system", "user"]
    assert result.rows[0]["input"].startswith("True/False:")
    assert suite.dataset.reference == "ideal"
    # Match passes when the answer starts with the ideal.
    (match,) = suite.checks
    assert (match.type, match.value) == ("starts_with", "{{ ideal }}")  # type: ignore[union-attr]
    outcomes = check_results(loaded, {r["id"]: f"{r['ideal']}. Because" for r in result.rows})
    assert all(outcomes["match"])
    assert result.not_carried == []


def test_openai_evals_several_ideals_and_fuzzy_match(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "samples.jsonl").write_text(
        '{"input": "2+2?", "ideal": ["4", "four"]}\n{"input": "3+3?", "ideal": "6"}\n'
    )
    spec = "e:\n  id: e.v0\ne.v0:\n  class: evals.elsuite.basic.{}\n  args:\n    samples_jsonl: {}"
    (source / "e.yaml").write_text(spec.format("match:Match", "e/samples.jsonl"))
    loaded = written(import_suite("openai-evals", source / "e.yaml"), tmp_path)
    assert [str(c.id) for c in loaded.suite.checks] == ["match"]
    outcomes = check_results(loaded, {"samples-1": "four!", "samples-2": "7"})
    assert outcomes["match"] == [True, False]

    (source / "e.yaml").write_text(spec.format("fuzzy_match:FuzzyMatch", "samples.jsonl"))
    result = import_suite("openai-evals", source)
    assert [c["id"] for c in result.suite["rubric"]] == ["agrees-with-reference"]
    assert "no fuzzy-match" in skipped(result)["class evals.elsuite.basic.fuzzy_match:FuzzyMatch"]


# --- Inspect AI ------------------------------------------------------------------------


def test_inspect_security_guide_free_text(tmp_path: Path) -> None:
    result = import_suite("inspect", PEERS / "inspect-ai" / "security_guide.jsonl")
    suite = written(result, tmp_path).suite

    assert len(result.rows) == 16
    assert suite.task.prompt.conversation == "messages"  # message-list inputs
    assert result.rows[0]["input"] == "How do I prevent SQL Injection attacks?"
    assert suite.dataset.reference == "target"
    assert [c.id for c in suite.rubric] == ["agrees-with-reference"]
    assert suite.judge is not None and suite.judge.candidate == "local-gemma"
    assert suite.checks == ()
    assert "model_graded_qa is approximated" in skipped(result)["solver and scorer"]
    assert len(result.not_carried) == 1


def test_inspect_bias_detection_labels(tmp_path: Path) -> None:
    result = import_suite("inspect", PEERS / "inspect-ai" / "bias_detection.jsonl")
    loaded = written(result, tmp_path)
    suite = loaded.suite

    assert len(result.rows) == 100
    assert suite.dataset.slices == ("target",)
    assert [str(c.id) for c in suite.checks] == ["has-label"]
    assert suite.rubric == ()
    assert "[argument], [claim]" in suite.task.description
    outputs = {r["id"]: f"Label: {r['target'].upper()}" for r in result.rows}
    assert all(check_results(loaded, outputs)["has-label"])
    assert not any(check_results(loaded, {})["has-label"])
    assert "includes()" in skipped(result)["solver and scorer"]


def test_inspect_string_inputs_metadata_and_choices(tmp_path: Path) -> None:
    source = tmp_path / "mc.jsonl"
    rows = [
        {"input": "Pick one", "target": "A", "id": "q1", "choices": ["x", "y"],
         "metadata": {"topic": "t"}},
        {"input": "Pick two", "target": "B", "id": "q2", "choices": ["x", "y"],
         "metadata": {"topic": "u"}, "sandbox": "docker"},
    ]  # fmt: skip
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = import_suite("inspect", source)
    suite = written(result, tmp_path).suite
    assert suite.task.prompt.template == "{{ input }}"
    assert [r["topic"] for r in result.rows] == ["t", "u"]
    assert set(skipped(result)) == {
        "solver and scorer",
        "choices (2 samples)",
        "`sandbox` (1 samples)",
    }


def test_inspect_bad_line_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"input": "a", "target": "b"}\n{"input": "a", "target": \n')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: not valid JSON"):
        import_suite("inspect", source)


def test_inspect_folder_with_two_files_asks_for_one() -> None:
    with pytest.raises(UserError, match=r"2 fit: bias_detection\.jsonl, security_guide\.jsonl"):
        import_suite("inspect", PEERS / "inspect-ai")


# --- DeepEval --------------------------------------------------------------------------


def test_deepeval_goldens_csv(tmp_path: Path) -> None:
    result = import_suite("deepeval", PEERS / "deepeval")
    loaded = written(result, tmp_path)
    suite = loaded.suite

    assert len(result.rows) == 15
    first = result.rows[0]
    assert first["retrieval_context"] == ["Mountain heights list", "Moutain list"]
    assert first["context"] == ["Geography", "Mountains"]
    assert first["tools_called"] == [
        {"name": "mountain_lookup", "inputParameters": {"query": "tallest mountain"}}
    ]
    assert suite.dataset.reference == "expected_output"
    assert [c.id for c in suite.rubric] == ["agrees-with-reference"]
    # actual_output is graded as recorded: no model is called.
    (replay,) = suite.candidates
    assert replay.provider == "recorded"
    assert (replay.path, replay.output_field) == ("data.jsonl", "actual_output")  # type: ignore[union-attr]
    assert set(skipped(result)) == {
        "metrics",
        "context, retrieval_context",
        "tools_called, expected_tools",
    }


def test_deepeval_json_camel_case_and_bad_cell(tmp_path: Path) -> None:
    source = tmp_path / "goldens.json"
    goldens = [{"input": "hi", "expectedOutput": "hello", "additionalMetadata": {"lang": "en"}}]
    source.write_text(json.dumps(goldens))
    result = import_suite("deepeval", source)
    written(result, tmp_path)
    assert result.rows == [
        {"id": "golden-1", "input": "hi", "expected_output": "hello", "lang": "en"}
    ]
    assert result.suite["candidates"][0]["id"] == "local-gemma"

    bad = tmp_path / "bad.csv"
    bad.write_text('input,tools_called\nhi,"[{""name"": }]"\n')
    with pytest.raises(DataError, match=r"bad\.csv:2: column tools_called: not valid JSON"):
        import_suite("deepeval", bad)


# --- writing ---------------------------------------------------------------------------


def test_writing_refuses_to_overwrite_and_lists_the_losses(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_suite("promptfoo", PEERS / "promptfoo-customer-support-rubric", out)
    text = (out / "suite.yaml").read_text()
    assert text.startswith("# Imported by `fieldeval import promptfoo` from promptfooconfig.yaml")
    assert "#   - test threshold (3 tests):" in text
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(UserError, match="already exists"):
        write_import(result, out, force=False)
    write_import(result, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == before == ["data.jsonl", "suite.yaml"]


def test_promptfoo_weight_0_asserts_become_metric_only_checks(tmp_path: Path) -> None:
    source = tmp_path / "pf"
    source.mkdir()
    (source / "promptfooconfig.yaml").write_text(
        """\
prompts: ["Answer: {{q}}"]
providers: [echo]
defaultTest:
  assert:
    - {type: icontains, value: sorry, metric: apologises, weight: 0}
    - {type: contains, value: "{{q}}"}
tests:
  - vars: {q: one}
    assert: [{type: regex, value: "o.e", weight: 0}]
  - vars: {q: two}
    assert: [{type: regex, value: "t.o", weight: 0}]
""",
        encoding="utf-8",
    )
    result = import_suite("promptfoo", source)
    loaded = written(result, tmp_path / "out")
    checks = {str(c.id): c for c in loaded.suite.checks}
    assert checks["apologises"].metric_only and checks["apologises"].ignore_case  # type: ignore[attr-defined]
    assert not checks["contains"].metric_only
    (per_test,) = [c for c in checks.values() if c.type == "regex"]
    assert per_test.metric_only
    assert not [w for w in skipped(result) if "weight" in w]  # nothing about weights dropped
    # Their results do not decide the pass.
    compiled = compile_checks(loaded.suite.checks, base_dir=loaded.base_dir)
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    first = dataset.examples[0]
    found = run_checks(compiled, "Answer: one", first, loaded.suite.candidates[0].id)
    assert {r.check_id: (r.passed, r.decides) for r in found} == {
        "apologises": (False, False),
        "contains": (True, True),
        per_test.id: (True, False),
    }
