from django.urls import path

from portfolios.views import cohort

app_name = "cohort"

urlpatterns = [
    path("", cohort.cohort_page, name="page"),
    path("export.csv", cohort.cohort_export, name="export"),
]
