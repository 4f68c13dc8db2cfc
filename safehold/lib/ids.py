"""Record identifiers: random UUIDs, so ids reveal neither order nor count."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    """Return a fresh random (version 4) UUID."""
    return uuid.uuid4()
