from django.urls import path

from accounts import centre_views as views

# The centre admin's pages about people. No app_name: config/urls.py puts them under /centre/
# in the `centre` namespace, with portfolios' registration pages (registration_urls.py).
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/learners/search/", views.learner_search, name="learner_search"),
    path("people/add/", views.person_add_view, name="person_add"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/roles/", views.role_grant_view, name="role_grant"),
    path(
        "people/<int:pk>/roles/<int:membership_pk>/revoke/",
        views.role_revoke_view,
        name="role_revoke",
    ),
    path("people/<int:pk>/profile/", views.profile_update_view, name="profile"),
    path("people/<int:pk>/credentials/", views.credential_add_view, name="credential_add"),
    path("people/<int:pk>/competence/", views.competence_add_view, name="competence_add"),
    path("invitations/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path(
        "invitations/<int:pk>/withdraw/",
        views.invitation_withdraw_view,
        name="invitation_withdraw",
    ),
]
