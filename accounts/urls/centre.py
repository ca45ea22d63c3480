from django.urls import path

from accounts.views import centre, employers, sso

# The centre admin's pages about people. No app_name: config/urls.py puts them under /centre/
# in the `centre` namespace, with portfolios' registration pages (registration_urls.py).
urlpatterns = [
    path("people/", centre.people, name="people"),
    path("people/learners/search/", centre.learner_search, name="learner_search"),
    path("people/add/", centre.person_add_view, name="person_add"),
    path("people/<int:pk>/", centre.person, name="person"),
    path("people/<int:pk>/roles/", centre.role_grant_view, name="role_grant"),
    path(
        "people/<int:pk>/roles/<int:membership_pk>/revoke/",
        centre.role_revoke_view,
        name="role_revoke",
    ),
    path("people/<int:pk>/profile/", centre.profile_update_view, name="profile"),
    path("people/<int:pk>/credentials/", centre.credential_add_view, name="credential_add"),
    path("people/<int:pk>/competence/", centre.competence_add_view, name="competence_add"),
    path("employers/", employers.employers, name="employers"),
    path("employers/add/", employers.employer_add, name="employer_add"),
    path("employers/<int:pk>/", employers.employer_edit, name="employer_edit"),
    path("sign-in/", sso.providers, name="identity_providers"),
    path("sign-in/add/", sso.provider_edit, name="identity_provider_add"),
    path("sign-in/<int:pk>/", sso.provider_edit, name="identity_provider_edit"),
    path("invitations/<int:pk>/resend/", centre.invitation_resend_view, name="invitation_resend"),
    path(
        "invitations/<int:pk>/withdraw/",
        centre.invitation_withdraw_view,
        name="invitation_withdraw",
    ),
]
