"""Records that are written once and never changed: the audit log, an incident's
timeline, the chain of custody of evidence."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnly(models.Model):
    """Refuse to save a row twice or to delete it through the model.

    A guard against our own code, not against someone with the database: the audit
    chain and the custody positions are what reveal a change made there.
    """

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{type(self).__name__} rows are append-only")
