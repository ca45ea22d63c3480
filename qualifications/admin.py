"""The catalogue comes from fixtures (import_specification + load_catalogue), so the admin
shows it read-only: an edit here would be overwritten by the next load and bypass review."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    LearningOutcome,
    Qualification,
    Standard,
    Statement,
    Unit,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AwardingBody)
class AwardingBodyAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "awarding_body", "level", "credit_value", "glh"]
    list_filter = ["awarding_body", "level"]
    search_fields = ["number", "title"]


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "level", "credit", "glh"]
    list_filter = ["level", "kind"]
    search_fields = ["key", "reference", "title"]


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["unit", "number", "text"]
    list_select_related = ["unit"]
    search_fields = ["unit__key", "text"]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(ReadOnlyAdmin):
    list_display = ["unit", "number", "text"]
    list_select_related = ["unit"]
    search_fields = ["unit__key", "text"]


@admin.register(Standard)
class StandardAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "qualification"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["standard", "code", "heading", "no_mapping"]
    list_filter = ["standard", "category"]
