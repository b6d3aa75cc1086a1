"""grading: criteria, grades, side-by-side grades, judge calls

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_settings",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_settings")),
    )
    op.create_table(
        "criteria",
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("criterion_id", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_criteria")),
    )
    op.create_table(
        "judge_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("judge_id", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=80), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("cached_input_tokens", sa.Integer(), nullable=True),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=True),
        sa.Column("usage_estimated", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_kind", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_calls")),
    )
    with op.batch_alter_table("judge_calls", schema=None) as batch_op:
        batch_op.create_index("ix_judge_calls_request_hash", ["request_hash"], unique=False)
        batch_op.create_index("ix_judge_calls_run_id", ["run_id"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.String(length=200), nullable=False),
        sa.Column("example_id", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=200), nullable=False),
        sa.Column("criterion_version", sa.String(length=80), nullable=False),
        sa.Column("grader", sa.String(length=200), nullable=False),
        sa.Column("grader_kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("judge_call_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_version"],
            ["criteria.version"],
            name=op.f("fk_grades_criterion_version_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["judge_call_id"], ["judge_calls.id"], name=op.f("fk_grades_judge_call_id_judge_calls")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_grades_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grades")),
        sa.UniqueConstraint(
            "run_id",
            "candidate_id",
            "example_id",
            "repeat",
            "criterion_id",
            "criterion_version",
            "grader",
            name="uq_grades_key",
        ),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index(
            "ix_grades_run_id_criterion_id", ["run_id", "criterion_id"], unique=False
        )

    op.create_table(
        "pair_grades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("example_id", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=200), nullable=False),
        sa.Column("criterion_version", sa.String(length=80), nullable=False),
        sa.Column("grader", sa.String(length=200), nullable=False),
        sa.Column("grader_kind", sa.String(length=20), nullable=False),
        sa.Column("left_candidate", sa.String(length=200), nullable=False),
        sa.Column("right_candidate", sa.String(length=200), nullable=False),
        sa.Column("winner", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("judge_call_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_version"],
            ["criteria.version"],
            name=op.f("fk_pair_grades_criterion_version_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["judge_call_id"],
            ["judge_calls.id"],
            name=op.f("fk_pair_grades_judge_call_id_judge_calls"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pair_grades_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_grades")),
        sa.UniqueConstraint(
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
    op.create_table(
        "grade_edits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("old_value", sa.Integer(), nullable=True),
        sa.Column("old_note", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["grades.id"],
            name=op.f("fk_grade_edits_grade_id_grades"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_edits")),
    )
    op.create_table(
        "failure_labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.String(length=200), nullable=False),
        sa.Column("example_id", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("mode_id", sa.String(length=200), nullable=False),
        sa.Column("labeller", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_failure_labels_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failure_labels")),
        sa.UniqueConstraint(
            "run_id",
            "candidate_id",
            "example_id",
            "repeat",
            "mode_id",
            "labeller",
            name="uq_failure_labels_key",
        ),
    )


def downgrade() -> None:
    op.drop_table("failure_labels")
    op.drop_table("store_settings")
    op.drop_table("grade_edits")
    op.drop_table("pair_grades")
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index("ix_grades_run_id_criterion_id")

    op.drop_table("grades")
    with op.batch_alter_table("judge_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_judge_calls_run_id")
        batch_op.drop_index("ix_judge_calls_request_hash")

    op.drop_table("judge_calls")
    op.drop_table("criteria")
