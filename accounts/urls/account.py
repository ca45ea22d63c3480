from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms.user import SignInForm
from accounts.views import signin, sso

# Django's own authentication views, with our templates (templates/registration/); sign-in
# writes in one transaction (accounts/views/signin.py).
# No app_name: the auth views reverse these names ("password_reset_done" etc.) unqualified.
urlpatterns = [
    path(
        "login/",
        signin.SignInView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
        name="login",
    ),
    # Ours: after a sign-in through a centre's provider, out of it too (accounts/views/sso.py).
    path("logout/", sso.SignOutView.as_view(), name="logout"),
    # Single sign-on through a centre's OpenID Connect provider: the start, and the return.
    path("sso/<int:pk>/", sso.sso_start, name="sso_start"),
    path("sso/callback/", sso.sso_callback, name="sso_callback"),
    path("role/", signin.switch_role, name="switch_role"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Ours: limited per address and client, the e-mail sent by a task (accounts/views/signin.py).
    path("password/reset/", signin.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
