from django.urls import path

from portfolios.views import evidence

app_name = "evidence"

urlpatterns = [
    path("mine/", evidence.my_portfolio, name="mine"),
    path("registration/<int:pk>/", evidence.portfolio_page, name="portfolio"),
    path(
        "registration/<int:pk>/units/<int:unit_pk>/", evidence.portfolio_unit, name="portfolio_unit"
    ),
    path("registration/<int:pk>/new/", evidence.evidence_create, name="create"),
    path("<int:pk>/", evidence.evidence_detail, name="detail"),
    path("<int:pk>/edit/", evidence.evidence_edit, name="edit"),
    path("<int:pk>/criteria/", evidence.evidence_map, name="map"),
    path("<int:pk>/submit/", evidence.evidence_submit, name="submit"),
    path("<int:pk>/delete/", evidence.evidence_delete, name="delete"),
    path("<int:pk>/new-version/", evidence.evidence_resubmit, name="resubmit"),
    path("files/<int:pk>/remove/", evidence.file_remove, name="file_remove"),
]
