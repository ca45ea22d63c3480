"""The API tokens page: list, make (the secret shown once) and revoke tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import AuthedRequest
from api.forms import TokenForm
from api.models import ApiToken
from api.queries import token_centres
from api.services import TokenError, token_create, token_revoke


def _page(request: AuthedRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    tokens = (
        ApiToken.objects.visible_to(request.user)
        .select_related("centre", "created_by")
        # Live (never revoked) first, then the newest.
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at", "-pk")
    )
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_perm("api.make_personal_token"):
        raise PermissionDenied("Sign in to make API tokens.")
    form = TokenForm(request.POST or None, centres=list(token_centres(request.user)))
    if request.method == "POST" and form.is_valid():
        centre = form.centre()
        if centre is not None and not request.user.has_perm("api.make_centre_token", centre):
            raise PermissionDenied("Only the centre's admins make its tokens.")
        try:
            token, secret = token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                centre=centre,
                expires_at=form.expires_at(),
            )
        except TokenError as error:
            # Everything typed stays in the form shown again.
            form.add_error(None, str(error))
        else:
            # Shown on this response only: the secret is never stored, so never shown again.
            return render(request, "api/token_made.html", {"token": token, "secret": secret})
    return _page(request, form, status=400 if form.is_bound and form.errors else 200)


@require_POST
@login_required
def revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("api.manage_token", token):
        raise PermissionDenied("Only the token's owner revokes it.")
    try:
        token_revoke(actor=request.user, token=token)
    except TokenError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The token “{token.name}” is revoked: it works no more.")
    return redirect("api:tokens")


def _schema_name(schema: dict[str, Any], enums: dict[str, Any]) -> str:
    """A response's or parameter's type in words: an enumeration's values, a schema's name, or
    its JSON type (an optional one's null left out: the parameter is then not required)."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return _schema_name(enums[name], enums) if name in enums else name
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        return " or ".join(_schema_name(option, enums) for option in options)
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    return str(schema.get("type", "any"))


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    enums = {
        name: component
        for name, component in schema.get("components", {}).get("schemas", {}).items()
        if "enum" in component
    }
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            parameters = [
                {
                    "name": parameter["name"],
                    "where": parameter["in"],
                    "type": _schema_name(parameter["schema"], enums),
                    "required": parameter.get("required", False),
                    "description": parameter["schema"].get("description", ""),
                }
                for parameter in operation.get("parameters", [])
            ]
            responses = []
            for status, response in operation["responses"].items():
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "type": _schema_name(body, enums) if body else "",
                    }
                )
            body = ""
            for content_type, content in (
                operation.get("requestBody", {}).get("content", {}).items()
            ):
                fields = content.get("schema", {})
                if "$ref" in fields:
                    body = f"{content_type}: {_schema_name(fields, enums)}"
                else:
                    body = f"{content_type}: " + ", ".join(fields.get("properties", {}))
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "body": body,
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    return operations


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The API's reference, drawn from the OpenAPI schema it serves: public, as the schema is."""
    from api.v1 import api

    schema = api.get_openapi_schema()
    return render(
        request,
        "api/docs.html",
        {"info": schema["info"], "operations": _operations(schema)},
    )
