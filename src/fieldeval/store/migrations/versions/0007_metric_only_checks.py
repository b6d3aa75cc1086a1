"""metric-only checks: a check result says whether it decided its output's pass

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every result stored before this decided its output's pass.
    with op.batch_alter_table("check_results") as batch:
        batch.add_column(
            sa.Column("decides", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("check_results") as batch:
        batch.drop_column("decides")
