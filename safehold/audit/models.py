"""The append-only, hash-chained audit log."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils import timezone

from safehold.crypto.envelope import decrypt
from safehold.lib.append_only import AppendOnly
from safehold.lib.ids import new_id


class AuditEntry(AppendOnly):
    """One audited event. Never updated or deleted; `entry_hash` covers `prev_hash`.

    Details are encrypted (they may quote a reason typed by a member); the entry's
    HMAC covers the ciphertext and the previous entry's HMAC.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now)
    organisation_id = models.UUIDField(null=True, db_index=True)
    actor_id = models.UUIDField(null=True, db_index=True)
    actor_kind = models.CharField(max_length=20)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, db_index=True)
    details_token = models.TextField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"audit #{self.seq} {self.action}"

    @property
    def details(self) -> dict[str, Any]:
        from safehold.audit.chain import details_aad

        value: dict[str, Any] = json.loads(decrypt(self.details_token, aad=details_aad(self.id)))
        return value


class AuditHead(models.Model):
    """The chain's last link, locked while appending, so a removed tail is noticed."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
