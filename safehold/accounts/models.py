"""Organisations, their members (staff accounts) and compartments."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.envelope import blind_index
from safehold.crypto.fields import EncryptedTextField
from safehold.lib.ids import new_id

EMAIL_INDEX_PURPOSE = "member-email"


def email_index(email: str) -> str:
    """Return the lookup digest for a login e-mail; the address itself is stored encrypted."""
    return blind_index(EMAIL_INDEX_PURPOSE, email.strip().casefold())


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # The organisation's own name is how its staff know it; it names no protected person.
    name = models.CharField(_("name"), max_length=200, unique=True)
    default_phone_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default="RU",
        help_text=_("Two-letter country code used when a phone number has no +prefix."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    COORDINATOR = "coordinator", _("Coordinator")
    RESPONDER = "responder", _("Responder")
    VIEWER = "viewer", _("Viewer")


class MemberManager(BaseUserManager["Member"]):
    def get_by_natural_key(self, username: str | None) -> Member:
        return self.get(email_index=email_index(username or ""))

    def create_user(
        self,
        email: str,
        password: str | None,
        *,
        organisation: Organisation | None,
        role: str = Role.VIEWER,
        display_name: str = "",
        **extra: Any,
    ) -> Member:
        member = self.model(
            organisation=organisation, role=role, display_name=display_name, **extra
        )
        member.set_email(email)
        member.set_password(password)
        member.save(using=self._db)
        return member


class Member(AbstractBaseUser, PermissionsMixin):
    """A staff account: coordinator, responder, viewer or admin of one organisation.

    Login is by e-mail, found through a keyed digest; the address and the display name
    are stored encrypted, because a leaked member list exposes the network itself.
    Being a Django superuser grants nothing here: access to cases goes through
    safehold.access alone.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", null=True
    )
    email_index = models.CharField(max_length=64, unique=True, editable=False)
    email = EncryptedTextField(_("e-mail"))
    display_name = EncryptedTextField(_("display name"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    # The language of the notifications this member receives.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="ru"
    )
    compartments: models.ManyToManyField[Compartment, Any] = models.ManyToManyField(
        "Compartment", related_name="members", blank=True, verbose_name=_("compartments")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set for a password someone else saw (printed by `safehold init`, reset by an
    # admin): every page asks for a new one until it is changed.
    must_change_password = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    USERNAME_FIELD = "email_index"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[MemberManager] = MemberManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"member {self.pk}"

    def set_email(self, email: str) -> None:
        self.email = email.strip()
        self.email_index = email_index(email)

    @property
    def label(self) -> str:
        """Return the name shown to colleagues: the display name, else the e-mail."""
        return self.display_name or self.email

    @property
    def is_staff(self) -> bool:
        # There is no Django admin site; nobody is "staff" in Django's sense.
        return False


class Compartment(models.Model):
    """A team or region. Cases and safe houses belong to one; members see only theirs."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="compartments"
    )
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("compartment")
        verbose_name_plural = _("compartments")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="compartment_name_unique_in_org"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LoginThrottle(models.Model):
    """Failed logins for one account or one address, keyed by digest."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(default=timezone.now)
    blocked_until = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"throttle {self.key[:8]}"
