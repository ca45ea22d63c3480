"""Drop the LIKE index Django adds beside the unique index on AuditEvent.hash (PostgreSQL).

Django gives every unique or indexed text column on PostgreSQL a second index in
varchar_pattern_ops, for `LIKE 'prefix%'`. Nothing looks a hash up by its prefix (verifying
walks the chain by sequence), and a hash is random, so each new event lands on a random page of
that index: a third of the time of writing 10,000 events at once (adding a centre's learners to
a claim), and a page written on every event. The unique index stays. Django makes the LIKE
index again only if the field is altered.
"""

from typing import Any

from django.db import migrations


def _like_index(schema_editor: Any, apps: Any) -> str:
    model = apps.get_model("core", "AuditEvent")
    return schema_editor._create_index_name(model._meta.db_table, ["hash"], suffix="_like")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {_like_index(schema_editor, apps)}")


def restore(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_like_index(schema_editor, apps)} "
            "ON core_auditevent (hash varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_sequence_and_chain_head")]

    operations = [migrations.RunPython(drop, restore, elidable=False)]
