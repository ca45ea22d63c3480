from django.urls import path

from portfolios.views import imports

app_name = "imports"

urlpatterns = [
    path("", imports.upload, name="upload"),
]
