"""A compartment's escalation ladder and duty roster: who sees them, who changes them."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from safehold.alerts.actions import ladder_for, open_alert
from safehold.alerts.ladder import DEFAULT_LADDER, Target
from safehold.alerts.models import AlertKind, DutyShift, EscalationPolicy
from safehold.alerts.policy_actions import StepInput, add_shift, save_policy
from safehold.audit.models import AuditEntry
from safehold.testing import login, make_member

pytestmark = pytest.mark.django_db

NEXT_YEAR = datetime.date.today().year + 1


def url(name, compartment, **extra):
    return reverse(name, kwargs={"compartment_id": compartment.pk, **extra})


def ladder_post(steps, repeat_from=1, initial=0):
    data = {
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "policy-repeat_from": str(repeat_from),
    }
    for index, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{index}-{key}"] = value
    return data


def shift_post(member, starts, ends, zone="Europe/Moscow"):
    return {
        "shift-member": str(member.pk),
        "shift-timezone": zone,
        "shift-starts_at": starts,
        "shift-ends_at": ends,
    }


def now_plus(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


# --- Seeing the ladder and the roster ---------------------------------------------------


def test_it_shows_the_default_ladder_when_none_is_set(world):
    response = login(world.coordinator).get(url("escalation_policy", world.compartment))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This compartment uses the default ladder." in content
    assert "The person&#x27;s coordinator" in content
    assert "Whoever is on duty" in content
    assert "Everyone with the role “Coordinator”" in content
    assert "repeats from here" in content
    # The edit form starts from the default ladder.
    assert f'name="steps-INITIAL_FORMS" value="{len(DEFAULT_LADDER)}"' in content


def test_a_viewer_sees_the_ladder_and_roster_but_no_forms(world):
    add_shift(
        world.compartment,
        world.coordinator,
        starts_at=now_plus(-1),
        ends_at=now_plus(7),
        actor=None,
    )
    response = login(world.viewer).get(url("escalation_policy", world.compartment))
    assert response.status_code == 200
    content = response.content.decode()
    assert world.coordinator.label in content
    assert "on duty now" in content
    assert url("escalation_save", world.compartment) not in content
    assert url("escalation_shift_add", world.compartment) not in content


def test_the_index_lists_the_compartments_i_may_see(world):
    content = login(world.coordinator).get("/escalation/").content.decode()
    assert world.compartment.name in content
    assert world.other_compartment.name not in content
    assert "you can change it" in content
    assert world.compartment.name not in login(world.responder).get("/escalation/").content.decode()


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_refuses_outsider(world, persona):
    shift = add_shift(
        world.compartment, world.coordinator, starts_at=now_plus(1), ends_at=now_plus(9), actor=None
    )
    client = login(getattr(world, persona))
    assert client.get(url("escalation_policy", world.compartment)).status_code == 404
    steps = ladder_post([{"position": "1", "wait_minutes": "5", "coordinator": "on"}])
    assert client.post(url("escalation_save", world.compartment), steps).status_code == 404
    data = shift_post(world.coordinator, f"{NEXT_YEAR}-01-01T09:00", f"{NEXT_YEAR}-01-01T18:00")
    assert client.post(url("escalation_shift_add", world.compartment), data).status_code == 404
    remove = url("escalation_shift_remove", world.compartment, shift_id=shift.pk)
    assert client.post(remove).status_code == 404
    assert not EscalationPolicy.objects.exists()
    assert DutyShift.objects.count() == 1


def test_it_answers_404_alike_for_a_missing_compartment(world):
    missing = login(world.coordinator).get(
        reverse("escalation_policy", kwargs={"compartment_id": uuid.uuid4()})
    )
    forbidden = login(world.stranger).get(url("escalation_policy", world.compartment))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_a_viewer_cannot_change_the_ladder_or_the_roster(world):
    shift = add_shift(
        world.compartment, world.coordinator, starts_at=now_plus(1), ends_at=now_plus(9), actor=None
    )
    client = login(world.viewer)
    steps = ladder_post([{"position": "1", "wait_minutes": "5", "coordinator": "on"}])
    assert client.post(url("escalation_save", world.compartment), steps).status_code == 404
    data = shift_post(world.viewer, f"{NEXT_YEAR}-01-01T09:00", f"{NEXT_YEAR}-01-01T18:00")
    assert client.post(url("escalation_shift_add", world.compartment), data).status_code == 404
    remove = url("escalation_shift_remove", world.compartment, shift_id=shift.pk)
    assert client.post(remove).status_code == 404
    assert not EscalationPolicy.objects.exists()
    assert list(DutyShift.objects.all()) == [shift]


@pytest.mark.parametrize("name", ["escalation_save", "escalation_shift_add"])
def test_changes_are_posts_only(world, name):
    assert login(world.coordinator).get(url(name, world.compartment)).status_code == 405


# --- Saving the ladder --------------------------------------------------------------------


def test_a_coordinator_saves_a_ladder_that_alerts_then_climb(world):
    steps = [
        {"position": "1", "wait_minutes": "5", "coordinator": "on"},
        {
            "position": "2",
            "wait_minutes": "10",
            "on_duty": "on",
            "roles": ["coordinator", "admin"],
            "members": [str(world.viewer.pk)],
        },
    ]
    client = login(world.coordinator)
    response = client.post(url("escalation_save", world.compartment), ladder_post(steps, 2))
    assert response.status_code == 302
    assert response["Location"] == url("escalation_policy", world.compartment)
    rungs, repeat_from = ladder_for(world.compartment.pk)
    assert repeat_from == 2
    assert [(r.position, r.wait) for r in rungs] == [
        (1, datetime.timedelta(minutes=5)),
        (2, datetime.timedelta(minutes=10)),
    ]
    assert rungs[0].targets == (Target("coordinator"),)
    assert set(rungs[1].targets) == {
        Target("on_duty"),
        Target("role", role="coordinator"),
        Target("role", role="admin"),
        Target("member", member_id=world.viewer.pk),
    }
    entry = AuditEntry.objects.get(action="escalation.policy_saved")
    assert entry.actor_id == world.coordinator.pk
    assert entry.organisation_id == world.organisation.pk
    page = client.get(url("escalation_policy", world.compartment)).content.decode()
    assert "The escalation ladder was saved." in page
    assert "uses the default ladder" not in page
    assert world.viewer.label in page


def test_steps_are_ordered_by_position_and_numbered_afresh(world):
    steps = [
        {"position": "7", "wait_minutes": "30", "roles": ["admin"]},
        {"position": "3", "wait_minutes": "5", "coordinator": "on"},
    ]
    response = login(world.admin).post(
        url("escalation_save", world.compartment), ladder_post(steps, repeat_from=7)
    )
    assert response.status_code == 302
    rungs, repeat_from = ladder_for(world.compartment.pk)
    assert [(r.position, r.targets) for r in rungs] == [
        (1, (Target("coordinator"),)),
        (2, (Target("role", role="admin"),)),
    ]
    assert repeat_from == 2


def test_a_step_can_be_deleted(world):
    save_policy(
        world.compartment,
        [
            StepInput(1, 5, (Target("coordinator"),)),
            StepInput(2, 10, (Target("on_duty"),)),
        ],
        repeat_from=1,
        actor=None,
    )
    steps = [
        {"position": "1", "wait_minutes": "5", "coordinator": "on"},
        {"position": "2", "wait_minutes": "10", "on_duty": "on", "DELETE": "on"},
        {},
    ]
    response = login(world.coordinator).post(
        url("escalation_save", world.compartment), ladder_post(steps, initial=2)
    )
    assert response.status_code == 302
    rungs, _repeat = ladder_for(world.compartment.pk)
    assert [r.position for r in rungs] == [1]


@pytest.mark.parametrize(
    ("steps", "repeat_from", "message"),
    [
        ([{"position": "1", "wait_minutes": "5"}], 1, "Step 1 tells nobody."),
        (
            [
                {"position": "1", "wait_minutes": "5", "coordinator": "on"},
                {"position": "1", "wait_minutes": "5", "on_duty": "on"},
            ],
            1,
            "Two steps have the same position.",
        ),
        (
            [{"position": "1", "wait_minutes": "5", "coordinator": "on"}],
            4,
            "Choose the position of one of the steps.",
        ),
        (
            [{"position": "1", "wait_minutes": "0", "coordinator": "on"}],
            1,
            "wait between 1 minute and 24 hours",
        ),
        (
            [{"position": "1", "wait_minutes": "5000", "coordinator": "on"}],
            1,
            "wait between 1 minute and 24 hours",
        ),
        (
            [{"position": "1", "wait_minutes": "5", "roles": ["pope"]}],
            1,
            "Select a valid choice.",
        ),
        (
            [{"position": "0", "wait_minutes": "5", "coordinator": "on"}],
            1,
            "errorlist",
        ),
        ([{}], 1, "Give the ladder at least one step."),
    ],
)
def test_a_bad_ladder_shows_errors_and_saves_nothing(world, steps, repeat_from, message):
    response = login(world.coordinator).post(
        url("escalation_save", world.compartment), ladder_post(steps, repeat_from)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not EscalationPolicy.objects.exists()


def test_a_ladder_may_name_only_members_of_the_compartment(world):
    steps = [{"position": "1", "wait_minutes": "5", "members": [str(world.stranger.pk)]}]
    response = login(world.coordinator).post(
        url("escalation_save", world.compartment), ladder_post(steps)
    )
    assert response.status_code == 200
    assert b"Select a valid choice." in response.content
    assert not EscalationPolicy.objects.exists()


def test_the_action_refuses_a_member_of_another_compartment_too(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        save_policy(
            world.compartment,
            [StepInput(1, 5, (Target("member", member_id=world.stranger.pk),))],
            repeat_from=1,
            actor=world.coordinator,
        )
    assert "not in this compartment" in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [{}, {"policy-repeat_from": "1"}, {"steps-TOTAL_FORMS": "9999", "steps-INITIAL_FORMS": "x"}],
)
def test_a_tampered_form_is_an_error_not_a_crash(world, data):
    response = login(world.coordinator).post(url("escalation_save", world.compartment), data)
    assert response.status_code == 200
    assert b"form-errors" in response.content or b"errorlist" in response.content
    assert not EscalationPolicy.objects.exists()


def test_a_saved_ladder_calls_whoever_is_on_duty(world):
    on_duty = make_member(world.organisation, "responder", [world.compartment])
    add_shift(world.compartment, on_duty, starts_at=now_plus(-1), ends_at=now_plus(1), actor=None)
    steps = [{"position": "1", "wait_minutes": "15", "on_duty": "on"}]
    login(world.coordinator).post(url("escalation_save", world.compartment), ladder_post(steps))
    alert = open_alert(world.person, AlertKind.MANUAL)
    assert list(alert.notifications.values_list("member_id", flat=True)) == [on_duty.pk]


# --- The duty roster ------------------------------------------------------------------------


def test_a_coordinator_adds_a_shift_read_in_the_chosen_zone(world):
    client = login(world.coordinator)
    data = shift_post(world.viewer, f"{NEXT_YEAR}-01-10T21:00", f"{NEXT_YEAR}-01-11T09:00")
    response = client.post(url("escalation_shift_add", world.compartment), data)
    assert response.status_code == 302
    shift = DutyShift.objects.get()
    assert shift.member_id == world.viewer.pk
    assert shift.starts_at == datetime.datetime(NEXT_YEAR, 1, 10, 18, 0, tzinfo=datetime.UTC)
    assert shift.ends_at == datetime.datetime(NEXT_YEAR, 1, 11, 6, 0, tzinfo=datetime.UTC)
    entry = AuditEntry.objects.get(action="escalation.shift_added")
    assert entry.actor_id == world.coordinator.pk
    page = client.get(url("escalation_policy", world.compartment)).content.decode()
    assert f"10 January {NEXT_YEAR}, 21:00" in page
    assert "10 January, 18:00 UTC" in page


def test_a_shift_in_another_zone(world):
    data = shift_post(
        world.coordinator, f"{NEXT_YEAR}-07-01T09:00", f"{NEXT_YEAR}-07-01T17:00", "Asia/Tokyo"
    )
    login(world.coordinator).post(url("escalation_shift_add", world.compartment), data)
    shift = DutyShift.objects.get()
    assert shift.starts_at == datetime.datetime(NEXT_YEAR, 7, 1, 0, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (
            f"{NEXT_YEAR}-01-10T21:00",
            f"{NEXT_YEAR}-01-10T20:00",
            "The shift must end after it starts.",
        ),
        (
            f"{NEXT_YEAR}-01-10T21:00",
            f"{NEXT_YEAR}-01-10T21:00",
            "The shift must end after it starts.",
        ),
        ("2001-01-10T09:00", "2001-01-10T17:00", "This shift would already be over."),
        (f"{NEXT_YEAR}-01-01T09:00", f"{NEXT_YEAR}-03-01T09:00", "A shift lasts at most 31 days."),
        ("", f"{NEXT_YEAR}-01-10T20:00", "This field is required."),
        ("soon", f"{NEXT_YEAR}-01-10T20:00", "Enter a valid date/time."),
    ],
)
def test_a_bad_shift_shows_errors_and_adds_nothing(world, starts, ends, message):
    response = login(world.coordinator).post(
        url("escalation_shift_add", world.compartment), shift_post(world.viewer, starts, ends)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DutyShift.objects.exists()


@pytest.mark.parametrize("persona", ["stranger", "outsider"])
def test_only_members_of_the_compartment_go_on_duty(world, persona):
    data = shift_post(
        getattr(world, persona), f"{NEXT_YEAR}-01-10T09:00", f"{NEXT_YEAR}-01-10T17:00"
    )
    response = login(world.coordinator).post(url("escalation_shift_add", world.compartment), data)
    assert response.status_code == 200
    assert b"Select a valid choice." in response.content
    assert not DutyShift.objects.exists()


def test_the_action_refuses_a_member_of_another_compartment(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        add_shift(
            world.compartment,
            world.stranger,
            starts_at=now_plus(1),
            ends_at=now_plus(2),
            actor=None,
        )
    assert "Choose a member of this compartment." in str(refused.value)


def test_a_coordinator_removes_a_shift(world):
    shift = add_shift(
        world.compartment, world.viewer, starts_at=now_plus(1), ends_at=now_plus(9), actor=None
    )
    response = login(world.coordinator).post(
        url("escalation_shift_remove", world.compartment, shift_id=shift.pk)
    )
    assert response.status_code == 302
    assert not DutyShift.objects.exists()
    entry = AuditEntry.objects.get(action="escalation.shift_removed")
    assert entry.object_id == str(shift.pk)


def test_a_shift_of_another_compartment_cannot_be_removed_through_mine(world):
    world.stranger.compartments.add(world.compartment)
    shift = add_shift(
        world.other_compartment,
        world.stranger,
        starts_at=now_plus(1),
        ends_at=now_plus(9),
        actor=None,
    )
    response = login(world.coordinator).post(
        url("escalation_shift_remove", world.compartment, shift_id=shift.pk)
    )
    assert response.status_code == 404
    assert DutyShift.objects.filter(pk=shift.pk).exists()
