"""edge outcomes: how each reply to an edge case was graded, and by which oracle

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edge_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.String(length=200), nullable=False),
        sa.Column("example_id", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("original_id", sa.String(length=200), nullable=False),
        sa.Column("generator", sa.String(length=100), nullable=False),
        sa.Column("expect", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("oracle", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("judge_call_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["judge_call_id"],
            ["judge_calls.id"],
            name=op.f("fk_edge_outcomes_judge_call_id_judge_calls"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_edge_outcomes_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_outcomes")),
        sa.UniqueConstraint(
            "run_id", "candidate_id", "example_id", "repeat", name="uq_edge_outcomes_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("edge_outcomes")
