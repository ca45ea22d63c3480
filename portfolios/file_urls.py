from django.urls import path

from portfolios import file_views

app_name = "files"

urlpatterns = [
    path("evidence/<int:pk>/upload/", file_views.upload, name="upload"),
    path("<int:pk>/", file_views.download, name="download"),
]
