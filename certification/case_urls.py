"""The cases pages, under /cases/ (config/urls.py)."""

from django.urls import path

from certification.views import cases

app_name = "cases"

urlpatterns = [
    path("", cases.case_list, name="cases"),
    path("new/", cases.case_new, name="case_new"),
    path("policy/", cases.case_policy, name="case_policy"),
    path("<int:pk>/", cases.case_detail, name="case"),
    path("registration/<int:pk>/", cases.registration_cases, name="registration_cases"),
    path("<int:pk>/documents/<int:document_pk>/", cases.case_document, name="case_document"),
    path("<int:pk>/<str:action>/", cases.case_action, name="case_action"),
]
