from django.urls import path

from assessments.views import (
    achievement,
    assess,
    badge,
    brief,
    coverage,
    credit,
    judging,
    mapping,
    plan,
    record,
    validation,
)

app_name = "assessments"

urlpatterns = [
    path("queue/", assess.queue, name="queue"),
    path("registrations/<int:pk>/credit-transfer/", credit.credit_transfer, name="credit_transfer"),
    path(
        "registrations/<int:pk>/credit-transfer/<int:transfer_pk>/withdraw/",
        credit.credit_transfer_withdraw,
        name="credit_transfer_withdraw",
    ),
    path("evidence/<int:pk>/", assess.assess, name="assess"),
    path("evidence/<int:pk>/judge/", judging.judge, name="judge"),
    # The former one-criterion form: redirects to the criterion on the assessing page.
    path(
        "evidence/<int:pk>/criterion/<int:criterion_pk>/",
        judging.old_criterion_form,
        name="judge_criterion",
    ),
    path("evidence/<int:pk>/return/", assess.return_for_resubmission, name="return"),
    path("evidence/<int:pk>/mapping/", mapping.confirm, name="confirm_mapping"),
    path(
        "evidence/<int:pk>/mapping/unit/<int:unit_pk>/",
        mapping.unit_criteria,
        name="mapping_unit",
    ),
    path("registration/<int:pk>/unit/<int:unit_pk>/", assess.unit_page, name="unit"),
    path("registration/<int:pk>/unit/<int:unit_pk>/sign-off/", assess.sign_off, name="sign_off"),
    path("registration/<int:pk>/unit/<int:unit_pk>/unlock/", assess.unlock, name="unlock"),
    path(
        "registration/<int:pk>/standard/",
        coverage.registration_coverage,
        name="coverage",
    ),
    path("standards/", coverage.standards_index, name="standards"),
    path("standard/<int:pk>/cohort/", coverage.cohort, name="cohort"),
]

# Assessor-made records (observation, professional discussion, questioning).
urlpatterns += [
    path(
        "registration/<int:pk>/record/<str:kind>/",
        record.record_create,
        name="record_create",
    ),
    path("record/<int:pk>/", record.record_detail, name="record"),
    path(
        "record/<int:pk>/acknowledge/",
        record.record_acknowledge,
        name="record_acknowledge",
    ),
    # Assessment plans
    path("plans/", plan.caseload_plans, name="caseload_plans"),
    path("registration/<int:pk>/plans/", plan.plan_list, name="plans"),
    path("registration/<int:pk>/plans/new/", plan.plan_create, name="plan_create"),
    path("plan/<int:pk>/", plan.plan_detail, name="plan"),
    path("plan/<int:pk>/activities/", plan.activity_add, name="plan_activity_add"),
    path(
        "plan/<int:pk>/activities/<int:activity_pk>/remove/",
        plan.activity_remove,
        name="plan_activity_remove",
    ),
    path(
        "plan/<int:pk>/activities/<int:activity_pk>/done/",
        plan.activity_done,
        name="plan_activity_done",
    ),
    path("plan/<int:pk>/sign/assessor/", plan.assessor_sign, name="plan_assessor_sign"),
    path("plan/<int:pk>/sign/learner/", plan.learner_sign, name="plan_learner_sign"),
    path("plan/<int:pk>/revise/", plan.plan_revise, name="plan_revise"),
    path("validation/", validation.validation_queue, name="validation_queue"),
    path("validation/validate/", validation.validate, name="validate"),
    path("validation/returns/", validation.validate_held_returns, name="validate_returns"),
    path("release-settings/", validation.release_settings, name="release_settings"),
]

# Achievement records (PDF); the public verification page is in config/urls.py.
urlpatterns += [
    path(
        "registration/<int:pk>/achievement/",
        achievement.records_page,
        name="achievements",
    ),
    path(
        "registration/<int:pk>/achievement/request/",
        achievement.request_record,
        name="achievement_request",
    ),
    path("achievement/<int:pk>/status/", achievement.record_status, name="achievement_status"),
    path("achievement/<int:pk>/download/", achievement.download, name="achievement_download"),
    path("achievement/<int:pk>/withdraw/", achievement.withdraw, name="achievement_withdraw"),
    path("achievement/<int:pk>/badge/", badge.download, name="badge_download"),
    path("achievement/<int:pk>/badge/issue/", badge.issue, name="badge_issue"),
]

# Assignment briefs (Pearson BTEC, section 8)
urlpatterns += [
    path("briefs/", brief.brief_list, name="briefs"),
    path("brief/<int:pk>/", brief.brief_detail, name="brief"),
    path("brief/<int:pk>/issue/", brief.brief_issue, name="brief_issue"),
    path("brief/<int:pk>/withdraw/", brief.brief_withdraw, name="brief_withdraw"),
    path("brief/<int:pk>/extend/", brief.brief_extend, name="brief_extend"),
    path("brief/<int:pk>/hand-in/", brief.brief_hand_in, name="brief_hand_in"),
]
