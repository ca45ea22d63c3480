"""Number the audit events 1, 2, 3, … in the order they were chained (primary key order until
now: appends were serialised by the lock on the last row, and where concurrent writers broke
that, pk order is still the order they were written in) and start the one-row chain head at the
newest event."""

from django.db import migrations, models

GENESIS = "0" * 64
BATCH = 2000


def number_events(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    batch = []
    sequence = 0
    last_hash = GENESIS
    # In batches, so a long trail migrates in flat memory.
    for event in AuditEvent.objects.order_by("pk").only("pk", "hash").iterator(chunk_size=BATCH):
        sequence += 1
        event.sequence = sequence
        last_hash = event.hash
        batch.append(event)
        if len(batch) == BATCH:
            AuditEvent.objects.bulk_update(batch, ["sequence"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["sequence"])
    AuditChainHead.objects.update_or_create(pk=1, defaults={"sequence": sequence, "hash": last_hash})


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="core_one_chain_head")
                ],
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RunPython(number_events, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["sequence"]},
        ),
    ]
