# The claim models move here from verification with their rows: this migration only tells
# Django's state that certification owns them, on the tables verification made (verification
# 0003, 0005, 0006). verification 0008 drops them from verification's state; 0002 here renames
# the tables and constraints to certification's and moves their content types.

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_text_limits'),
        ('portfolios', '0005_text_limits'),
        ('qualifications', '0003_qualification_decisions_need_validation'),
        # The last of verification's migrations while it held the claim models.
        ('verification', '0007_sample_referred_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='ClaimBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('draft', 'Draft'), ('exported', 'Exported'), ('submitted', 'Submitted'), ('certificates_received', 'Certificates received')], default='draft', max_length=30)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('exported_at', models.DateTimeField(blank=True, null=True)),
                ('exported_audit_sequence', models.PositiveBigIntegerField(blank=True, null=True)),
                ('exported_audit_hash', models.CharField(blank=True, max_length=64)),
                ('submitted_at', models.DateTimeField(blank=True, null=True)),
                ('reference', models.CharField(blank=True, max_length=100, verbose_name='awarding body reference')),
                ('certificates_received_at', models.DateTimeField(blank=True, null=True)),
                ('awarding_body', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='qualifications.awardingbody')),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.centre')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('exported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'verification_claimbatch',
                'ordering': ['-created_at', '-pk'],
                'constraints': [
                    models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reference'), 100), name='verification_claimbatch_reference_len'),
                    models.UniqueConstraint(condition=models.Q(('state', 'draft')), fields=('centre', 'awarding_body'), name='verification_one_draft_claim_batch'),
                ],
            },
        ),
        migrations.CreateModel(
            name='ClaimHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('malpractice', 'Malpractice investigation'), ('special_consideration', 'Special consideration pending'), ('appeal', 'Appeal open')], max_length=30)),
                ('reason', models.TextField(max_length=4000)),
                ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('released_at', models.DateTimeField(blank=True, null=True)),
                ('release_note', models.TextField(blank=True, max_length=4000)),
                ('opened_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('registration', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='claim_holds', to='portfolios.registration')),
                ('released_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='qualifications.unit')),
            ],
            options={
                'db_table': 'verification_claimhold',
                'ordering': ['-opened_at', '-pk'],
                'constraints': [
                    models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reason'), 4000), name='verification_claimhold_reason_len'),
                    models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('release_note'), 4000), name='verification_claimhold_release_note_len'),
                    models.CheckConstraint(condition=models.Q(('released_at__isnull', True), models.Q(('release_note', ''), _negated=True), _connector='OR'), name='verification_hold_release_has_note'),
                ],
            },
        ),
        migrations.CreateModel(
            name='ClaimLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit_references', models.JSONField(default=list)),
                ('result', models.CharField(default='Pass', max_length=20)),
                ('achievement_date', models.DateField()),
                ('added_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('removed_at', models.DateTimeField(blank=True, null=True)),
                ('certificate_number', models.CharField(blank=True, max_length=100)),
                ('certificate_received_on', models.DateField(blank=True, null=True)),
                ('centre_number', models.CharField(blank=True, max_length=30)),
                ('registration_number', models.CharField(blank=True, max_length=50)),
                ('uln', models.CharField(blank=True, max_length=10)),
                ('learner_name', models.CharField(blank=True, max_length=300)),
                ('date_of_birth', models.DateField(blank=True, null=True)),
                ('qualification_number', models.CharField(blank=True, max_length=20)),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('batch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='certification.claimbatch')),
                ('registration', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='claim_lines', to='portfolios.registration')),
                ('removed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='qualifications.unit')),
            ],
            options={
                'db_table': 'verification_claimline',
                'ordering': ['pk'],
                'constraints': [
                    models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('certificate_number'), 100), name='verification_claimline_certificate_number_len'),
                    models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True), ('unit__isnull', True)), fields=('registration',), name='verification_qualification_claimed_once'),
                    models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True), ('unit__isnull', False)), fields=('registration', 'unit'), name='verification_unit_claimed_once'),
                ],
            },
        ),
    ]

    operations = [
        # The tables exist already (verification made them): the database is left alone.
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
    ]
