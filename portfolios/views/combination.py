"""The centre admin records the rule of combination of a qualification whose document in the
catalogue gives none (NCFE 601/3973/0), for the centre's registrations. Under /centre/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.context import admin_centre
from accounts.requests import AuthedRequest
from portfolios.combination import RuleError, record_combination_rule, recorded_rule
from portfolios.forms.combination import CombinationRuleForm
from qualifications.models import Qualification
from qualifications.queries import combination_rules


@require_http_methods(["GET", "POST"])
@login_required
def combination_rule(request: AuthedRequest, number: str) -> HttpResponse:
    centre = admin_centre(request)
    if not request.user.has_perm("portfolios.record_combination_rule", centre):
        raise PermissionDenied("Only the centre's admins record its rules of combination.")
    qualification = get_object_or_404(Qualification, number=number)
    if qualification.rules_given:
        # Its rules are the specification's, on the catalogue page; nothing to record here.
        raise Http404("This qualification's specification gives its rules of combination.")
    rules = combination_rules(qualification)
    record = recorded_rule(qualification, centre.pk)
    if request.method == "POST":
        form = CombinationRuleForm(request.POST, rules=rules)
        if form.is_valid():
            try:
                record_combination_rule(
                    actor=request.user,
                    centre=centre,
                    qualification=qualification,
                    basis=form.cleaned_data["basis"],
                    source=form.cleaned_data["source"],
                    mandatory_unit_keys=form.cleaned_data["mandatory_units"],
                    min_credits=form.cleaned_data["min_credits"],
                    min_units=form.cleaned_data["min_units"],
                )
            except RuleError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Rule of combination recorded for {qualification.number} at {centre.name}.",
                )
                return redirect("centre:combination_rule", number=qualification.number)
    elif record is not None:
        form = CombinationRuleForm(
            initial={
                "basis": record.basis,
                "source": record.source,
                "mandatory_units": [unit.key for unit in record.mandatory_units.all()],
                "min_credits": record.min_credits,
                "min_units": record.min_units,
            },
            rules=rules,
        )
    else:
        form = CombinationRuleForm(rules=rules)
    return render(
        request,
        "portfolios/combination_rule.html",
        {
            "centre": centre,
            "qualification": qualification,
            "record": record,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
