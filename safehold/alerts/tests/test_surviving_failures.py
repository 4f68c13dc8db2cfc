"""The worker survives what goes wrong: a clash of alert codes, a pass that crashes."""

from __future__ import annotations

import threading

import pytest
from django.utils import timezone

from safehold.alerts import actions
from safehold.alerts.actions import NewAlert, open_alert, open_alerts
from safehold.alerts.models import Alert, AlertKind
from safehold.alerts.targets import Subject
from safehold.alerts.worker import TickReport, Worker
from safehold.testing import World


@pytest.mark.django_db
def test_a_code_already_taken_is_drawn_again(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    taken = open_alert(world.person, AlertKind.MANUAL).code
    real = actions.new_codes
    draws = iter([[taken, "2345678"], None])

    def first_clashing(count: int) -> list[str]:
        drawn = next(draws)
        return drawn if drawn is not None and len(drawn) == count else real(count)

    monkeypatch.setattr(actions, "new_codes", first_clashing)
    subject = Subject.of(world.person)

    ids = open_alerts(
        [NewAlert(subject, AlertKind.MANUAL), NewAlert(subject, AlertKind.MANUAL)],
        now=timezone.now(),
    )

    codes = set(Alert.objects.filter(pk__in=ids).values_list("code", flat=True))
    assert len(codes) == 2 and taken not in codes


@pytest.mark.django_db(transaction=True)
def test_a_pass_that_crashes_does_not_stop_the_worker(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    worker = Worker(name="test", pool_size=1)
    passes = []

    def tick(now):  # type: ignore[no-untyped-def]
        passes.append(now)
        if len(passes) == 1:
            raise RuntimeError("secret detail that must not be logged")
        worker.stop()
        return TickReport()

    monkeypatch.setattr(worker, "tick", tick)
    monkeypatch.setattr(worker, "_sleep", lambda seconds: False)
    runner = threading.Thread(target=worker.run)
    runner.start()
    runner.join(timeout=10)

    assert not runner.is_alive()
    assert len(passes) == 2
    assert "pass failed (RuntimeError)" in caplog.text
    assert "secret detail" not in caplog.text
