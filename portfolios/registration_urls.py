from django.urls import path

from portfolios import registration_views as views

# The centre admin's registration pages. No app_name: config/urls.py puts them under /centre/
# in the `centre` namespace, beside accounts' people pages (centre_urls.py).
urlpatterns = [
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/assign/", views.assign_bulk, name="assign_bulk"),
    path("registrations/new/", views.register, name="register"),
]
