"""Inbound channels: the gateways messages arrive through, who may write in, and
every delivery received, once.

Phone numbers, chat ids and message texts are encrypted and found by keyed digests;
a gateway's secrets (Twilio's auth token, the Android gateway's signing key, the
Telegram webhook secret, the reply URL with its credentials) likewise.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedJSONField, EncryptedTextField
from safehold.lib.ids import new_id


class GatewayKind(models.TextChoices):
    TWILIO = "twilio", _("Twilio SMS")
    ANDROID = "android", _("SMS Gateway for Android")
    TELEGRAM = "telegram", _("Telegram bot")


class Gateway(models.Model):
    """One way messages reach an organisation, and the way its answers leave."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="gateways"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=GatewayKind.choices)
    label = models.CharField(_("label"), max_length=60)
    # Twilio's auth token, the Android gateway's signing key, or the Telegram secret token.
    secret = EncryptedTextField()
    # Twilio signs the exact URL it calls, as configured in its console.
    public_url = models.CharField(_("public webhook URL"), max_length=500, blank=True)
    # An Apprise URL without its recipient (twilio://SID:TOKEN@+FROM, smsgate://…,
    # tgram://BOT_TOKEN); the recipient is appended per reply.
    reply_url = EncryptedTextField(blank=True)
    # Where cries for help from unknown senders become new intake cases.
    intake_compartment = models.ForeignKey(
        "accounts.Compartment", on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"gateway {self.pk} ({self.kind})"


class AddressKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    TELEGRAM = "telegram", _("Telegram account")


class Sender(models.Model):
    """A phone number or Telegram account that speaks for one person or one member.

    A person's phones live with the case (cases.PersonPhone); this holds members'
    phones and everyone's Telegram accounts.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=AddressKind.choices)
    address = EncryptedTextField()
    address_index = models.CharField(max_length=64, editable=False)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "address_index"], name="sender_unique_in_org"
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=True) ^ models.Q(member__isnull=True),
                name="sender_is_person_or_member",
            ),
        ]

    def __str__(self) -> str:
        return f"sender {self.pk}"


class LinkCode(models.Model):
    """A one-time code a person or member sends to the Telegram bot to link an account."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    code_index = models.CharField(max_length=64, unique=True, editable=False)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"link code {self.pk}"


class Handling(models.TextChoices):
    CHECKIN = "checkin", _("Check-in")
    PANIC = "panic", _("Panic")
    ACK = "ack", _("Acknowledgement")
    STATUS = "status", _("Status request")
    LINKED = "linked", _("Account linked")
    INTAKE = "intake", _("Cry for help from an unknown sender")
    IGNORED = "ignored", _("Ignored")


class InboundMessage(models.Model):
    """One delivery from a gateway, recorded once: a provider's retry finds it here.

    The text is kept only where a human must read it (a panic, a cry for help), with
    long digit runs masked; a check-in's text, which holds a PIN, is never stored.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    gateway = models.ForeignKey(Gateway, on_delete=models.PROTECT, related_name="messages")
    # A keyed digest of the provider's own id for the delivery (MessageSid, update_id…).
    delivery_index = models.CharField(max_length=64, editable=False)
    received_at = models.DateTimeField(default=timezone.now)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handling = models.CharField(max_length=10, choices=Handling.choices)
    text = EncryptedTextField(null=True, blank=True, default=None)
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "delivery_index"], name="inbound_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["handling", "received_at"])]

    def __str__(self) -> str:
        return f"inbound message {self.pk}"


class PersonWords(models.Model):
    """A person's own words for checking in and for calling for help, by SMS or Telegram.

    Encrypted: a captor who learns a panic word can avoid it, and one who learns the
    check-in word knows what the person's messages mean.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.OneToOneField("cases.Person", on_delete=models.CASCADE, related_name="+")
    checkin_words = EncryptedJSONField(default=list)
    panic_words = EncryptedJSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"words {self.pk}"
