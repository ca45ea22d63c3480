# The claim tables take certification's names (certification_claimbatch, ...), as do their
# constraints, and their content types move from verification to certification: the permission
# rows and admin log entries that point at those content types follow them, so nothing is
# duplicated. The rows themselves are not touched. Audit events keep the object_type they were
# written with ("verification.claimbatch"): the chain hashes it, so core.models.LEGACY_OBJECT_TYPES
# lets readers find them under both names.

import django.db.models.functions.text
import django.db.models.lookups
from django.db import IntegrityError, migrations, models, transaction

MOVED = ("claimbatch", "claimhold", "claimline")


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        row = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if row is None:
            # A new database: post_migrate makes certification's once the migrations end.
            continue
        try:
            with transaction.atomic(using=db):
                ContentType.objects.using(db).filter(pk=row.pk).update(app_label=target)
        except IntegrityError:
            # The target's row exists already (made by a post_migrate run part-way through):
            # leave the old one for remove_stale_contenttypes, as Django's own model renames do.
            pass
    # Content types are cached per process: a stale cache would still name verification.
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def forwards(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "verification", "certification")


def backwards(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "certification", "verification")


class Migration(migrations.Migration):

    dependencies = [
        ('certification', '0001_initial'),
        # verification's state no longer holds the models whose tables are renamed here.
        ('verification', '0008_claims_moved_to_certification'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelTable(
            name='claimbatch',
            table=None,
        ),
        migrations.AlterModelTable(
            name='claimhold',
            table=None,
        ),
        migrations.AlterModelTable(
            name='claimline',
            table=None,
        ),
        migrations.RemoveConstraint(
            model_name='claimbatch',
            name='verification_claimbatch_reference_len',
        ),
        migrations.RemoveConstraint(
            model_name='claimbatch',
            name='verification_one_draft_claim_batch',
        ),
        migrations.RemoveConstraint(
            model_name='claimhold',
            name='verification_claimhold_reason_len',
        ),
        migrations.RemoveConstraint(
            model_name='claimhold',
            name='verification_claimhold_release_note_len',
        ),
        migrations.RemoveConstraint(
            model_name='claimhold',
            name='verification_hold_release_has_note',
        ),
        migrations.RemoveConstraint(
            model_name='claimline',
            name='verification_claimline_certificate_number_len',
        ),
        migrations.RemoveConstraint(
            model_name='claimline',
            name='verification_qualification_claimed_once',
        ),
        migrations.RemoveConstraint(
            model_name='claimline',
            name='verification_unit_claimed_once',
        ),
        migrations.AddConstraint(
            model_name='claimbatch',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reference'), 100), name='certification_claimbatch_reference_len'),
        ),
        migrations.AddConstraint(
            model_name='claimbatch',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'draft')), fields=('centre', 'awarding_body'), name='certification_one_draft_claim_batch'),
        ),
        migrations.AddConstraint(
            model_name='claimhold',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reason'), 4000), name='certification_claimhold_reason_len'),
        ),
        migrations.AddConstraint(
            model_name='claimhold',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('release_note'), 4000), name='certification_claimhold_release_note_len'),
        ),
        migrations.AddConstraint(
            model_name='claimhold',
            constraint=models.CheckConstraint(condition=models.Q(('released_at__isnull', True), models.Q(('release_note', ''), _negated=True), _connector='OR'), name='certification_hold_release_has_note'),
        ),
        migrations.AddConstraint(
            model_name='claimline',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('certificate_number'), 100), name='certification_claimline_certificate_number_len'),
        ),
        migrations.AddConstraint(
            model_name='claimline',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True), ('unit__isnull', True)), fields=('registration',), name='certification_qualification_claimed_once'),
        ),
        migrations.AddConstraint(
            model_name='claimline',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True), ('unit__isnull', False)), fields=('registration', 'unit'), name='certification_unit_claimed_once'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
