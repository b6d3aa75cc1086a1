"""run prices: the price snapshot each run's candidate is billed at

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_candidates", schema=None) as batch_op:
        batch_op.drop_column("price")
