"""Explicit, per-record grants beyond a member's own compartments."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.lib.ids import new_id


class Need(models.IntegerChoices):
    """What a member needs to do with a record; each level includes those below it."""

    VIEW = 1, _("view")
    REVEAL = 2, _("reveal sensitive fields")
    EDIT = 3, _("edit")


class TargetKind(models.TextChoices):
    PERSON = "person", _("protected person")
    SAFE_HOUSE = "safe_house", _("safe house")


class Grant(models.Model):
    """Lets one member reach one record outside their compartments (a lawyer on a case).

    Records are named by kind and id rather than by foreign key, because this app sits
    below the apps that own those records.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    member = models.ForeignKey("accounts.Member", on_delete=models.CASCADE, related_name="grants")
    target_kind = models.CharField(max_length=20, choices=TargetKind.choices)
    target_id = models.UUIDField()
    need = models.PositiveSmallIntegerField(choices=Need.choices, default=Need.VIEW)
    granted_by = models.ForeignKey(
        "accounts.Member", on_delete=models.PROTECT, related_name="grants_given", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "target_kind", "target_id"])]

    def __str__(self) -> str:
        return f"grant {self.pk}"
