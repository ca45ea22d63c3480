"""Read-only views for support staff: sampling records change only through the services, which
write the audit trail."""

from django.contrib import admin
from django.http import HttpRequest

from verification.models import (
    AssessorRiskRating,
    PlannedSample,
    SamplingPlan,
    SamplingStrategy,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AssessorRiskRating)
class AssessorRiskRatingAdmin(ReadOnlyAdmin):
    list_display = ["assessor", "centre", "rating", "set_by", "set_at"]
    list_filter = ["rating"]


@admin.register(SamplingStrategy)
class SamplingStrategyAdmin(ReadOnlyAdmin):
    list_display = ["qualification", "centre", "version", "rate_experienced", "updated_at"]


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ReadOnlyAdmin):
    list_display = ["strategy", "period_start", "period_end", "created_by", "created_at"]


@admin.register(PlannedSample)
class PlannedSampleAdmin(ReadOnlyAdmin):
    list_display = ["registration", "unit", "stage", "planned_on", "verifier", "removed_at"]
    list_filter = ["stage", "source"]
