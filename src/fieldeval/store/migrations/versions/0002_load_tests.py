"""load tests: load runs, their levels and every request they sent

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "load_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("suite_name", sa.String(length=200), nullable=False),
        sa.Column("suite_path", sa.Text(), nullable=False),
        sa.Column("candidate_id", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("candidate_config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fieldeval_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_runs")),
    )
    with op.batch_alter_table("load_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_load_runs_suite_name_started_at", ["suite_name", "started_at"], unique=False
        )

    op.create_table(
        "load_levels",
        sa.Column("load_run_id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("max_concurrency", sa.Integer(), nullable=True),
        sa.Column("started_ms", sa.Float(), nullable=False),
        sa.Column("steady_start_ms", sa.Float(), nullable=False),
        sa.Column("steady_end_ms", sa.Float(), nullable=False),
        sa.Column("ended_ms", sa.Float(), nullable=False),
        sa.Column("client_lag_ms", sa.JSON(), nullable=False),
        sa.Column("client_cpu_fraction", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_run_id"], ["load_runs.id"], name=op.f("fk_load_levels_load_run_id_load_runs")
        ),
        sa.PrimaryKeyConstraint("load_run_id", "level", name=op.f("pk_load_levels")),
    )
    op.create_table(
        "load_requests",
        sa.Column("load_run_id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("intended_ms", sa.Float(), nullable=True),
        sa.Column("sent_ms", sa.Float(), nullable=False),
        sa.Column("first_byte_ms", sa.Float(), nullable=True),
        sa.Column("first_token_ms", sa.Float(), nullable=True),
        sa.Column("end_ms", sa.Float(), nullable=True),
        sa.Column("chunk_times_ms", sa.JSON(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("tokens_estimated", sa.Boolean(), nullable=False),
        sa.Column("error_kind", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_run_id", "level"],
            ["load_levels.load_run_id", "load_levels.level"],
            name=op.f("fk_load_requests_load_run_id_load_levels"),
        ),
        sa.PrimaryKeyConstraint(
            "load_run_id", "level", "worker", "seq", name=op.f("pk_load_requests")
        ),
    )


def downgrade() -> None:
    op.drop_table("load_requests")
    op.drop_table("load_levels")
    with op.batch_alter_table("load_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_load_runs_suite_name_started_at")

    op.drop_table("load_runs")
