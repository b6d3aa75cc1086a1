"""turn outputs: a conversation replayed turn by turn, each reply and its checks

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_outputs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.String(length=200), nullable=False),
        sa.Column("example_id", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("error_kind", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_turn_outputs_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_outputs")),
        sa.UniqueConstraint(
            "run_id", "candidate_id", "example_id", "repeat", "turn", name="uq_turn_outputs_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("turn_outputs")
