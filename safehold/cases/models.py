"""Protected persons, their pipeline stage, phones, trusted contacts and documents.

Everything that could identify or locate a person is an encrypted field; only the
codename, the stage and operational dates are stored in the clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from safehold.lib.ids import new_id


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSMENT = "assessment", _("Assessment")
    RELOCATION = "relocation", _("Relocation")
    SHELTERED = "sheltered", _("Sheltered")
    DOCUMENTS_PENDING = "documents_pending", _("Documents / visa pending")
    DEPARTED = "departed", _("Departed")
    RESETTLED = "resettled", _("Resettled")
    CLOSED = "closed", _("Closed")


PIPELINE: list[str] = [s.value for s in Stage if s != Stage.CLOSED]


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="persons"
    )
    compartment = models.ForeignKey(
        "accounts.Compartment", on_delete=models.PROTECT, related_name="persons"
    )
    codename = models.CharField(_("codename"), max_length=60)
    legal_name = EncryptedTextField(_("legal name"), blank=True)
    aliases = EncryptedJSONField(_("aliases"), default=list, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    origin = EncryptedTextField(_("origin"), blank=True)
    # Where the person is now; encrypted because it narrows down where to find them.
    city = EncryptedTextField(_("current city"), blank=True)
    # The keyed digest of the normalised city: coordinators who may reveal the case can
    # filter by city without any city being stored or compared in plaintext.
    city_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    languages = EncryptedJSONField(_("languages"), default=list, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.HIGH
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.INTAKE, db_index=True
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coordinated_persons",
        verbose_name=_("coordinator"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("protected person")
        verbose_name_plural = _("protected persons")
        ordering = ["codename"]
        constraints = [
            models.UniqueConstraint(
                Lower("codename"), "organisation", name="person_codename_unique_in_org"
            )
        ]

    def __str__(self) -> str:
        return self.codename


class PersonPhone(models.Model):
    """A phone number in E.164 form, encrypted, found by its keyed digest."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    # Kept beside the person so the database itself refuses a number on two cases.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    number = EncryptedTextField(_("phone number"))
    number_index = models.CharField(max_length=64, editable=False)
    label = EncryptedTextField(_("label"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number_index"], name="phone_unique_in_org"
            )
        ]

    def __str__(self) -> str:
        return f"phone {self.pk}"


class TrustedContact(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="trusted_contacts")
    name = EncryptedTextField(_("name"))
    relation = EncryptedTextField(_("relation"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"trusted contact {self.pk}"


class StageChange(models.Model):
    """One move along the pipeline: who, when and why. Never edited."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} → {self.to_stage}"


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    INTERNAL_PASSPORT = "internal_passport", _("Internal passport")
    TRAVEL_DOCUMENT = "travel_document", _("Travel document")
    VISA_APPLICATION = "visa_application", _("Visa application")
    VISA = "visa", _("Visa")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    ASYLUM_CLAIM = "asylum_claim", _("Asylum claim")
    OTHER = "other", _("Other")


class DocumentStatus(models.TextChoices):
    NEEDED = "needed", _("Needed")
    IN_PREPARATION = "in_preparation", _("In preparation")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")


class Document(models.Model):
    """A passport, visa application or similar, with the dates that drive deadlines."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("Two-letter code."))
    status = models.CharField(
        _("status"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.NEEDED
    )
    number = EncryptedTextField(_("document number"), blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    deadline_note = EncryptedTextField(_("what is due"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deadline", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.country})"
