from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "files"


def _not_yet(request: HttpRequest, pk: int) -> HttpResponse:
    # Placeholder until the upload and download views land.
    return HttpResponse(status=501)


urlpatterns = [
    path("evidence/<int:pk>/upload/", _not_yet, name="upload"),
    path("<int:pk>/", _not_yet, name="download"),
]
