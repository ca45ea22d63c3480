from django.urls import path

from verification import (
    claim_summary_views,
    claim_views,
    eqa_views,
    sample_views,
    standardisation_views,
    views,
)

app_name = "verification"

urlpatterns = [
    path("", views.strategies, name="strategies"),
    path("strategy/<int:qualification_pk>/", views.strategy_edit, name="strategy_edit"),
    path("ratings/", views.ratings, name="ratings"),
    path("plan/<int:pk>/", views.plan, name="plan"),
    path("plan/<int:pk>/draw/", views.draw, name="draw"),
    path("plans/<int:pk>/add/", views.add_sample, name="add_sample"),
    path("samples/<int:pk>/remove/", views.remove_sample, name="remove_sample"),
    path("standardisation/", standardisation_views.meeting_list, name="standardisation_list"),
    path(
        "standardisation/new/",
        standardisation_views.meeting_create,
        name="standardisation_create",
    ),
    path(
        "standardisation/<int:pk>/",
        standardisation_views.meeting_detail,
        name="standardisation_detail",
    ),
    path(
        "standardisation/<int:pk>/edit/",
        standardisation_views.meeting_edit,
        name="standardisation_edit",
    ),
    path(
        "standardisation/<int:pk>/decisions/",
        standardisation_views.outcome_add,
        name="standardisation_add_outcome",
    ),
    path(
        "standardisation/<int:pk>/finalise/",
        standardisation_views.meeting_finalise,
        name="standardisation_finalise",
    ),
    path("samples/<int:pk>/start/", sample_views.start, name="sample_start"),
    path("record/<int:pk>/", sample_views.sample_detail, name="sample"),
    path("record/<int:pk>/review/", sample_views.review, name="sample_review"),
    # The former separate forms: they redirect to the one review form.
    path("record/<int:pk>/agree/", sample_views.old_outcome_form, name="sample_agree"),
    path("record/<int:pk>/refer/", sample_views.old_outcome_form, name="sample_refer"),
    path("record/<int:pk>/sign-off/", sample_views.sign_off, name="sample_sign_off"),
    path("eqa-visits/", eqa_views.visits, name="eqa_visits"),
    path("claims/", claim_views.claims_page, name="claims"),
    path("claims/<int:pk>/", claim_views.batch_detail, name="claim_batch"),
    path("claims/<int:pk>/export/", claim_views.batch_export, name="claim_batch_export"),
    path("claims/<int:pk>/download/", claim_views.batch_download, name="claim_batch_download"),
    path("claims/<int:pk>/submit/", claim_views.batch_submit, name="claim_batch_submit"),
    path(
        "claims/<int:pk>/certificates/",
        claim_views.batch_certificates,
        name="claim_batch_certificates",
    ),
    path("claims/<int:pk>/summary/", claim_summary_views.summary_request, name="claim_summary"),
    path(
        "claims/<int:pk>/summary/<int:record_pk>/",
        claim_summary_views.summary_download,
        name="claim_summary_download",
    ),
    path(
        "claims/<int:pk>/summary/<int:record_pk>/status/",
        claim_summary_views.summary_status,
        name="claim_summary_status",
    ),
    path(
        "claims/<int:pk>/summary/<int:record_pk>/withdraw/",
        claim_summary_views.summary_withdraw,
        name="claim_summary_withdraw",
    ),
    path("claims/lines/<int:pk>/remove/", claim_views.line_remove, name="claim_line_remove"),
    path("claims/holds/", claim_views.holds, name="claim_holds"),
    path("claims/holds/<int:pk>/release/", claim_views.hold_release, name="claim_hold_release"),
]
