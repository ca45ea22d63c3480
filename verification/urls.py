from django.urls import path

from verification import (
    eqa_views,
    sample_views,
    standardisation_views,
    views,
)

app_name = "verification"

urlpatterns = [
    path("", views.strategies, name="strategies"),
    path("strategy/<int:qualification_pk>/", views.strategy_edit, name="strategy_edit"),
    path("ratings/", views.ratings, name="ratings"),
    path("plan/<int:pk>/", views.plan, name="plan"),
    path("plan/<int:pk>/draw/", views.draw, name="draw"),
    path("plans/<int:pk>/add/", views.add_sample, name="add_sample"),
    path("samples/<int:pk>/remove/", views.remove_sample, name="remove_sample"),
    path("standardisation/", standardisation_views.meeting_list, name="standardisation_list"),
    path(
        "standardisation/new/",
        standardisation_views.meeting_create,
        name="standardisation_create",
    ),
    path(
        "standardisation/<int:pk>/",
        standardisation_views.meeting_detail,
        name="standardisation_detail",
    ),
    path(
        "standardisation/<int:pk>/edit/",
        standardisation_views.meeting_edit,
        name="standardisation_edit",
    ),
    path(
        "standardisation/<int:pk>/decisions/",
        standardisation_views.outcome_add,
        name="standardisation_add_outcome",
    ),
    path(
        "standardisation/<int:pk>/finalise/",
        standardisation_views.meeting_finalise,
        name="standardisation_finalise",
    ),
    path("samples/<int:pk>/start/", sample_views.start, name="sample_start"),
    path("record/<int:pk>/", sample_views.sample_detail, name="sample"),
    path("record/<int:pk>/review/", sample_views.review, name="sample_review"),
    # The former separate forms: they redirect to the one review form.
    path("record/<int:pk>/agree/", sample_views.old_outcome_form, name="sample_agree"),
    path("record/<int:pk>/refer/", sample_views.old_outcome_form, name="sample_refer"),
    path("record/<int:pk>/sign-off/", sample_views.sign_off, name="sample_sign_off"),
    path("eqa-visits/", eqa_views.visits, name="eqa_visits"),
]
