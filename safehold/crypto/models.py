"""Data keys: random AES keys, stored only wrapped (encrypted) by a master key."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from safehold.crypto.keys import CryptoError


class DataKey(models.Model):
    """One 256-bit data key, wrapped by the master key `master_key_id`.

    `wrapped` is base64(nonce || AES-256-GCM(master, key, aad=wrap_aad)), where the
    associated data binds the wrapping to this row's id and purpose, so a wrapped key
    copied to another row, or turned from an index key into a data key, fails to
    unwrap. Rows are never deleted: every ciphertext names the data key that opens it.
    """

    class Purpose(models.TextChoices):
        DATA = "data", "data"
        INDEX = "index", "index"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    wrapped = models.TextField()
    master_key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            # Two processes creating the first key at once must not both win.
            models.UniqueConstraint(
                fields=["purpose"],
                condition=Q(is_active=True),
                name="crypto_datakey_one_active_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} key {self.id}"

    @property
    def wrap_aad(self) -> bytes:
        """Return the associated data that binds the wrapped key to this row."""
        return f"safehold-datakey:{self.id}:{self.purpose}".encode("ascii")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise CryptoError(
            "Data keys are never deleted: every record encrypted under them would become "
            "unreadable."
        )
