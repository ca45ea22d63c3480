from django.contrib import admin
from django.urls import include, path

from accounts import centre_urls
from assessments import achievement_views
from portfolios import registration_urls

# The centre admin's pages, under /centre/ and one namespace (`centre:people`,
# `centre:registrations`): people are accounts' and registrations portfolios', and only here,
# above both apps, may the two be put together.
centre_pages = ([*centre_urls.urlpatterns, *registration_urls.urlpatterns], "centre")

urlpatterns = [
    path("", include("home.urls")),
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("invitations/", include("accounts.invitation_urls")),
    path("catalogue/", include("qualifications.urls")),
    path("centre/import/", include("portfolios.import_urls")),
    path("centre/", include(centre_pages)),
    path("portfolio/", include("portfolios.urls")),
    path("portfolio/evidence/", include("portfolios.evidence_urls")),
    path("portfolio/files/", include("portfolios.file_urls")),
    path("portfolio/witness/", include("portfolios.witness_urls")),
    path("assessment/", include("assessments.urls")),
    # Claims keep the addresses they had under verification (bookmarks, links in e-mails).
    path("verification/claims/", include("certification.urls")),
    path("verification/", include("verification.urls")),
    # Public, no sign-in: anyone holding an achievement record's code may check it.
    path("verify/", achievement_views.verify_form, name="verify_form"),
    path("verify/<str:code>/", achievement_views.verify, name="verify"),
    path("admin/", admin.site.urls),
]
