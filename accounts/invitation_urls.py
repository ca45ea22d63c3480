from django.urls import path

from accounts import invitation_views as views

app_name = "invitations"

# The invitee's side; the centre admin's (resend, withdraw) is in centre_urls.
urlpatterns = [
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<str:token>/", views.respond, name="respond"),
]
