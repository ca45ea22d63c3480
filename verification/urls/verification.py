from django.urls import path

from verification.views import competence, eqa, sample, standardisation, strategy

app_name = "verification"

urlpatterns = [
    path("", strategy.strategies, name="strategies"),
    path("strategy/<int:qualification_pk>/", strategy.strategy_edit, name="strategy_edit"),
    path("ratings/", strategy.ratings, name="ratings"),
    path("plan/<int:pk>/", strategy.plan, name="plan"),
    path("plan/<int:pk>/draw/", strategy.draw, name="draw"),
    path("plans/<int:pk>/add/", strategy.add_sample, name="add_sample"),
    path("samples/<int:pk>/remove/", strategy.remove_sample, name="remove_sample"),
    path("standardisation/", standardisation.meeting_list, name="standardisation_list"),
    path(
        "standardisation/new/",
        standardisation.meeting_create,
        name="standardisation_create",
    ),
    path(
        "standardisation/<int:pk>/",
        standardisation.meeting_detail,
        name="standardisation_detail",
    ),
    path(
        "standardisation/<int:pk>/edit/",
        standardisation.meeting_edit,
        name="standardisation_edit",
    ),
    path(
        "standardisation/<int:pk>/decisions/",
        standardisation.outcome_add,
        name="standardisation_add_outcome",
    ),
    path(
        "standardisation/<int:pk>/finalise/",
        standardisation.meeting_finalise,
        name="standardisation_finalise",
    ),
    path("samples/<int:pk>/start/", sample.start, name="sample_start"),
    path("record/<int:pk>/", sample.sample_detail, name="sample"),
    path("record/<int:pk>/review/", sample.review, name="sample_review"),
    # The former separate forms: they redirect to the one review form.
    path("record/<int:pk>/agree/", sample.old_outcome_form, name="sample_agree"),
    path("record/<int:pk>/refer/", sample.old_outcome_form, name="sample_refer"),
    path("record/<int:pk>/sign-off/", sample.sign_off, name="sample_sign_off"),
    path("eqa-visits/", eqa.visits, name="eqa_visits"),
    path("staff-competence/", competence.report, name="competence"),
    path("staff-competence.csv", competence.report_csv, name="competence_csv"),
]
