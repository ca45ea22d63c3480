"""What a centre keeps about a person (learner profile, staff credentials, competence records)
belongs to that centre.

Existing rows move to the centre that wrote them, as the audit trail tells: for a learner
profile, each field goes to the centre whose latest "learner_profile.updated" event named it,
so a profile two centres wrote becomes one profile per centre, each holding only what that
centre last wrote. A row or field no event names goes to the centre of the person's earliest
learner membership (staff membership for credentials and competence records), else their
earliest membership of any kind; a row whose person has no membership anywhere is deleted,
as nobody at any centre could see it.

Going back merges a person's profiles into one (per field, the value written last) and drops
the centre from credentials and competence records.
"""

from collections import defaultdict

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PROFILE_FIELDS = [
    "uln",
    "date_of_birth",
    "phone",
    "address",
    "employer",
    "employer_contact_name",
    "employer_contact_email",
    "employer_contact_phone",
]
STAFF_ROLES = ("assessor", "iv", "admin")


def _fire_deferred_checks(schema_editor):
    # PostgreSQL refuses to ALTER a table with deferred foreign-key checks pending from rows
    # written in the same transaction; run them now so the later steps may alter the table.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _writers(AuditEvent, object_type, action):
    """{object id: [(centre id, fields named), ...]} oldest first, for events with a centre."""
    found = defaultdict(list)
    events = (
        AuditEvent.objects.filter(object_type=object_type, action=action, centre_id__isnull=False)
        .order_by("pk")
        .values_list("object_id", "centre_id", "data")
    )
    for object_id, centre_id, data in events.iterator():
        fields = data.get("fields", []) if isinstance(data, dict) else []
        found[object_id].append((centre_id, fields))
    return found


def _fallback_centres(Membership, roles):
    """{user id: centre id of their earliest membership in `roles`, else of any membership}."""
    chosen = {}
    preferred = {}
    rows = Membership.objects.order_by("created_at", "pk").values_list("user_id", "centre_id", "role")
    for user_id, centre_id, role in rows.iterator():
        chosen.setdefault(user_id, centre_id)
        if role in roles:
            preferred.setdefault(user_id, centre_id)
    return {**chosen, **preferred}


def split_by_centre(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    Centre = apps.get_model("accounts", "Centre")
    Membership = apps.get_model("accounts", "Membership")
    LearnerProfile = apps.get_model("accounts", "LearnerProfile")
    StaffCredential = apps.get_model("accounts", "StaffCredential")
    CompetenceRecord = apps.get_model("accounts", "CompetenceRecord")
    centres = set(Centre.objects.values_list("pk", flat=True))

    learner_home = _fallback_centres(Membership, ("learner",))
    writers = _writers(AuditEvent, "accounts.learnerprofile", "learner_profile.updated")
    for profile in LearnerProfile.objects.order_by("pk").iterator():
        home = learner_home.get(profile.user_id)
        if home is None:
            profile.delete()
            continue
        owner = {}  # field -> centre whose latest event named it
        last_writer = None
        for centre_id, fields in writers.get(str(profile.pk), []):
            if centre_id not in centres:
                continue  # the centre is gone: as if no event
            last_writer = centre_id
            for name in fields:
                if name in PROFILE_FIELDS:
                    owner[name] = centre_id
        holders = defaultdict(list)
        for name in PROFILE_FIELDS:
            holders[owner.get(name, home)].append(name)
        holders.setdefault(home, [])
        # The row itself stays with the centre that wrote it last (its events keep pointing
        # at it); every other centre gets a new row with only its own fields.
        keeper = last_writer if last_writer in holders else home
        for centre_id, names in holders.items():
            if centre_id == keeper:
                continue
            copy = LearnerProfile(user_id=profile.user_id, centre_id=centre_id)
            for name in names:
                setattr(copy, name, getattr(profile, name))
            copy.save()
        kept = set(holders[keeper])
        blank = {name: None if name == "date_of_birth" else "" for name in PROFILE_FIELDS}
        for name in PROFILE_FIELDS:
            if name not in kept:
                setattr(profile, name, blank[name])
        profile.centre_id = keeper
        profile.save()

    staff_home = _fallback_centres(Membership, STAFF_ROLES)
    for Model, object_type, action in (
        (StaffCredential, "accounts.staffcredential", "credential.added"),
        (CompetenceRecord, "accounts.competencerecord", "competence.added"),
    ):
        added_by = _writers(AuditEvent, object_type, action)
        for row in Model.objects.order_by("pk").iterator():
            home = staff_home.get(row.user_id)
            if home is None:
                row.delete()
                continue
            written = [c for c, _ in added_by.get(str(row.pk), []) if c in centres]
            row.centre_id = written[-1] if written else home
            row.save(update_fields=["centre"])
    _fire_deferred_checks(schema_editor)


def merge_per_person(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    LearnerProfile = apps.get_model("accounts", "LearnerProfile")
    # The pk of each profile's latest event per field: the value written last wins the merge.
    written_at = {}
    events = (
        AuditEvent.objects.filter(
            object_type="accounts.learnerprofile", action="learner_profile.updated"
        )
        .order_by("pk")
        .values_list("pk", "object_id", "data")
    )
    for pk, object_id, data in events.iterator():
        for name in data.get("fields", []) if isinstance(data, dict) else []:
            written_at[object_id, name] = pk
    by_user = defaultdict(list)
    for profile in LearnerProfile.objects.order_by("pk").iterator():
        by_user[profile.user_id].append(profile)
    for profiles in by_user.values():
        if len(profiles) == 1:
            continue
        keeper = profiles[0]
        for name in PROFILE_FIELDS:
            filled = [p for p in profiles if getattr(p, name) not in (None, "")]
            if filled:
                latest = max(filled, key=lambda p: (written_at.get((str(p.pk), name), 0), -p.pk))
                setattr(keeper, name, getattr(latest, name))
        keeper.save()
        LearnerProfile.objects.filter(pk__in=[p.pk for p in profiles[1:]]).delete()
    _fire_deferred_checks(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_eqa_membership_qualifications"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="learnerprofile",
            name="centre",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="learner_profiles",
                to="accounts.centre",
            ),
        ),
        migrations.AddField(
            model_name="staffcredential",
            name="centre",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="staff_credentials",
                to="accounts.centre",
            ),
        ),
        migrations.AddField(
            model_name="competencerecord",
            name="centre",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="competence_records",
                to="accounts.centre",
            ),
        ),
        migrations.AlterField(
            model_name="learnerprofile",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="learner_profiles",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(split_by_centre, merge_per_person, elidable=False),
        migrations.AlterField(
            model_name="learnerprofile",
            name="centre",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="learner_profiles",
                to="accounts.centre",
            ),
        ),
        migrations.AlterField(
            model_name="staffcredential",
            name="centre",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="staff_credentials",
                to="accounts.centre",
            ),
        ),
        migrations.AlterField(
            model_name="competencerecord",
            name="centre",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="competence_records",
                to="accounts.centre",
            ),
        ),
        migrations.AddConstraint(
            model_name="learnerprofile",
            constraint=models.UniqueConstraint(
                fields=("user", "centre"), name="accounts_learnerprofile_one_per_centre"
            ),
        ),
    ]
