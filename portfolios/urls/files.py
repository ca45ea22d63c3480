from django.urls import path

from portfolios.views import files

app_name = "files"

urlpatterns = [
    path("evidence/<int:pk>/upload/", files.upload, name="upload"),
    path("<int:pk>/", files.download, name="download"),
]
