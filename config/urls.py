from django.contrib import admin
from django.urls import include, path

from accounts.urls import centre
from api import views as api_views
from api.v1 import api
from assessments.views import achievement, badge
from portfolios.urls import register

# The centre admin's pages, under /centre/ and one namespace (`centre:people`,
# `centre:registrations`): people are accounts' and registrations portfolios', and only here,
# above both apps, may the two be put together.
centre_pages = ([*centre.urlpatterns, *register.urlpatterns], "centre")

urlpatterns = [
    # The REST API (issue 20): /api/v1/openapi.json, /api/v1/docs; its tokens' pages. First: an
    # API call was tried against every pattern before it (some twenty includes); no other
    # pattern starts with api/, so the order changes no match.
    path("api/v1/docs", api_views.docs, name="api_docs"),
    path("api/v1/", api.urls),
    path("api/tokens/", include("api.urls")),
    path("", include("home.urls")),
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls.account")),
    path("invitations/", include("accounts.urls.invitation")),
    path("catalogue/", include("qualifications.urls")),
    path("centre/import/", include("portfolios.urls.imports")),
    path("centre/transfer/", include("assessments.urls.transfer")),
    path("centre/", include(centre_pages)),
    path("portfolio/", include("portfolios.urls.registration")),
    path("portfolio/evidence/", include("portfolios.urls.evidence")),
    path("portfolio/files/", include("portfolios.urls.files")),
    path("portfolio/witness/", include("portfolios.urls.witness")),
    path("portfolio/off-the-job/", include("portfolios.urls.off_the_job")),
    path("portfolio/apprentices/", include("assessments.urls.cohort")),
    path("portfolio/reviews/", include("portfolios.urls.reviews")),
    path("assessment/gateway/", include("assessments.urls.gateway")),
    path("assessment/", include("assessments.urls.assessment")),
    # Claims keep the addresses they had under verification (bookmarks, links in e-mails).
    path("verification/claims/", include("certification.urls")),
    path("verification/", include("verification.urls.verification")),
    path("cases/", include("certification.case_urls")),
    # Public, no sign-in: anyone holding an achievement record's code may check it.
    path("verify/", achievement.verify_form, name="verify_form"),
    path("verify/badge/", badge.check, name="verify_badge"),
    path("verify/<str:code>/", achievement.verify, name="verify"),
    # Public: what a verifier of an Open Badge fetches (the issuer's key, the revocation list).
    path("badges/centres/<int:pk>/did.json", badge.did_document, name="badge_did"),
    path("badges/centres/<int:pk>/status/", badge.status_list, name="badge_status_list"),
    path("admin/", admin.site.urls),
]
