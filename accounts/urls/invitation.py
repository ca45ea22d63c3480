from django.urls import path

from accounts.views import invitation

app_name = "invitations"

# The invitee's side; the centre admin's (resend, withdraw) is in centre_urls.
urlpatterns = [
    path("<int:pk>/accept/", invitation.accept, name="accept"),
    path("<int:pk>/decline/", invitation.decline, name="decline"),
    path("<str:token>/", invitation.respond, name="respond"),
]
