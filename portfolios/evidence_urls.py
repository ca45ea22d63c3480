from django.urls import path

from portfolios import evidence_views as views

app_name = "evidence"

urlpatterns = [
    path("registration/<int:pk>/", views.portfolio_page, name="portfolio"),
    path("registration/<int:pk>/units/<int:unit_pk>/", views.portfolio_unit, name="portfolio_unit"),
    path("registration/<int:pk>/new/", views.evidence_create, name="create"),
    path("<int:pk>/", views.evidence_detail, name="detail"),
    path("<int:pk>/edit/", views.evidence_edit, name="edit"),
    path("<int:pk>/criteria/", views.evidence_map, name="map"),
    path("<int:pk>/submit/", views.evidence_submit, name="submit"),
    path("<int:pk>/delete/", views.evidence_delete, name="delete"),
    path("<int:pk>/new-version/", views.evidence_resubmit, name="resubmit"),
    path("files/<int:pk>/remove/", views.file_remove, name="file_remove"),
]
