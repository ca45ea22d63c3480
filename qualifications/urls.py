from django.urls import path, re_path

from qualifications import views

app_name = "qualifications"

urlpatterns = [
    path("qualifications/", views.qualification_list, name="list"),
    # Ofqual numbers keep their slashes: /qualifications/601/1109/4/
    re_path(
        r"^qualifications/(?P<number>\d{3}/\d{4}/[\dX])/$",
        views.qualification_detail,
        name="detail",
    ),
    # Unit keys are Ofqual references (A/506/2130) or "BODY:code" where none is given.
    path("units/<path:key>/", views.unit_detail, name="unit"),
    path("standards/<slug:code>/", views.standard_detail, name="standard"),
]
