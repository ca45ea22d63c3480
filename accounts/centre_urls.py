from django.urls import path  # noqa: F401

app_name = "centre"

# Centre admin pages (people, roles, registrations, assignment).
urlpatterns: list = []
