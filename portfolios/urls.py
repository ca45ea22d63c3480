from django.urls import path

from portfolios import views

app_name = "portfolios"

urlpatterns = [
    path("registrations/search/", views.registration_search, name="registration_search"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration"),
    path("registrations/<int:pk>/units/", views.registration_units, name="registration_units"),
    path("registrations/<int:pk>/staff/", views.registration_assign, name="registration_assign"),
    path("registrations/<int:pk>/withdraw/", views.registration_withdraw, name="withdraw"),
    path("registrations/<int:pk>/transfer/", views.registration_transfer, name="transfer"),
    path("qualifications/<int:pk>/units-check/", views.units_check, name="units_check"),
]
