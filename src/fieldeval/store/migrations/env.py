"""Alembic environment: migrations run on the connection fieldeval hands over."""

from alembic import context

from fieldeval.store.tables import all_tables

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=all_tables(),
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
