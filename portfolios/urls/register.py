from django.urls import path, re_path

from portfolios.views import combination, register

# The centre admin's registration pages. No app_name: config/urls.py puts them under /centre/
# in the `centre` namespace, beside accounts' people pages (centre_urls.py).
urlpatterns = [
    path("registrations/", register.registrations, name="registrations"),
    path("registrations/assign/", register.assign_bulk, name="assign_bulk"),
    path("registrations/new/", register.register, name="register"),
    # Ofqual numbers keep their slashes: /centre/qualifications/601/3973/0/rule/
    re_path(
        r"^qualifications/(?P<number>\d{3}/\d{4}/[\dX])/rule/$",
        combination.combination_rule,
        name="combination_rule",
    ),
]
