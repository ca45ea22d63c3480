from django.urls import path

from assessments.views import transfer

app_name = "transfer"

urlpatterns = [
    path("", transfer.import_page, name="import"),
    path("held/<int:pk>/withdraw/", transfer.withdraw, name="withdraw_held"),
]
