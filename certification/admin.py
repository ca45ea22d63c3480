"""Read-only views for support staff: claims and holds change only through the services, which
write the audit trail."""

from django.contrib import admin

from certification.models import Case, ClaimBatch, ClaimHold, ClaimLine
from verification.admin import ReadOnlyAdmin


@admin.register(ClaimHold)
class ClaimHoldAdmin(ReadOnlyAdmin):
    list_display = ["registration", "unit", "kind", "opened_by", "opened_at", "released_at"]
    list_filter = ["kind"]


@admin.register(ClaimBatch)
class ClaimBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "centre", "awarding_body", "state", "created_at", "reference"]
    list_filter = ["state"]


@admin.register(ClaimLine)
class ClaimLineAdmin(ReadOnlyAdmin):
    list_display = ["batch", "registration", "unit", "achievement_date", "removed_at"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "registration", "kind", "status", "stage", "raised_at", "due_on"]
    list_filter = ["kind", "status"]
