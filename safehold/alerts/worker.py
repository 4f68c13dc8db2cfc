"""The worker: turns due work into alerts and notifications, and delivers them.

One pass (`Worker.tick`) opens alerts for missed check-ins, duress check-ins and PIN
attacks, climbs the ladders that are due, then claims due notifications and hands them
to transports in parallel. Between passes it sleeps until the next known deadline,
at most `MAX_IDLE` (duress check-ins and new schedules arrive unannounced), or until
PostgreSQL wakes it (LISTEN/NOTIFY).

Delivery is at least once: a claim and an attempt row are committed before a transport
is called, and the notification is marked sent only after the transport accepted it.
A worker killed mid-send leaves a claim that expires; the next pass sends again, as a
new attempt, with the same idempotency key.
"""

from __future__ import annotations

import datetime
import logging
import os
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone

from safehold.alerts.actions import NewAlert, climb_ladders, open_alerts
from safehold.alerts.messages import compose
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    Channel,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Purpose,
)
from safehold.checkins.models import Checkin, CheckinSecret, Outcome, Schedule
from safehold.transports.base import DeliveryReport, FailureKind, Message, TransportError

log = logging.getLogger("safehold.worker")

WAKE_CHANNEL = "safehold_worker"
MAX_IDLE = 0.25  # seconds: the longest a duress check-in waits for the next pass
BATCH = 500
CLAIM_TTL = datetime.timedelta(seconds=60)  # a claim older than this was abandoned
SEND_TIMEOUT = 10.0
FAILURES_BEFORE_NEXT_CHANNEL = 3
MAX_ATTEMPTS = 30
RETRY_BASE = datetime.timedelta(seconds=5)
RETRY_CAP = datetime.timedelta(minutes=5)

Deliver = Callable[..., DeliveryReport]


def _default_deliver(url: str, message: Message, *, timeout_seconds: float) -> DeliveryReport:
    from safehold.transports.apprise_channel import deliver

    return deliver(url, message, timeout_seconds=timeout_seconds)


def retry_delay(failures: int) -> datetime.timedelta:
    """Return the wait after `failures` consecutive failures on one channel."""
    return min(RETRY_BASE * (2 ** max(failures - 1, 0)), RETRY_CAP)


