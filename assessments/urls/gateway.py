from django.urls import path

from assessments.views import gateway

app_name = "gateway"

urlpatterns = [
    path("registration/<int:pk>/", gateway.page, name="page"),
    path("registration/<int:pk>/gaps/<int:statement_pk>/", gateway.name_gap, name="gap"),
    path("registration/<int:pk>/sign/", gateway.sign, name="sign"),
    path("registration/<int:pk>/withdraw/", gateway.withdraw, name="withdraw"),
    path("registration/<int:pk>/result/", gateway.record_result, name="result"),
]
