"""Who a step tells: named members, the coordinator, whoever is on duty, a role; never nobody."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehold.accounts.models import Role
from safehold.alerts.actions import open_alert
from safehold.alerts.ladder import Target
from safehold.alerts.models import AlertKind, DutyShift
from safehold.alerts.targets import Subject, resolve_targets
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def test_each_kind_of_target_names_the_right_members(world: World) -> None:
    world.person.coordinator = world.coordinator
    world.person.save()
    alert = open_alert(world.person, AlertKind.MANUAL)
    now = timezone.now()
    on_duty = make_member(world.organisation, Role.RESPONDER, [world.compartment])
    DutyShift.objects.create(
        compartment=world.compartment, member=on_duty, starts_at=now - HOUR, ends_at=now + HOUR
    )
    off_duty = make_member(world.organisation, Role.RESPONDER, [world.compartment])
    DutyShift.objects.create(
        compartment=world.compartment, member=off_duty, starts_at=now + HOUR, ends_at=now + 2 * HOUR
    )

    def told(*targets: Target) -> set[object]:
        return {m.pk for m in resolve_targets(targets, Subject.of(alert.person), now)}

    assert told(Target("coordinator")) == {world.coordinator.pk}
    assert told(Target("on_duty")) == {on_duty.pk}
    assert told(Target("role", role=Role.VIEWER)) == {world.viewer.pk}
    assert told(Target("member", member_id=world.admin.pk)) == {world.admin.pk}
    # A member of another organisation is never told, even if named.
    assert told(Target("member", member_id=world.outsider.pk)) == {
        world.coordinator.pk,
        world.admin.pk,
    }


def test_a_step_that_names_nobody_falls_back_to_the_compartment(world: World) -> None:
    alert = open_alert(world.person, AlertKind.MANUAL)
    told = {
        m.pk
        for m in resolve_targets([Target("coordinator")], Subject.of(alert.person), timezone.now())
    }
    assert told == {world.coordinator.pk, world.admin.pk}  # no coordinator set on the case
