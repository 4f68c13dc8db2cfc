"""Evidence of an incident and its chain of custody.

An evidence item is a file (a photo of the flat, a summons) or a note. Its content,
file name and description are encrypted at rest; the content's SHA-256, taken on
arrival, is kept beside it so every later access can show the item is unchanged. Each
access is a `CustodyEntry`, never edited, and an audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.crypto.fields import EncryptedTextField
from safehold.lib.append_only import AppendOnly
from safehold.lib.ids import new_id


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    NOTE = "note", _("Note")


class CustodyAction(models.TextChoices):
    RECEIVED = "received", _("Received")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPORTED = "exported", _("Exported")
    VERIFIED = "verified", _("Verified")


class EvidenceItemManager(models.Manager["EvidenceItem"]):
    def get_queryset(self) -> models.QuerySet[EvidenceItem]:
        # The content is up to 27 MB of token per item: a list of an incident's
        # evidence must not load it. Only the custody checks read it, with defer(None).
        return super().get_queryset().defer("content")


class EvidenceItem(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # PROTECT: evidence and its custody must outlive any attempt to delete the incident.
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("incident"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=EvidenceKind.choices)
    # The original file name (cleaned); empty (NULL) for notes.
    name = EncryptedTextField(_("file name"), null=True, blank=True, default=None)
    description = EncryptedTextField(_("description"), null=True, blank=True, default=None)
    # An envelope token (see records.evidence.content_aad), kept in the database so
    # the evidence shares its incident's transactions and backups.
    content = models.TextField(editable=False)
    # Sniffed from the bytes, never taken from the sender.
    content_type = models.CharField(_("content type"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    objects = EvidenceItemManager()

    class Meta:
        ordering = ["incident", "added_at"]
        indexes = [models.Index(fields=["incident", "added_at"])]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self) -> str:
        return f"evidence item {self.pk}"


class CustodyEntry(AppendOnly):
    """One access to an evidence item and what its content hashed to then. Never edited."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    item = models.ForeignKey(
        EvidenceItem,
        on_delete=models.PROTECT,
        related_name="custody",
        verbose_name=_("evidence item"),
    )
    # 1, 2, 3… per item, taken under the item's row lock: a strict order even for
    # entries in the same microsecond, and a deleted entry leaves a visible gap.
    position = models.PositiveIntegerField()
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=12, choices=CustodyAction.choices)
    # Empty when the content could not be decrypted at all.
    sha256_seen = models.CharField(_("SHA-256 seen"), max_length=64, blank=True)
    is_intact = models.BooleanField(_("intact"))

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="custody_entry_position")
        ]
        verbose_name = _("custody entry")
        verbose_name_plural = _("custody entries")

    def __str__(self) -> str:
        return f"custody entry {self.pk}"
