from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from accounts.forms.user import UserChangeForm, UserCreationForm
from accounts.models import Centre, Membership, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )


# The Django admin is for site superusers only: centre staff work through the centre pages,
# whose access rules know about centres and roles; the admin's do not.
def _superusers_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
admin.site.site_header = "Vocational e-Portfolio administration"


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "number"]
    search_fields = ["name", "number"]
    filter_horizontal = ["qualifications"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "centre", "role", "expires_on", "is_active"]
    list_filter = ["role", "is_active", "centre"]
    list_select_related = ["user", "centre"]
    search_fields = ["user__email", "user__full_name"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Roles are revoked (is_active off), never deleted: the history must stay.
        return False
