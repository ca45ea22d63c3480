from django.urls import path

from portfolios.views import register

# The centre admin's registration pages. No app_name: config/urls.py puts them under /centre/
# in the `centre` namespace, beside accounts' people pages (centre_urls.py).
urlpatterns = [
    path("registrations/", register.registrations, name="registrations"),
    path("registrations/assign/", register.assign_bulk, name="assign_bulk"),
    path("registrations/new/", register.register, name="register"),
]
