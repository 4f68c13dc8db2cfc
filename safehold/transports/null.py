"""A transport that delivers nowhere and notes when each message was handed to it.

For measuring the engine alone (`safehold bench checkins`): the time from a missed
deadline to the moment a notification reaches a transport, without any network.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from safehold.transports.base import DeliveryReport, Message


class HandoffLog:
    """Appends "<unix time> <idempotency key>" per message to a file, thread-safely."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", buffering=1, encoding="ascii")
        self._lock = threading.Lock()

    def __call__(self, url: str, message: Message, *, timeout_seconds: float) -> DeliveryReport:
        handed_at = time.time()
        with self._lock:
            self._file.write(f"{handed_at:.6f} {message.idempotency_key}\n")
        return DeliveryReport(elapsed_ms=0.0, transport="null")
