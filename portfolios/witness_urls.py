from django.urls import path

from portfolios import witness_views

app_name = "witness"

urlpatterns = [
    path("registrations/<int:pk>/", witness_views.request_list, name="list"),
    path("registrations/<int:pk>/ask/", witness_views.request_create, name="request"),
    path("respond/<str:token>/", witness_views.respond, name="respond"),
    path("thanks/", witness_views.thanks, name="thanks"),
    path("export/<int:pk>/", witness_views.export, name="export"),
]
