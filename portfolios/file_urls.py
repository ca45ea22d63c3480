from django.http import HttpResponse
from django.urls import path

app_name = "files"


def _not_yet(request, pk):  # placeholder until the upload and download views land
    return HttpResponse(status=501)


urlpatterns = [
    path("evidence/<int:pk>/upload/", _not_yet, name="upload"),
    path("<int:pk>/", _not_yet, name="download"),
]
