from django.urls import path

from portfolios.views import off_the_job

app_name = "off_the_job"

urlpatterns = [
    path("registration/<int:pk>/", off_the_job.log_page, name="log"),
    path("export.csv", off_the_job.export, name="export"),
    path("<int:pk>/approve/", off_the_job.approve_entry, name="approve"),
    path("<int:pk>/query/", off_the_job.query_entry, name="query"),
    path("<int:pk>/correct/", off_the_job.correct_entry, name="correct"),
]
