"""`safehold alerts list|ack|resolve` from a terminal."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from safehold.alerts.actions import open_alert
from safehold.alerts.models import AlertKind, AlertState
from safehold.testing import World

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("alerts", *args, stdout=out)
    return out.getvalue()


def test_a_coordinator_lists_acknowledges_and_resolves_by_code(world: World) -> None:
    alert = open_alert(world.person, AlertKind.MISSED_CHECKIN)
    assert alert.code in _run("list")
    assert "acknowledged" in _run("ack", alert.code.lower(), "--as", world.coordinator.email)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == (AlertState.ACKNOWLEDGED, world.coordinator)
    assert "already" in _run("ack", alert.code, "--as", world.coordinator.email)
    _run("resolve", alert.code, "--as", world.coordinator.email, "--resolution", "false_alarm")
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_nobody_else_can_acknowledge(world: World, persona: str) -> None:
    alert = open_alert(world.person, AlertKind.MISSED_CHECKIN)
    with pytest.raises(CommandError, match="No alert"):
        _run("ack", alert.code, "--as", getattr(world, persona).email)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_an_unknown_member_is_refused() -> None:
    with pytest.raises(CommandError, match="No active member"):
        _run("ack", "ABC234", "--as", "nobody@example.org")
