from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("catalogue/", include("qualifications.urls")),
    path("centre/import/", include("portfolios.import_urls")),
    path("centre/", include("accounts.centre_urls")),
    path("portfolio/", include("portfolios.urls")),
    path("portfolio/evidence/", include("portfolios.evidence_urls")),
    path("portfolio/files/", include("portfolios.file_urls")),
    path("portfolio/witness/", include("portfolios.witness_urls")),
    path("assessment/", include("assessments.urls")),
    path("verification/", include("verification.urls")),
    path("admin/", admin.site.urls),
]
