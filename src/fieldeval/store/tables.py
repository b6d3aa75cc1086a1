"""The store's tables. Every number a report shows can be recomputed from these rows."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

datasets = Table(
    "datasets",
    metadata,
    Column("hash", String(80), primary_key=True),
    Column("path", Text, nullable=False),
    Column("n_examples", Integer, nullable=False),
    Column("source_rows", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

examples = Table(
    "examples",
    metadata,
    Column("dataset_hash", String(80), ForeignKey("datasets.hash"), primary_key=True),
    Column("example_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("input", Text, nullable=False),
    Column("reference", Text),
    Column("fields", JSON, nullable=False),
    Column("slices", JSON, nullable=False),
    Column("source", Text),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("suite_name", String(200), nullable=False),
    Column("suite_path", Text, nullable=False),
    Column("suite_hash", String(80), nullable=False),
    Column("suite", JSON, nullable=False),
    Column("dataset_hash", String(80), ForeignKey("datasets.hash"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("repeats", Integer, nullable=False, default=1),
    Column("n_planned", Integer, nullable=False),
    Column("fieldeval_version", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_runs_suite_name_started_at", "suite_name", "started_at"),
)

run_candidates = Table(
    "run_candidates",
    metadata,
    Column("run_id", String(40), ForeignKey("runs.id"), primary_key=True),
    Column("candidate_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("config", JSON, nullable=False),  # the suite's candidate entry; never a key value
    Column("config_hash", String(80), nullable=False),
    # The price snapshot the candidate is billed at (providers.price_table.PriceSnapshot);
    # None when it has none, and in runs stored before prices were kept.
    Column("price", JSON),
)

outputs = Table(
    "outputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("example_id", String(200), nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("text", Text),  # None when the call failed
    Column("finish_reason", String(40)),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("cached_input_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("usage_estimated", Boolean, nullable=False, default=False),
    Column("latency_ms", Float),
    Column("ttft_ms", Float),
    Column("chunk_times_ms", JSON),
    Column("model_reported", String(200)),
    Column("error_kind", String(40)),
    Column("error_message", Text),
    Column("attempts", Integer, nullable=False, default=1),
    Column("from_cache", Boolean, nullable=False, default=False),
    Column("request_hash", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(
        ["run_id", "candidate_id"], ["run_candidates.run_id", "run_candidates.candidate_id"]
    ),
    UniqueConstraint("run_id", "candidate_id", "example_id", "repeat"),
    Index("ix_outputs_request_hash", "request_hash"),  # the response cache looks up by it
)

check_results = Table(
    "check_results",
    metadata,
    Column("output_id", Integer, ForeignKey("outputs.id", ondelete="CASCADE"), primary_key=True),
    Column("check_id", String(200), primary_key=True),
    Column("passed", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("score", Float),
    # False: a metric-only check, measured but not part of the output's pass.
    Column("decides", Boolean, nullable=False, server_default=true()),
)

# -- load tests ---------------------------------------------------------------------------
# A load run drives one candidate through a sweep of levels; every request it sent is a row,
# so each latency and throughput figure is recomputed from these, never stored as a summary.
# Times are milliseconds on the run's own monotonic clock (0 = the start of the sweep).

load_runs = Table(
    "load_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("suite_name", String(200), nullable=False),
    Column("suite_path", Text, nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("spec", JSON, nullable=False),  # the suite's load section as run, overrides applied
    Column("candidate_config", JSON, nullable=False),  # the suite's entry; never a key value
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("fieldeval_version", String(40), nullable=False),
    Index("ix_load_runs_suite_name_started_at", "suite_name", "started_at"),
)

load_levels = Table(
    "load_levels",
    metadata,
    Column("load_run_id", String(40), ForeignKey("load_runs.id"), primary_key=True),
    Column("level", Integer, primary_key=True),  # index in the sweep
    Column("label", String(100), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("users", Integer),
    Column("rate", Float),
    Column("max_concurrency", Integer),
    Column("started_ms", Float, nullable=False),
    Column("steady_start_ms", Float, nullable=False),
    Column("steady_end_ms", Float, nullable=False),
    Column("ended_ms", Float, nullable=False),
    Column("client_lag_ms", JSON, nullable=False),
    Column("client_cpu_fraction", Float, nullable=False),
)

load_requests = Table(
    "load_requests",
    metadata,
    Column("load_run_id", String(40), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("worker", String(200), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("phase", String(10), nullable=False),
    Column("intended_ms", Float),
    Column("sent_ms", Float, nullable=False),
    Column("first_byte_ms", Float),
    Column("first_token_ms", Float),
    Column("end_ms", Float),
    Column("chunk_times_ms", JSON, nullable=False),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("tokens_estimated", Boolean, nullable=False),
    Column("error_kind", String(40)),
    ForeignKeyConstraint(
        ["load_run_id", "level"], ["load_levels.load_run_id", "load_levels.level"]
    ),
)

# -- grading ------------------------------------------------------------------------------
# Grades by people and by the judge, long format: one row per output, criterion version and
# grader. Every agreement, calibration and rubric pass rate is recomputed from these rows.

store_settings = Table(
    "store_settings",
    metadata,
    # Per-store values, e.g. the secret that keys blind grading items.
    Column("name", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

criteria = Table(
    "criteria",
    metadata,
    Column("version", String(80), primary_key=True),  # the hash of what graders read
    Column("criterion_id", String(200), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

judge_calls = Table(
    "judge_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False),  # the run whose grading first made the call
    Column("judge_id", String(200), nullable=False),
    Column("request_hash", String(80), nullable=False),
    Column("request", JSON, nullable=False),  # messages and params; never a key value
    Column("response_text", Text),
    Column("parsed", JSON),  # the strictly parsed answer; None when none could be parsed
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("cached_input_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("usage_estimated", Boolean, nullable=False, default=False),
    Column("latency_ms", Float),
    Column("cost_usd", Float),
    Column("attempts", Integer, nullable=False, default=1),
    Column("error_kind", String(40)),
    Column("error_message", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_judge_calls_request_hash", "request_hash"),
    Index("ix_judge_calls_run_id", "run_id"),
)

grades = Table(
    "grades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("example_id", String(200), nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("criterion_id", String(200), nullable=False),
    Column("criterion_version", String(80), ForeignKey("criteria.version"), nullable=False),
    Column("grader", String(200), nullable=False),
    Column("grader_kind", String(20), nullable=False),  # human, judge, adjudicated
    Column("value", Integer),  # 1 pass / 0 fail, or the scale's level; None is n/a
    Column("note", Text),
    Column("judge_call_id", Integer, ForeignKey("judge_calls.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "run_id",
        "candidate_id",
        "example_id",
        "repeat",
        "criterion_id",
        "criterion_version",
        "grader",
        name="uq_grades_key",  # the convention's name is too long for PostgreSQL
    ),
    Index("ix_grades_run_id_criterion_id", "run_id", "criterion_id"),
)

grade_edits = Table(
    "grade_edits",
    metadata,
    # The audit trail: what a grade was before a grader changed it.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("grade_id", Integer, ForeignKey("grades.id", ondelete="CASCADE"), nullable=False),
    Column("old_value", Integer),
    Column("old_note", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

pair_grades = Table(
    "pair_grades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("example_id", String(200), nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("criterion_id", String(200), nullable=False),
    Column("criterion_version", String(80), ForeignKey("criteria.version"), nullable=False),
    Column("grader", String(200), nullable=False),
    Column("grader_kind", String(20), nullable=False),
    Column("left_candidate", String(200), nullable=False),  # as shown: logged for position bias
    Column("right_candidate", String(200), nullable=False),
    Column("winner", String(10), nullable=False),  # left, right, tie
    Column("note", Text),
    Column("judge_call_id", Integer, ForeignKey("judge_calls.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "run_id",
        "example_id",
        "repeat",
        "criterion_id",
        "criterion_version",
        "grader",
        "left_candidate",
        "right_candidate",
        name="uq_pair_grades_key",
    ),
)

failure_labels = Table(
    "failure_labels",
    metadata,
    # Failure modes assigned to an output by a person (open coding, then categories) or the
    # judge. Modes tied to a check or a criterion are derived, never stored here.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("example_id", String(200), nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("mode_id", String(200), nullable=False),
    Column("labeller", String(200), nullable=False),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "run_id",
        "candidate_id",
        "example_id",
        "repeat",
        "mode_id",
        "labeller",
        name="uq_failure_labels_key",
    ),
)

edge_outcomes = Table(
    "edge_outcomes",
    metadata,
    # How each reply to an edge case was graded: correct, graceful or catastrophic, which
    # kind (the outcome class), and which oracle decided it. A clean original checked for
    # over-refusal is a row too: generator "clean", expect "do_task", outcome "answered"
    # or "over_refusal".
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("example_id", String(200), nullable=False),  # the variant's id
    Column("repeat", Integer, nullable=False, default=0),
    Column("original_id", String(200), nullable=False),
    Column("generator", String(100), nullable=False),
    Column("expect", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("oracle", String(20), nullable=False),  # canary, secret, language, invented, ...
    Column("reason", Text, nullable=False),
    Column("judge_call_id", Integer, ForeignKey("judge_calls.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "candidate_id", "example_id", "repeat", name="uq_edge_outcomes_key"),
)

turn_outputs = Table(
    "turn_outputs",
    metadata,
    # A multi-turn conversation replayed turn by turn (`fieldeval edges SUITE --turns`):
    # the model's reply at user turn `turn` (1-based), given the conversation's own
    # history up to it, and the suite's checks on that reply ({check_id: passed}).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("candidate_id", String(200), nullable=False),
    Column("example_id", String(200), nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("turn", Integer, nullable=False),
    Column("text", Text),
    Column("checks", JSON, nullable=False),
    Column("error_kind", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "run_id", "candidate_id", "example_id", "repeat", "turn", name="uq_turn_outputs_key"
    ),
)


def all_tables() -> MetaData:
    """`metadata` with every table registered, the production ones too (their own module)."""
    from fieldeval.store import production_tables  # noqa: F401  (defining them registers them)

    return metadata
