from django.urls import path

from assessments import mapping_views, views

app_name = "assessments"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("evidence/<int:pk>/", views.assess, name="assess"),
    path("evidence/<int:pk>/criterion/<int:criterion_pk>/", views.judge, name="judge"),
    path("evidence/<int:pk>/return/", views.return_for_resubmission, name="return"),
    path("evidence/<int:pk>/mapping/", mapping_views.confirm, name="confirm_mapping"),
    path("registration/<int:pk>/unit/<int:unit_pk>/", views.unit_page, name="unit"),
    path("registration/<int:pk>/unit/<int:unit_pk>/sign-off/", views.sign_off, name="sign_off"),
    path("registration/<int:pk>/unit/<int:unit_pk>/unlock/", views.unlock, name="unlock"),
]
