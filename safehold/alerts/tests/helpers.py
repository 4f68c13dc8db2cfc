"""An in-memory transport and a scenario builder for the engine's tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from safehold.accounts.models import Member
from safehold.alerts.models import Channel
from safehold.cases.models import Person
from safehold.checkins.actions import issue_link, set_pins, set_schedule
from safehold.transports.base import DeliveryReport, FailureKind, Message, TransportError

T0 = datetime.datetime(2026, 11, 22, 6, 0, tzinfo=datetime.UTC)
PIN, DURESS_PIN = "2468", "1357"


@dataclass
class MemoryTransport:
    """Delivers into a list; URLs in `failures` raise the given error instead."""

    sent: list[tuple[str, Message]] = field(default_factory=list)
    failures: dict[str, TransportError] = field(default_factory=dict)
    calls: int = 0

    def __call__(self, url: str, message: Message, *, timeout_seconds: float) -> DeliveryReport:
        self.calls += 1
        if url in self.failures:
            raise self.failures[url]
        self.sent.append((url, message))
        return DeliveryReport(elapsed_ms=0.1, transport=url.split(":", 1)[0])

    def to(self, url: str) -> list[Message]:
        return [message for sent_to, message in self.sent if sent_to == url]


def refuse(permanent: bool = False) -> TransportError:
    kind = FailureKind.REJECTED if permanent else FailureKind.REFUSED
    return TransportError(kind, permanent=permanent, transport="json")


def add_channel(member: Member, url: str, position: int = 1) -> Channel:
    return Channel.objects.create(
        member=member, position=position, url=url, scheme=url.split(":", 1)[0]
    )


def watch(
    person: Person, *, minutes: int = 60, grace: int = 10, now: datetime.datetime = T0
) -> str:
    """Give `person` an interval schedule and PINs; return their secret link token."""
    set_schedule(
        person, actor=None, kind="interval", interval_minutes=minutes, grace_minutes=grace, now=now
    )
    set_pins(person, actor=None, pin=PIN, duress_pin=DURESS_PIN)
    return issue_link(person, actor=None)
