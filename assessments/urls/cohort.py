from django.urls import path

from assessments.views import cohort

app_name = "cohort"

urlpatterns = [
    path("", cohort.cohort_page, name="page"),
    path("export.csv", cohort.cohort_export, name="export"),
]
