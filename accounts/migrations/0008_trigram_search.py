"""Trigram indexes for finding people by part of a name or e-mail (issue 15).

The people page, the registrations search and the learner / registration pickers test
`UPPER(column::text) LIKE UPPER('%q%')` (Django's icontains on PostgreSQL): a B-tree cannot
serve a pattern with a leading %, so each search read every user of the platform. pg_trgm's
GIN indexes on exactly those expressions can. PostgreSQL only: SQLite, the embedded default,
has neither the extension nor the index method, and its searches stay as they were. The
indexes live outside the model state (expression indexes with a vendor's operator class), so
`makemigrations` has nothing to say about them.
"""

from django.db import migrations

INDEXES = {
    "accounts_user_name_trgm": "UPPER((full_name)::text)",
    "accounts_user_email_trgm": "UPPER((email)::text)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Not django.contrib.postgres's TrigramExtension: unmigrating it asks pg_extension, which
    # SQLite has not. Unmigrating leaves the extension: something else may use it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_platform_indexes"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
