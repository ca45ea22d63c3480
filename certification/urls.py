"""Under /verification/claims/ (config/urls.py), where they were before claims had their own
app: bookmarks and links already sent keep working."""

from django.urls import path

from certification.views import claims, holds, retention, summaries

app_name = "certification"

urlpatterns = [
    path("", claims.claims_page, name="claims"),
    path("<int:pk>/", claims.batch_detail, name="claim_batch"),
    path("<int:pk>/export/", claims.batch_export, name="claim_batch_export"),
    path("<int:pk>/download/", claims.batch_download, name="claim_batch_download"),
    path("<int:pk>/submit/", claims.batch_submit, name="claim_batch_submit"),
    path("<int:pk>/certificates/", claims.batch_certificates, name="claim_batch_certificates"),
    path("<int:pk>/summary/", summaries.summary_request, name="claim_summary"),
    path(
        "<int:pk>/summary/<int:record_pk>/",
        summaries.summary_download,
        name="claim_summary_download",
    ),
    path(
        "<int:pk>/summary/<int:record_pk>/status/",
        summaries.summary_status,
        name="claim_summary_status",
    ),
    path(
        "<int:pk>/summary/<int:record_pk>/withdraw/",
        summaries.summary_withdraw,
        name="claim_summary_withdraw",
    ),
    path("lines/<int:pk>/remove/", claims.line_remove, name="claim_line_remove"),
    path("holds/", holds.holds, name="claim_holds"),
    path("holds/<int:pk>/release/", holds.hold_release, name="claim_hold_release"),
    path("retention/", retention.retention_page, name="retention"),
]
