"""Alerts and everything needed to get a human to acknowledge one.

An alert is a row before anything is sent, and so is every notification (the outbox):
the worker claims due rows, hands them to transports and records each attempt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedJSONField, EncryptedTextField
from safehold.lib.ids import new_id


class Channel(models.Model):
    """One way to reach a member (an Apprise URL), tried in `position` order."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels"
    )
    position = models.PositiveSmallIntegerField(_("order"))
    # The URL holds addresses, phone numbers and tokens: encrypted like any secret.
    url = EncryptedTextField(_("address (Apprise URL)"))
    # The scheme alone ("mailto", "tgram", "json") is shown in lists.
    scheme = models.CharField(_("kind"), max_length=30)
    label = EncryptedTextField(_("label"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["member", "position"]
        constraints = [
            models.UniqueConstraint(fields=["member", "position"], name="channel_position_unique")
        ]

    def __str__(self) -> str:
        return f"channel {self.pk} ({self.scheme})"


class TargetKind(models.TextChoices):
    MEMBER = "member", _("A named member")
    COORDINATOR = "coordinator", _("The person's coordinator")
    ON_DUTY = "on_duty", _("Whoever is on duty in a compartment")
    ROLE = "role", _("Everyone with a role in a compartment")


class EscalationPolicy(models.Model):
    """The ladder an alert climbs in one compartment; it repeats until acknowledged."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    compartment = models.OneToOneField(
        "accounts.Compartment", on_delete=models.CASCADE, related_name="escalation_policy"
    )
    repeat_from = models.PositiveSmallIntegerField(
        _("repeat from step"),
        default=1,
        help_text=_("After the last step the ladder starts again from this step."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"escalation policy {self.pk}"


class EscalationStep(models.Model):
    """Tell `targets`, then wait `wait_minutes` before the next step."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step"))
    wait_minutes = models.PositiveIntegerField(_("wait before the next step (minutes)"))
    # A list of {"kind": TargetKind, "member": id?, "compartment": id?, "role": str?}.
    targets = models.JSONField(_("who is told"), default=list)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="step_position_unique")
        ]

    def __str__(self) -> str:
        return f"step {self.position}"


class DutyShift(models.Model):
    """A member on duty for a compartment between two moments."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    compartment = models.ForeignKey(
        "accounts.Compartment", on_delete=models.CASCADE, related_name="duty_shifts"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["compartment", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"duty shift {self.pk}"


class AlertKind(models.TextChoices):
    MISSED_CHECKIN = "missed_checkin", _("Missed check-in")
    DURESS = "duress", _("Duress check-in")
    PIN_ATTACK = "pin_attack", _("Repeated wrong PINs")
    PANIC = "panic", _("Panic")
    MANUAL = "manual", _("Raised by a coordinator")
    INTAKE = "intake", _("Cry for help from an unknown sender")
    UNUSUAL = "unusual_checkin", _("Check-in by a channel never used before")
    # Incident work, each with a route of its own (see Alert.route).
    TASK_OVERDUE = "task_overdue", _("Incident task overdue")
    DISPATCH = "dispatch", _("Responder dispatched")
    DISPATCH_UNANSWERED = "dispatch_unanswered", _("No responder accepted")


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class AlertState(models.TextChoices):
    OPEN = "open", _("Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Resolution(models.TextChoices):
    PERSON_SAFE = "person_safe", _("The person is safe")
    FALSE_ALARM = "false_alarm", _("False alarm")
    INCIDENT = "incident", _("Handed over to an incident")
    OTHER = "other", _("Other")


class Alert(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # Every index costs each insert in a burst of alerts: the organisation is covered by
    # the (organisation, state, created_at) index below, and who acknowledged or resolved
    # is only ever read from the alert itself.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="alerts", db_index=False
    )
    # Empty only for incident work about a safe house rather than a person.
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    # What messages name when there is no person: a safe house's codename, say.
    topic = models.CharField(max_length=60, blank=True, db_default="")
    # Incident work goes to named members (a task's owner, then the lead; a dispatched
    # responder) instead of the compartment's ladder: the rungs are kept here as ids.
    route = models.JSONField(null=True, blank=True, default=None)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # Short and opaque, for "ACK K7QX2M" by SMS; unique while it matters.
    code = models.CharField(_("code"), max_length=8, unique=True)
    state = models.CharField(
        _("state"), max_length=15, choices=AlertState.choices, default=AlertState.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The ladder: the step last run (0: none yet), the round, and when to run the next.
    step = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    next_step_at = models.DateTimeField(null=True, blank=True)
    source_checkin = models.ForeignKey(
        "checkins.Checkin", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    missed_deadline = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    # What was known when a panic came in: when, by which channel, the message, the
    # last check-in, the safe house and a location if the channel gave one. Encrypted:
    # the message may name places and people.
    context = EncryptedJSONField(null=True, blank=True, default=None)
    # Empty until resolved: alerts are written in bulk without a note to encrypt.
    resolution_note = EncryptedTextField(_("note"), blank=True, null=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                name="alert_due_step",
                condition=Q(state="open"),
            ),
            models.Index(fields=["organisation", "state", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"alert {self.code}"

    @property
    def is_open(self) -> bool:
        return self.state == AlertState.OPEN

    @property
    def about(self) -> str:
        """The codename messages and pages name: the person's, else the topic."""
        return self.person.codename if self.person is not None else self.topic


class Purpose(models.TextChoices):
    ALERT = "alert", _("Alert")
    STAND_DOWN = "stand_down", _("Stand down")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("No longer needed")
    FAILED = "failed", _("Could not be delivered")


class Outgoing(models.Model):
    """An outbox row: a message waiting to be sent, claimed, sent or given up on.

    The worker claims due rows (`next_attempt_at`, or a claim that ran out), counts
    the attempt, and marks the row sent only after a transport accepted it.
    """

    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Carried in every message so a receiver can recognise a repeat.
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=40, blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at"]


class Notification(Outgoing):
    """One message to one member about one alert; delivered at least once."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.ALERT)
    step = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    # The channel tried next (by position among the member's active channels).
    channel_index = models.PositiveSmallIntegerField(default=0)
    # A panic tells a member on every channel at once, one notification per channel:
    # such a notification keeps to its channel instead of falling over to the next.
    fixed_channel = models.BooleanField(default=False)
    failures_on_channel = models.PositiveSmallIntegerField(default=0)

    class Meta(Outgoing.Meta):
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"notification {self.pk}"


class DeliveryAttempt(models.Model):
    """Written and committed before a transport is called, finished after it answers.

    An attempt left unfinished means the worker died mid-send: the message may or may
    not have left, and the notification is tried again as a new attempt.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    channel = models.ForeignKey(Channel, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)  # sent, retry, permanent
    error_kind = models.CharField(max_length=40, blank=True)
    elapsed_ms = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"attempt {self.pk}"


class Reply(Outgoing):
    """A text to an address that is not a member's channel: an answer to an inbound SMS
    or Telegram message. An outbox row like a notification, delivered by the worker.

    The URL (an Apprise URL naming the gateway and the recipient) and the text are
    encrypted: they hold a phone number or a chat id.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    url = EncryptedTextField()
    text = EncryptedTextField()

    class Meta(Outgoing.Meta):
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="reply_due",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"reply {self.pk}"
