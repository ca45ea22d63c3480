from django.urls import path

from portfolios import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.upload, name="upload"),
]