def wake_workers() -> None:
    """Ask sleeping workers to look for work now (PostgreSQL; elsewhere they poll)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [WAKE_CHANNEL])


@dataclass
class TickReport:
    missed: int = 0
    duress: int = 0
    attacks: int = 0
    escalated: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def did_work(self) -> bool:
        return any(vars(self).values())


@dataclass
class _Job:
    notification: Notification
    attempt: DeliveryAttempt
    channel: Channel | None
    url: str = ""
    message: Message | None = None
    future: Future[DeliveryReport] | None = field(default=None, repr=False)


class Worker:
    """One worker process's loop. Several may run on PostgreSQL; one on SQLite."""

    def __init__(
        self,
        *,
        name: str | None = None,
        deliver: Deliver = _default_deliver,
        pool_size: int = 16,
        batch: int = BATCH,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.deliver = deliver
        self.batch = batch
        self.pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="deliver")
        self.stop_event = threading.Event()
        self._listening = False
        self._skip_locked = connection.vendor == "postgresql"

    # --- the loop -------------------------------------------------------------------

    def run(self) -> None:
        """Work until `stop()`; survive database and transport outages, saying so."""
        log.info("worker %s started", self.name)
        outage_since: float | None = None
        while not self.stop_event.is_set():
            try:
                report = self.tick(timezone.now())
                if outage_since is not None:
                    log.warning(
                        "database reachable again after %.1f s", time.monotonic() - outage_since
                    )
                    outage_since = None
                if report.did_work:
                    log.info("pass: %s", report)
                    continue
                self._sleep(self._idle_for(timezone.now()))
            except (OperationalError, InterfaceError, DatabaseError) as error:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.error("database unavailable (%s); retrying", type(error).__name__)
                self._listening = False
                connection.close()
                self.stop_event.wait(1.0)
        self.pool.shutdown(wait=True)
        log.info("worker %s stopped", self.name)

    def stop(self) -> None:
        self.stop_event.set()

    def tick(self, now: datetime.datetime) -> TickReport:
        """Do one pass of every kind of due work at `now`."""
        if not connection.in_atomic_block:
            # Drop a connection the database closed (a restart) before using it; inside
            # a transaction (tests drive passes that way) it must stay as it is.
            close_old_connections()
        report = TickReport()
        report.missed = self.open_missed(now)
        report.duress = self.open_duress(now)
        report.attacks = self.open_attacks(now)
        report.escalated = self.escalate(now)
        report.claimed, report.sent, report.failed = self.deliver_due(now)
        return report

    # --- claiming helpers ---------------------------------------------------------

    def _lock(self, queryset):  # type: ignore[no-untyped-def]
        # SKIP LOCKED lets several workers share PostgreSQL without waiting on each
        # other; SQLite serialises writers anyway and runs one worker.
        if self._skip_locked:
            return queryset.select_for_update(skip_locked=True, of=("self",))
        return queryset

    # --- alerts ---------------------------------------------------------------------

    def open_missed(self, now: datetime.datetime) -> int:
        """Open an alert for every schedule past its deadline and grace."""
        with transaction.atomic():
            due = list(
                self._lock(
                    Schedule.objects.filter(overdue_at__lte=now)
                    .exclude(alerted_deadline=F("next_deadline"))
                    .select_related("person")
                    .order_by("overdue_at")
                )[: self.batch]
            )
            if not due:
                return 0
            open_alerts(
                [
                    NewAlert(s.person, AlertKind.MISSED_CHECKIN, missed_deadline=s.next_deadline)
                    for s in due
                ],
                now=now,
            )
            Schedule.objects.filter(pk__in=[s.pk for s in due]).update(
                alerted_deadline=F("next_deadline")
            )
        return len(due)

    def open_duress(self, now: datetime.datetime) -> int:
        """Open a top-severity alert for every duress check-in not yet handled."""
        with transaction.atomic():
            checkins = list(
                self._lock(
                    Checkin.objects.filter(outcome=Outcome.DURESS, processed_at__isnull=True)
                    .select_related("person")
                    .order_by("at")
                )[: self.batch]
            )
            if not checkins:
                return 0
            open_alerts(
                [NewAlert(c.person, AlertKind.DURESS, source_checkin_id=c.pk) for c in checkins],
                now=now,
            )
            Checkin.objects.filter(pk__in=[c.pk for c in checkins]).update(processed_at=now)
        return len(checkins)

    def open_attacks(self, now: datetime.datetime) -> int:
        """Open a silent "possible coercion" alert for runs of wrong PINs."""
        with transaction.atomic():
            secrets = list(
                self._lock(
                    CheckinSecret.objects.filter(
                        attack_flagged_at__isnull=False, attack_alerted_at__isnull=True
                    ).select_related("person")
                )[: self.batch]
            )
            if not secrets:
                return 0
            open_alerts([NewAlert(s.person, AlertKind.PIN_ATTACK) for s in secrets], now=now)
            CheckinSecret.objects.filter(pk__in=[s.pk for s in secrets]).update(
                attack_alerted_at=now
            )
        return len(secrets)

    def escalate(self, now: datetime.datetime) -> int:
        """Climb one rung for every open alert whose wait is over."""
        with transaction.atomic():
            due = list(
                self._lock(
                    Alert.objects.filter(state=AlertState.OPEN, next_step_at__lte=now)
                    .select_related("person")
                    .order_by("next_step_at")
                )[: self.batch]
            )
            if not due:
                return 0
            climb_ladders(due, now=now)
        return len(due)

    # --- delivery -------------------------------------------------------------------

    def _claim(self, now: datetime.datetime) -> list[_Job]:
        due = Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
            status=NotificationStatus.SENDING, claimed_until__lt=now
        )
        with transaction.atomic():
            claimed = list(
                self._lock(
                    Notification.objects.filter(due)
                    .select_related("alert", "alert__person", "member")
                    .order_by("next_attempt_at")
                )[: self.batch]
            )
            if not claimed:
                return []
            stale = [
                n
                for n in claimed
                if n.purpose == Purpose.ALERT and n.alert.state != AlertState.OPEN
            ]
            live = [n for n in claimed if n not in stale]
            if stale:
                Notification.objects.filter(pk__in=[n.pk for n in stale]).update(
                    status=NotificationStatus.CANCELLED
                )
            channels = self._channels_of({n.member_id for n in live})
            jobs = []
            for notification in live:
                member_channels = channels.get(notification.member_id, [])
                channel = (
                    member_channels[notification.channel_index % len(member_channels)]
                    if member_channels
                    else None
                )
                attempt = DeliveryAttempt(
                    notification=notification, channel=channel, started_at=now, worker=self.name
                )
                jobs.append(_Job(notification, attempt, channel))
            Notification.objects.filter(pk__in=[j.notification.pk for j in jobs]).update(
                status=NotificationStatus.SENDING,
                claimed_until=now + CLAIM_TTL,
                attempts=F("attempts") + 1,
            )
            DeliveryAttempt.objects.bulk_create([j.attempt for j in jobs])
        return jobs

    def _channels_of(self, member_ids: set[object]) -> dict[object, list[Channel]]:
        by_member: dict[object, list[Channel]] = {}
        for channel in Channel.objects.filter(member_id__in=member_ids, is_active=True).order_by(
            "member_id", "position"
        ):
            by_member.setdefault(channel.member_id, []).append(channel)
        return by_member

    def deliver_due(self, now: datetime.datetime) -> tuple[int, int, int]:
        """Claim due notifications, send them in parallel, record each outcome.

        Return (claimed, sent, failed).
        """
        jobs = self._claim(now)
        for job in jobs:
            if job.channel is None:
                continue
            # Decrypt and compose here, in this thread: the pool only talks to transports.
            job.url = job.channel.url
            job.message = compose(job.notification)
            job.future = self.pool.submit(
                self.deliver, job.url, job.message, timeout_seconds=SEND_TIMEOUT
            )
        delivered: list[_Job] = []
        failed = 0
        for job in jobs:
            error: TransportError | None = None
            if job.future is not None:
                try:
                    job.future.result()
                    delivered.append(job)
                    continue
                except TransportError as problem:
                    error = problem
                except Exception as problem:
                    log.exception("transport crashed (%s)", type(problem).__name__)
                    error = TransportError(FailureKind.FAILED, permanent=False)
            self._record_failure(job, error, now)
            failed += 1
        self._record_sent(delivered, now)
        return len(jobs), len(delivered), failed

    def _record_sent(self, jobs: list[_Job], now: datetime.datetime) -> None:
        """Mark delivered notifications and their attempts, a few statements per batch."""
        if not jobs:
            return
        with transaction.atomic():
            DeliveryAttempt.objects.filter(pk__in=[j.attempt.pk for j in jobs]).update(
                finished_at=now, outcome="sent"
            )
            Notification.objects.filter(pk__in=[j.notification.pk for j in jobs]).update(
                status=NotificationStatus.SENT, sent_at=now, claimed_until=None, last_error=""
            )

    def _record_failure(
        self, job: _Job, error: TransportError | None, now: datetime.datetime
    ) -> None:
        notification, attempt = job.notification, job.attempt
        kind = error.kind if error is not None else "no_channel"
        permanent = error.permanent if error is not None else True
        attempt.finished_at = now
        attempt.outcome, attempt.error_kind = ("permanent" if permanent else "retry"), kind
        notification.last_error = kind
        notification.attempts += 1  # as the claim counted it in the database
        self._plan_retry(
            notification, permanent=permanent, now=now, has_channel=job.channel is not None
        )
        log.warning(
            "delivery failed: notification=%s kind=%s permanent=%s attempt=%s",
            notification.pk,
            kind,
            permanent,
            notification.attempts,
        )
        with transaction.atomic():
            attempt.save(update_fields=["finished_at", "outcome", "error_kind"])
            notification.claimed_until = None
            notification.save(
                update_fields=[
                    "status",
                    "last_error",
                    "claimed_until",
                    "channel_index",
                    "failures_on_channel",
                    "next_attempt_at",
                ]
            )

    def _plan_retry(
        self,
        notification: Notification,
        *,
        permanent: bool,
        now: datetime.datetime,
        has_channel: bool,
    ) -> None:
        """Retry with backoff; after repeated or permanent failures, the next channel."""
        if not has_channel or notification.attempts >= MAX_ATTEMPTS:
            # Nobody can be reached this way: record it where coordinators look.
            notification.status = NotificationStatus.FAILED
            return
        notification.status = NotificationStatus.PENDING
        notification.failures_on_channel += 1
        if permanent or notification.failures_on_channel >= FAILURES_BEFORE_NEXT_CHANNEL:
            notification.channel_index += 1
            notification.failures_on_channel = 0
            notification.next_attempt_at = now
        else:
            notification.next_attempt_at = now + retry_delay(notification.failures_on_channel)

    # --- sleeping -------------------------------------------------------------------

    def _idle_for(self, now: datetime.datetime) -> float:
        """Seconds until the earliest known due work, at most MAX_IDLE."""
        candidates = [
            Schedule.objects.filter(overdue_at__gt=now)
            .order_by("overdue_at")
            .values_list("overdue_at", flat=True)
            .first(),
            Alert.objects.filter(state=AlertState.OPEN, next_step_at__gt=now)
            .order_by("next_step_at")
            .values_list("next_step_at", flat=True)
            .first(),
            Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__gt=now)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first(),
        ]
        soonest = min((c for c in candidates if c is not None), default=None)
        if soonest is None:
            return MAX_IDLE
        return max(0.0, min(MAX_IDLE, (soonest - now).total_seconds()))

    def _sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; return True if a NOTIFY woke the worker early."""
        if seconds <= 0:
            return False
        if connection.vendor != "postgresql":
            self.stop_event.wait(seconds)
            return False
        if not self._listening:
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {WAKE_CHANNEL}")
            self._listening = True
        raw = connection.connection
        # A notification may already have arrived during the last pass.
        if any(True for _notice in raw.notifies(timeout=0)):
            return True
        # Wake on NOTIFY or after `seconds`, whichever comes first.
        readable, _, _ = select.select([raw.fileno()], [], [], seconds)
        return readable != [] and any(True for _notice in raw.notifies(timeout=0))
