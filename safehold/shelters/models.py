"""Safe houses and who is placed in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedTextField
from safehold.lib.ids import new_id


class SafeHouseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BURNED = "burned", _("Burned")
    RETIRED = "retired", _("Retired")


class SafeHouse(models.Model):
    """A place to hide people. City and region are plain; the address never is."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="safe_houses"
    )
    compartment = models.ForeignKey(
        "accounts.Compartment", on_delete=models.PROTECT, related_name="safe_houses"
    )
    codename = models.CharField(_("codename"), max_length=60)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = EncryptedTextField(_("address"))
    access_instructions = EncryptedTextField(_("access instructions"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    status = models.CharField(
        _("status"), max_length=10, choices=SafeHouseStatus.choices, default=SafeHouseStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("safe house")
        verbose_name_plural = _("safe houses")
        ordering = ["codename"]
        constraints = [
            models.UniqueConstraint(
                Lower("codename"), "organisation", name="safe_house_codename_unique_in_org"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.codename


class Placement(models.Model):
    """A person staying in a safe house from `start_date`, until `end_date` if set."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="placements")
    safe_house = models.ForeignKey(SafeHouse, on_delete=models.PROTECT, related_name="placements")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="placement_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"placement {self.pk}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)
