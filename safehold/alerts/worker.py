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

import contextlib
import datetime
import logging
import os
import select
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone

from safehold.accounts.models import Member
from safehold.alerts.actions import NewAlert, climb_ladders, open_alerts
from safehold.alerts.messages import Draft, compose_drafts
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
from safehold.alerts.replies import deliver_due_replies
from safehold.alerts.targets import Subject
from safehold.cases.models import Person
from safehold.checkins.models import Checkin, CheckinSecret, Outcome, Schedule
from safehold.lib.rows import (
    Raw,
    as_uuid,
    db_time,
    hex_id,
    insert_many,
    new_hex_ids,
    table,
    update_by_ids,
)
from safehold.transports.base import DeliveryReport, FailureKind, Message, TransportError

log = logging.getLogger("safehold.worker")

WAKE_CHANNEL = "safehold_worker"
MAX_IDLE = 0.25  # seconds: the longest a duress check-in waits for the next pass
BATCH = 5000
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
    """Ask sleeping workers to look for work now.

    PostgreSQL carries a NOTIFY to workers on any machine. SQLite has no such thing,
    and its one worker runs on this machine, so it listens on a datagram socket in
    the data directory; a web process that opened a panic pokes it there. If nobody
    listens the poke is lost, and the worker finds the work on its next pass anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [WAKE_CHANNEL])
        return
    path = _wake_socket_path()
    if path is None:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as poke:
        poke.setblocking(False)
        with contextlib.suppress(OSError):
            poke.sendto(b"!", path)


def _wake_socket_path() -> str | None:
    path = str(settings.DATA_DIR / "worker.wake")
    # A Unix socket's path must fit in 108 bytes; a deeper data directory just polls.
    return path if len(path.encode()) < 100 else None


@dataclass
class TickReport:
    missed: int = 0
    duress: int = 0
    attacks: int = 0
    escalated: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    replies: int = 0
    # Work of the apps above this one, by pass name (see register_pass).
    other: dict[str, int] = field(default_factory=dict)

    @property
    def did_work(self) -> bool:
        counts = [v for k, v in vars(self).items() if k != "other"]
        return any(counts) or any(self.other.values())


# Passes that apps above alerts add to every tick (incident tasks falling due, dispatch
# requests nobody answered): each takes `now`, does its work in its own transactions,
# returns how much it did, and may open alerts that the same tick then delivers.
# An idle worker passes every MAX_IDLE anyway, so a pass needs no wake-up of its own.
Pass = Callable[[datetime.datetime], int]
_PASSES: dict[str, Pass] = {}


def register_pass(name: str, work: Pass) -> None:
    """Run `work(now)` on every tick, after the alerts already due were delivered; what
    it opens is delivered in the same tick."""
    _PASSES[name] = work


@dataclass(frozen=True)
class RetryPlan:
    """What a failed notification does next (field values of Notification)."""

    status: str
    channel_index: int
    failures_on_channel: int
    next_attempt_at: datetime.datetime


def plan_retry(
    *,
    attempts: int,
    channel_index: int,
    failures_on_channel: int,
    permanent: bool,
    has_channel: bool,
    now: datetime.datetime,
    may_switch: bool = True,
) -> RetryPlan:
    """Retry with backoff; after repeated or permanent failures, the next channel.

    A notification fixed to one channel (a panic's) keeps retrying that channel, or
    gives up on a permanent failure: the member's other channels have their own.
    """
    if not has_channel or attempts >= MAX_ATTEMPTS or (permanent and not may_switch):
        # Nobody can be reached this way: record it where coordinators look.
        return RetryPlan(NotificationStatus.FAILED, channel_index, failures_on_channel, now)
    failures_on_channel += 1
    if may_switch and (permanent or failures_on_channel >= FAILURES_BEFORE_NEXT_CHANNEL):
        return RetryPlan(NotificationStatus.PENDING, channel_index + 1, 0, now)
    return RetryPlan(
        NotificationStatus.PENDING,
        channel_index,
        failures_on_channel,
        now + retry_delay(failures_on_channel),
    )


def _channel_at(channels: list[Channel], index: int, *, fixed: bool) -> Channel | None:
    """Return the channel a notification uses now; a fixed one never wraps round."""
    if not channels or (fixed and index >= len(channels)):
        return None
    return channels[index % len(channels)]


class _Subjects:
    """Subjects built from raw rows, sharing the ids that repeat across a batch."""

    def __init__(self) -> None:
        self._ids: dict[object, uuid.UUID] = {}

    def _id(self, value: uuid.UUID | str) -> uuid.UUID:
        if value not in self._ids:
            self._ids[value] = as_uuid(value)
        return self._ids[value]

    def of(
        self,
        person_id: uuid.UUID | str,
        organisation_id: uuid.UUID | str,
        compartment_id: uuid.UUID | str,
        coordinator_id: uuid.UUID | str | None,
    ) -> Subject:
        return Subject(
            person_id,
            self._id(organisation_id),
            self._id(compartment_id),
            None if coordinator_id is None else self._id(coordinator_id),
        )


@dataclass
class _Job:
    """One claimed notification on its way to a transport, as plain values."""

    notification_id: str
    attempt_id: str
    channel: Channel | None
    draft: Draft
    attempts: int  # including this one
    channel_index: int
    failures_on_channel: int
    fixed_channel: bool = False
    url: str = field(default="", repr=False)
    message: Message | None = field(default=None, repr=False)
    delivered: bool = False
    error: TransportError | None = None


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
        self.pool_size = pool_size
        self.pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="deliver")
        self.stop_event = threading.Event()
        self._listening = False
        self._wake_socket: socket.socket | None = None
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
            except Exception as error:
                # Whatever went wrong in one pass, its transaction was rolled back and
                # its work is still due: log the kind (never the message, which may
                # quote data), start afresh and try again.
                log.error("pass failed (%s); retrying", type(error).__name__)
                self._listening = False
                connection.close()
                self.stop_event.wait(1.0)
        self.pool.shutdown(wait=True)
        if self._wake_socket is not None:
            self._wake_socket.close()
        log.info("worker %s stopped", self.name)

    def stop(self) -> None:
        self.stop_event.set()

    def _sleep_on_socket(self, seconds: float) -> bool:
        if self._wake_socket is None:
            path = _wake_socket_path()
            if path is None:
                self.stop_event.wait(seconds)
                return False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # left by a worker that died; SQLite runs one worker
            self._wake_socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._wake_socket.bind(path)
            self._wake_socket.setblocking(False)
        readable, _, _ = select.select([self._wake_socket], [], [], seconds)
        woken = False
        while True:  # drain every poke that came while asleep or busy
            try:
                self._wake_socket.recv(16)
                woken = True
            except BlockingIOError:
                return woken or readable != []

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
        report.replies = deliver_due_replies(self.deliver, now)
        # Incident work falls due in minutes: it runs after the alerts already due are
        # handed over, so a panic never waits behind it (it cost a panic ~3 ms before).
        for name, work in _PASSES.items():
            report.other[name] = work(now)
        if any(report.other.values()):
            claimed, sent, failed = self.deliver_due(now)
            report.claimed, report.sent = report.claimed + claimed, report.sent + sent
            report.failed += failed
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
        """Open an alert for every schedule past its deadline and grace.

        Read as plain values, not model instances: when many deadlines fall together,
        building objects per row cost more than all the database work.
        """
        schedule, person = table(Schedule), table(Person)
        lock = " FOR UPDATE OF s SKIP LOCKED" if self._skip_locked else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.id, s.next_deadline, p.id, p.organisation_id, p.compartment_id,"  # noqa: S608 - names from the models
                f" p.coordinator_id FROM {schedule} s JOIN {person} p ON p.id = s.person_id"
                " WHERE s.overdue_at <= %s"
                " AND (s.alerted_deadline IS NULL OR s.alerted_deadline <> s.next_deadline)"
                f" ORDER BY s.overdue_at LIMIT %s{lock}",
                [db_time(now), self.batch],
            )
            due = cursor.fetchall()
            if not due:
                return 0
            subjects = _Subjects()
            open_alerts(
                [
                    NewAlert(
                        subjects.of(*row[2:6]), AlertKind.MISSED_CHECKIN, missed_deadline=row[1]
                    )
                    for row in due
                ],
                now=now,
            )
            update_by_ids(
                Schedule,
                {"alerted_deadline": Raw("next_deadline")},
                [hex_id(row[0]) for row in due],
            )
        return len(due)

    def open_duress(self, now: datetime.datetime) -> int:
        """Open an alert for every duress or unusual check-in not yet handled.

        A duress check-in gets the top-severity alert even if it was also unusual.
        """
        with transaction.atomic():
            checkins = list(
                self._lock(
                    Checkin.objects.awaiting_alert().select_related("person").order_by("at")
                )[: self.batch]
            )
            if not checkins:
                return 0
            open_alerts(
                [
                    NewAlert(
                        Subject.of(c.person),
                        AlertKind.DURESS if c.outcome == Outcome.DURESS else AlertKind.UNUSUAL,
                        source_checkin_id=c.pk,
                    )
                    for c in checkins
                ],
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
            open_alerts(
                [NewAlert(Subject.of(s.person), AlertKind.PIN_ATTACK) for s in secrets], now=now
            )
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
        """Claim due notifications and write an attempt for each; commit before sending."""
        lock = " FOR UPDATE OF n SKIP LOCKED" if self._skip_locked else ""
        db_now = db_time(now)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT n.id, n.member_id, n.purpose, n.channel_index, n.attempts,"  # noqa: S608 - names from the models
                    " n.failures_on_channel, n.idempotency_key, a.state, a.code, a.kind,"
                    " n.fixed_channel,"
                    # Incident work about a safe house has no person: its topic names it.
                    f" COALESCE(p.codename, a.topic), m.language FROM {table(Notification)} n"
                    f" JOIN {table(Alert)} a ON a.id = n.alert_id"
                    f" LEFT JOIN {table(Person)} p ON p.id = a.person_id"
                    f" JOIN {table(Member)} m ON m.id = n.member_id"
                    " WHERE n.status IN ('pending', 'sending') AND ("
                    " (n.status = 'pending' AND n.next_attempt_at <= %s)"
                    " OR (n.status = 'sending' AND n.claimed_until < %s))"
                    f" ORDER BY n.next_attempt_at LIMIT %s{lock}",
                    [db_now, db_now, self.batch],
                )
                claimed = cursor.fetchall()
            if not claimed:
                return []
            # An alert acknowledged meanwhile needs no more calls (stand-downs still go).
            stale = {
                hex_id(row[0])
                for row in claimed
                if row[2] == Purpose.ALERT and row[7] != AlertState.OPEN
            }
            update_by_ids(Notification, {"status": NotificationStatus.CANCELLED.value}, stale)
            live = [row for row in claimed if hex_id(row[0]) not in stale]
            channels = self._channels_of({row[1] for row in live})
            jobs: list[_Job] = []
            attempts: list[tuple[object, ...]] = []
            for row, attempt_id in zip(live, new_hex_ids(len(live)), strict=True):
                (notification_id, member_id, purpose, channel_index, done, failures, key,
                 _state, code, kind, fixed, codename, language) = row  # fmt: skip
                notification_id = hex_id(notification_id)
                member_channels = channels.get(hex_id(member_id), [])
                channel = _channel_at(member_channels, channel_index, fixed=bool(fixed))
                draft = Draft(notification_id, key, purpose, language, code, kind, codename)
                jobs.append(
                    _Job(
                        notification_id,
                        attempt_id,
                        channel,
                        draft,
                        done + 1,
                        channel_index,
                        failures,
                    )
                )
                channel_id = channel.pk.hex if channel is not None else None
                attempts.append(
                    (attempt_id, notification_id, channel_id, db_now, "", "", self.name)
                )
            update_by_ids(
                Notification,
                {
                    "status": NotificationStatus.SENDING.value,
                    "claimed_until": db_time(now + CLAIM_TTL),
                    "attempts": Raw("attempts + 1"),
                },
                [job.notification_id for job in jobs],
            )
            insert_many(
                DeliveryAttempt,
                ("id", "notification", "channel", "started_at", "outcome", "error_kind", "worker"),
                attempts,
            )
        return jobs

    def _channels_of(self, member_ids: set[uuid.UUID | str]) -> dict[str, list[Channel]]:
        by_member: dict[str, list[Channel]] = {}
        members = [as_uuid(m) for m in member_ids]
        for channel in Channel.objects.filter(member_id__in=members, is_active=True).order_by(
            "member_id", "position"
        ):
            by_member.setdefault(channel.member_id.hex, []).append(channel)
        return by_member

    def deliver_due(self, now: datetime.datetime) -> tuple[int, int, int]:
        """Claim due notifications, send them in parallel, record each outcome.

        Return (claimed, sent, failed).
        """
        jobs = self._claim(now)
        # Decrypt and compose here, in this thread: the pool only talks to transports
        # (a pool thread would open database connections of its own).
        sendable = deque(job for job in jobs if job.channel is not None)
        for job, message in zip(sendable, compose_drafts([j.draft for j in sendable]), strict=True):
            job.url, job.message = job.channel.url, message  # type: ignore[union-attr]
        # Each pool thread takes the next job until none are left, so a slow channel
        # holds one thread while the others carry on; a future per lane, not per job.
        lanes = [self.pool.submit(self._lane, sendable) for _ in range(self.pool_size)]
        for lane in lanes:
            lane.result()
        delivered: list[_Job] = []
        failed = 0
        for job in jobs:
            if job.delivered:
                delivered.append(job)
            else:
                self._record_failure(job, job.error, now)
                failed += 1
        self._record_sent(delivered, now)
        return len(jobs), len(delivered), failed

    def _lane(self, jobs: deque[_Job]) -> None:
        while True:
            try:
                job = jobs.popleft()
            except IndexError:
                return
            try:
                self.deliver(job.url, job.message, timeout_seconds=SEND_TIMEOUT)
                job.delivered = True
            except TransportError as problem:
                job.error = problem
            except Exception as problem:
                log.exception("transport crashed (%s)", type(problem).__name__)
                job.error = TransportError(FailureKind.FAILED, permanent=False)

    def _record_sent(self, jobs: list[_Job], now: datetime.datetime) -> None:
        """Mark delivered notifications and their attempts, a few statements per batch."""
        if not jobs:
            return
        db_now = db_time(now)
        with transaction.atomic():
            update_by_ids(
                DeliveryAttempt,
                {"finished_at": db_now, "outcome": "sent"},
                [job.attempt_id for job in jobs],
            )
            update_by_ids(
                Notification,
                {
                    "status": NotificationStatus.SENT.value,
                    "sent_at": db_now,
                    "claimed_until": None,
                    "last_error": "",
                },
                [job.notification_id for job in jobs],
            )

    def _record_failure(
        self, job: _Job, error: TransportError | None, now: datetime.datetime
    ) -> None:
        kind = error.kind if error is not None else "no_channel"
        permanent = error.permanent if error is not None else True
        plan = plan_retry(
            attempts=job.attempts,
            channel_index=job.channel_index,
            failures_on_channel=job.failures_on_channel,
            permanent=permanent,
            has_channel=job.channel is not None,
            may_switch=not job.fixed_channel,
            now=now,
        )
        log.warning(
            "delivery failed: notification=%s kind=%s permanent=%s attempt=%s",
            job.notification_id,
            kind,
            permanent,
            job.attempts,
        )
        with transaction.atomic():
            DeliveryAttempt.objects.filter(pk=job.attempt_id).update(
                finished_at=now, outcome="permanent" if permanent else "retry", error_kind=kind
            )
            Notification.objects.filter(pk=job.notification_id).update(
                last_error=kind, claimed_until=None, **vars(plan)
            )

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
        """Sleep up to `seconds`; return True if a NOTIFY or a poke woke the worker early."""
        if seconds <= 0:
            return False
        if connection.vendor != "postgresql":
            return self._sleep_on_socket(seconds)
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
