"""The log of pages an external quality assurer opens at a centre, shown to the centre.

Written by verification.eqa_middleware (one INSERT per request); never changed, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class EqaPageViewQuerySet(models.QuerySet["EqaPageView"]):
    def visible_to(self, user: Any) -> EqaPageViewQuerySet:
        """The admins of a centre see its visits; the EQA sees their own."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(user_id=user.pk) | models.Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
        )


class EqaPageView(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="eqa_page_views"
    )
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="eqa_page_views"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status = models.PositiveSmallIntegerField()
    viewed_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EqaPageViewQuerySet.as_manager()

    class Meta:
        ordering = ["-viewed_at", "-pk"]
        indexes = [models.Index(fields=["centre", "-viewed_at"], name="verif_eqa_view_centre_time")]

    def __str__(self) -> str:
        return f"{self.user_id} opened {self.path} ({self.status})"
