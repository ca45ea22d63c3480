from django.urls import path

from portfolios.views import reviews

app_name = "reviews"

urlpatterns = [
    path("registration/<int:pk>/", reviews.review_list, name="list"),
    path("registration/<int:pk>/new/", reviews.review_create, name="create"),
    path("<int:pk>/", reviews.review_detail, name="detail"),
    path("<int:pk>/edit/", reviews.review_edit, name="edit"),
    path("<int:pk>/sign/", reviews.review_sign, name="sign"),
    path("<int:pk>/employer-link/", reviews.review_link, name="link"),
    path("<int:pk>/pdf/", reviews.review_pdf, name="pdf"),
    path("<int:pk>/pdf/again/", reviews.review_pdf_retry, name="pdf_retry"),
    # The employer's one-time page: no account.
    path("sign/<str:token>/", reviews.sign_link, name="sign_link"),
    path("signed/", reviews.signed, name="signed"),
    path("interval/", reviews.interval, name="interval"),
]
