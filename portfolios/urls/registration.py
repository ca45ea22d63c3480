from django.urls import path

from portfolios.views import registration, simulation

app_name = "portfolios"

urlpatterns = [
    path("registrations/search/", registration.registration_search, name="registration_search"),
    path("registrations/<int:pk>/", registration.registration_detail, name="registration"),
    path(
        "registrations/<int:pk>/units/", registration.registration_units, name="registration_units"
    ),
    path(
        "registrations/<int:pk>/staff/",
        registration.registration_assign,
        name="registration_assign",
    ),
    path(
        "registrations/<int:pk>/awarding-body/",
        registration.registration_awarding_body,
        name="registration_awarding_body",
    ),
    path(
        "registrations/<int:pk>/apprenticeship/",
        registration.registration_apprenticeship,
        name="registration_apprenticeship",
    ),
    path("registrations/<int:pk>/withdraw/", registration.registration_withdraw, name="withdraw"),
    path("registrations/<int:pk>/transfer/", registration.registration_transfer, name="transfer"),
    path("qualifications/<int:pk>/units-check/", registration.units_check, name="units_check"),
    path(
        "simulation-agreements/",
        simulation.simulation_agreements,
        name="simulation_agreements",
    ),
    path(
        "simulation-agreements/<int:pk>/withdraw/",
        simulation.simulation_agreement_withdraw,
        name="simulation_agreement_withdraw",
    ),
]
