from django.urls import path

from assessments import (
    achievement_views,
    coverage_views,
    judging_views,
    mapping_views,
    plan_views,
    record_views,
    validation_views,
    views,
)

app_name = "assessments"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("evidence/<int:pk>/", views.assess, name="assess"),
    path("evidence/<int:pk>/judge/", judging_views.judge, name="judge"),
    # The former one-criterion form: redirects to the criterion on the assessing page.
    path(
        "evidence/<int:pk>/criterion/<int:criterion_pk>/",
        judging_views.old_criterion_form,
        name="judge_criterion",
    ),
    path("evidence/<int:pk>/return/", views.return_for_resubmission, name="return"),
    path("evidence/<int:pk>/mapping/", mapping_views.confirm, name="confirm_mapping"),
    path(
        "evidence/<int:pk>/mapping/unit/<int:unit_pk>/",
        mapping_views.unit_criteria,
        name="mapping_unit",
    ),
    path("registration/<int:pk>/unit/<int:unit_pk>/", views.unit_page, name="unit"),
    path("registration/<int:pk>/unit/<int:unit_pk>/sign-off/", views.sign_off, name="sign_off"),
    path("registration/<int:pk>/unit/<int:unit_pk>/unlock/", views.unlock, name="unlock"),
    path(
        "registration/<int:pk>/standard/",
        coverage_views.registration_coverage,
        name="coverage",
    ),
    path("standards/", coverage_views.standards_index, name="standards"),
    path("standard/<int:pk>/cohort/", coverage_views.cohort, name="cohort"),
]

# Assessor-made records (observation, professional discussion, questioning).
urlpatterns += [
    path(
        "registration/<int:pk>/record/<str:kind>/",
        record_views.record_create,
        name="record_create",
    ),
    path("record/<int:pk>/", record_views.record_detail, name="record"),
    path(
        "record/<int:pk>/acknowledge/",
        record_views.record_acknowledge,
        name="record_acknowledge",
    ),
    # Assessment plans
    path("registration/<int:pk>/plans/", plan_views.plan_list, name="plans"),
    path("registration/<int:pk>/plans/new/", plan_views.plan_create, name="plan_create"),
    path("plan/<int:pk>/", plan_views.plan_detail, name="plan"),
    path("plan/<int:pk>/activities/", plan_views.activity_add, name="plan_activity_add"),
    path(
        "plan/<int:pk>/activities/<int:activity_pk>/remove/",
        plan_views.activity_remove,
        name="plan_activity_remove",
    ),
    path(
        "plan/<int:pk>/activities/<int:activity_pk>/done/",
        plan_views.activity_done,
        name="plan_activity_done",
    ),
    path("plan/<int:pk>/sign/assessor/", plan_views.assessor_sign, name="plan_assessor_sign"),
    path("plan/<int:pk>/sign/learner/", plan_views.learner_sign, name="plan_learner_sign"),
    path("plan/<int:pk>/revise/", plan_views.plan_revise, name="plan_revise"),
    path("validation/", validation_views.validation_queue, name="validation_queue"),
    path("validation/validate/", validation_views.validate, name="validate"),
    path("release-settings/", validation_views.release_settings, name="release_settings"),
]

# Achievement records (PDF); the public verification page is in config/urls.py.
urlpatterns += [
    path(
        "registration/<int:pk>/achievement/",
        achievement_views.records_page,
        name="achievements",
    ),
    path(
        "registration/<int:pk>/achievement/request/",
        achievement_views.request_record,
        name="achievement_request",
    ),
    path(
        "achievement/<int:pk>/status/", achievement_views.record_status, name="achievement_status"
    ),
    path("achievement/<int:pk>/download/", achievement_views.download, name="achievement_download"),
    path("achievement/<int:pk>/withdraw/", achievement_views.withdraw, name="achievement_withdraw"),
]
