from django.urls import path

from assessments import coverage_views, record_views, views

app_name = "assessments"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("evidence/<int:pk>/", views.assess, name="assess"),
    path("evidence/<int:pk>/criterion/<int:criterion_pk>/", views.judge, name="judge"),
    path("evidence/<int:pk>/return/", views.return_for_resubmission, name="return"),
    path("registration/<int:pk>/unit/<int:unit_pk>/", views.unit_page, name="unit"),
    path("registration/<int:pk>/unit/<int:unit_pk>/sign-off/", views.sign_off, name="sign_off"),
    path("registration/<int:pk>/unit/<int:unit_pk>/unlock/", views.unlock, name="unlock"),
    path(
        "registration/<int:pk>/standard/",
        coverage_views.registration_coverage,
        name="coverage",
    ),
    path("standards/", coverage_views.standards_index, name="standards"),
    path("standard/<int:pk>/cohort/", coverage_views.cohort, name="cohort"),
]

# Assessor-made records (observation, professional discussion, questioning).
urlpatterns += [
    path(
        "registration/<int:pk>/record/<str:kind>/",
        record_views.record_create,
        name="record_create",
    ),
    path("record/<int:pk>/", record_views.record_detail, name="record"),
    path(
        "record/<int:pk>/acknowledge/",
        record_views.record_acknowledge,
        name="record_acknowledge",
    ),
]
