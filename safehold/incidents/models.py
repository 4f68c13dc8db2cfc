"""Incidents: a coordinated response to someone missing, detained or exposed.

An incident links the person, the alerts that raised it and the safe house; it has a
lead, a severity and a state, tasks from a playbook, and one timeline. Notes, the
debrief and task titles an organisation writes may name people and places, so they
are encrypted like any other secret.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedJSONField, EncryptedTextField
from safehold.lib.append_only import AppendOnly
from safehold.lib.ids import new_id


class IncidentKind(models.TextChoices):
    PERSON_MISSING = "person_missing", _("Person missing")
    DETAINED = "detained", _("Detained")
    HOUSE_COMPROMISED = "house_compromised", _("Safe house compromised")


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open")
    RESPONDING = "responding", _("Responding")
    LOCATED = "located", _("Person located")
    CLOSED = "closed", _("Closed")


class IncidentOutcome(models.TextChoices):
    SAFE = "safe", _("The person is safe")
    RELEASED = "released", _("Released from detention")
    DETAINED = "detained", _("Still detained")
    RETURNED = "returned", _("Taken back by the persecutors")
    FALSE_ALARM = "false_alarm", _("False alarm")
    UNKNOWN = "unknown", _("Fate unknown")


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="incidents"
    )
    compartment = models.ForeignKey(
        "accounts.Compartment", on_delete=models.PROTECT, related_name="incidents"
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    safe_house = models.ForeignKey(
        "shelters.SafeHouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    severity = models.CharField(_("severity"), max_length=10, default="critical")
    state = models.CharField(
        _("state"), max_length=12, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=IncidentOutcome.choices, blank=True
    )
    debrief = EncryptedTextField(_("debrief"), null=True, blank=True, default=None)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["organisation", "state", "opened_at"])]

    def __str__(self) -> str:
        return f"incident {self.pk}"

    @property
    def responsible_id(self) -> uuid.UUID | None:
        """The lead, else whoever opened it: who is alerted when nobody else is."""
        return self.lead_id or self.opened_by_id


class IncidentAlert(models.Model):
    """An alert that raised or joined an incident; an alert joins one incident at most."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_links")
    alert = models.OneToOneField("alerts.Alert", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"incident alert {self.pk}"


class Playbook(models.Model):
    """An organisation's editable template of tasks for one kind of incident."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="playbooks"
    )
    kind = models.CharField(_("for incidents of kind"), max_length=20, choices=IncidentKind.choices)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)

    class Meta:
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="playbook_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"playbook {self.pk}"


class OwnerRole(models.TextChoices):
    LEAD = "lead", _("The incident lead")
    COORDINATOR = "coordinator", _("A coordinator")
    LAWYER = "lawyer", _("A lawyer (responder)")


class TitledInTwoLanguages:
    """A playbook step or a task: one title in English and one in Russian."""

    title_en: str
    title_ru: str

    def title_in(self, language: str | None = None) -> str:
        """Return the title in `language` (default: the active one), English unless Russian."""
        code = language if language is not None else (translation.get_language() or "")
        return str(self.title_ru if code.startswith("ru") else self.title_en)


class PlaybookStep(TitledInTwoLanguages, models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title_en = models.CharField(max_length=300)
    title_ru = models.CharField(max_length=300)
    owner_role = models.CharField(max_length=12, choices=OwnerRole.choices)
    # Minutes after the incident opened; empty for tasks without a deadline.
    due_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["playbook", "position"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "position"], name="playbook_step_unique")
        ]

    def __str__(self) -> str:
        return f"playbook step {self.position}"


class IncidentTask(TitledInTwoLanguages, models.Model):
    """A task of one incident, copied from its playbook so later edits change nothing."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    title_en = EncryptedTextField()
    title_ru = EncryptedTextField()
    owner_role = models.CharField(max_length=12, choices=OwnerRole.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Opened by the worker when the deadline passed: the owner is told, then the lead.
    overdue_alert = models.OneToOneField(
        "alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["incident", "position"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="task_awaiting_overdue",
                condition=models.Q(done_at__isnull=True, overdue_alert__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"incident task {self.pk}"


class EntryKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ALERT = "alert", _("Alert")
    STATE = "state", _("State changed")
    TASK_DONE = "task_done", _("Task done")
    NOTE = "note", _("Note")
    CALL = "call", _("Call logged")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    DISPATCH = "dispatch", _("Dispatch")
    ADDRESS_REVEALED = "address_revealed", _("Address revealed")
    CLOSED = "closed", _("Closed")


class TimelineEntry(AppendOnly):
    """One line of the incident's timeline: what, who and when. Never edited."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    # Free text (a note, a call's summary) is encrypted; `facts` holds ids and codes only.
    text = EncryptedTextField(null=True, blank=True, default=None)
    facts = models.JSONField(default=dict)

    class Meta:
        ordering = ["incident", "at"]

    def __str__(self) -> str:
        return f"timeline entry {self.pk}"


class ResponderKind(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer")
    DRIVER = "driver", _("Driver")
    DOCTOR = "doctor", _("Doctor")


class Availability(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")


class ResponderProfile(models.Model):
    """Where a responder works, what they do and whether they can go now.

    Cities and regions say where a member lives and works: encrypted, and matched in
    Python, which is cheap for the dozens of responders an organisation has.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responder_profile"
    )
    kinds = models.JSONField(_("responds as"), default=list)
    cities = EncryptedJSONField(_("cities"), default=list, blank=True)
    regions = EncryptedJSONField(_("regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"responder profile {self.pk}"


class DispatchState(models.TextChoices):
    OFFERED = "offered", _("Asked, waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("No answer in time")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Dispatch(models.Model):
    """One responder asked to go for one incident; silence past `expires_at` moves the
    request to the next responder."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="dispatches")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dispatches"
    )
    kind = models.CharField(max_length=10, choices=ResponderKind.choices)
    state = models.CharField(
        max_length=10, choices=DispatchState.choices, default=DispatchState.OFFERED
    )
    offered_at = models.DateTimeField(default=timezone.now)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # The notification that carries the request, with its accept link.
    alert = models.OneToOneField(
        "alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["incident", "offered_at"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="dispatch_awaiting_answer",
                condition=models.Q(state="offered"),
            )
        ]

    def __str__(self) -> str:
        return f"dispatch {self.pk}"
