from django.urls import path

from portfolios.views import witness

app_name = "witness"

urlpatterns = [
    path("registrations/<int:pk>/", witness.request_list, name="list"),
    path("registrations/<int:pk>/ask/", witness.request_create, name="request"),
    path("respond/<str:token>/", witness.respond, name="respond"),
    path("thanks/", witness.thanks, name="thanks"),
    # Issue 19: what is asked of an employer contact, answered signed in.
    path("asked/", witness.asked_of_me, name="asked"),
    path("asked/<int:pk>/", witness.testify, name="testify"),
    path("export/<int:pk>/", witness.export, name="export"),
]
