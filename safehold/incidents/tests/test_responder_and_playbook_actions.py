"""Keeping responder profiles and playbooks: who may, what is checked, what is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from safehold.audit.models import AuditEntry
from safehold.incidents.actions import open_incident
from safehold.incidents.dispatch import Closeness, propose_responders
from safehold.incidents.models import (
    Availability,
    IncidentKind,
    OwnerRole,
    PlaybookStep,
    ResponderKind,
    ResponderProfile,
)
from safehold.incidents.playbook_actions import StepInput, rename_playbook, save_playbook_steps
from safehold.incidents.playbooks import playbook_for
from safehold.incidents.responder_actions import set_availability, set_responder_profile
from safehold.testing import World

pytestmark = pytest.mark.django_db


def _profile(world: World, member=None, actor=None, **changes):  # type: ignore[no-untyped-def]
    member = member or world.responder
    fields = {
        "kinds": [ResponderKind.LAWYER],
        "cities": ["Grozny"],
        "regions": ["Chechnya"],
        "languages": ["ru", "ce"],
        **changes,
    }
    return set_responder_profile(member, actor=actor or member, **fields)


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- Responder profiles --------------------------------------------------------------


def test_a_member_saves_their_own_profile_cleaned(world: World) -> None:
    profile = _profile(
        world,
        kinds=["doctor", "lawyer", "doctor"],
        cities=["  Nizhny   Novgorod ", "nizhny novgorod", "", "Kazan"],
        regions=["Volga", "VOLGA"],
        languages=["ce", "ru", "ce"],
    )

    profile.refresh_from_db()
    assert profile.member == world.responder
    assert profile.kinds == ["lawyer", "doctor"]
    assert profile.cities == ["Nizhny Novgorod", "Kazan"]
    assert profile.regions == ["Volga"]
    assert profile.languages == ["ru", "ce"]
    assert profile.availability == Availability.AVAILABLE
    [entry] = _entries("responder.profile_saved")
    assert entry.actor_id == world.responder.pk
    assert entry.details["member"] == str(world.responder.pk)
    assert entry.details["created"] is True


def test_saving_again_replaces_the_profile(world: World) -> None:
    first = _profile(world)
    second = _profile(world, kinds=["driver"], cities=[], availability=Availability.AWAY)

    assert first.pk == second.pk
    assert ResponderProfile.objects.count() == 1
    second.refresh_from_db()
    assert (second.kinds, second.cities, second.availability) == (["driver"], [], "away")
    assert [e.details["created"] for e in _entries("responder.profile_saved")] == [True, False]


def test_the_audit_never_holds_a_city_or_region(world: World) -> None:
    _profile(world, cities=["Khasavyurt"], regions=["Dagestan"])
    set_availability(world.responder, actor=world.responder, availability=Availability.BUSY)

    details = repr([entry.details for entry in AuditEntry.objects.all()])
    assert "Khasavyurt" not in details
    assert "Dagestan" not in details
    assert "responder.availability_set" in {e.action for e in AuditEntry.objects.all()}


def test_cities_and_regions_are_not_stored_in_plaintext(world: World) -> None:
    _profile(world, cities=["Khasavyurt"], regions=["Dagestan"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM incidents_responderprofile")
        stored = repr(cursor.fetchall())
    assert "lawyer" in stored  # the control: the row was read
    assert "Khasavyurt" not in stored
    assert "Dagestan" not in stored


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kinds": []}, "kinds"),
        ({"kinds": ["lawyer", "priest"]}, "kinds"),
        ({"cities": ["x" * 101]}, "cities"),
        ({"cities": [f"City {n}" for n in range(21)]}, "cities"),
        ({"regions": ["y" * 500]}, "regions"),
        ({"languages": ["ru", "klingon"]}, "languages"),
        ({"availability": "asleep"}, "availability"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(world: World, changes, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        _profile(world, **changes)

    assert set(refused.value.error_dict) == {field}
    assert not ResponderProfile.objects.exists()
    assert not _entries("responder.profile_saved")


def test_it_accepts_places_at_the_limits(world: World) -> None:
    profile = _profile(world, cities=["x" * 100], regions=[f"Region {n}" for n in range(20)])
    assert len(profile.cities[0]) == 100
    assert len(profile.regions) == 20


@pytest.mark.parametrize("persona", ["admin", "coordinator", "stranger"])
def test_a_coordinator_or_admin_of_the_organisation_keeps_anyones_profile(
    world: World, persona: str
) -> None:
    actor = getattr(world, persona)
    _profile(world, actor=actor)
    set_availability(world.responder, actor=actor, availability=Availability.BUSY)

    profile = ResponderProfile.objects.get(member=world.responder)
    assert profile.availability == Availability.BUSY
    assert {e.actor_id for e in AuditEntry.objects.filter(action__startswith="responder.")} == {
        actor.pk
    }


@pytest.mark.parametrize(
    ("persona", "target"),
    [("viewer", "responder"), ("responder", "viewer"), ("outsider", "responder")],
)
def test_it_refuses_anyone_else(world: World, persona: str, target: str) -> None:
    actor, member = getattr(world, persona), getattr(world, target)
    if target == "responder":
        _profile(world)
    before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        _profile(world, member=member, actor=actor, kinds=["driver"])
    with pytest.raises(PermissionDenied):
        set_availability(member, actor=actor, availability=Availability.AWAY)

    assert AuditEntry.objects.count() == before
    assert [(p.kinds, p.availability) for p in ResponderProfile.objects.all()] == (
        [(["lawyer"], "available")] if target == "responder" else []
    )


def test_an_inactive_member_cannot_edit_even_their_own_profile(world: World) -> None:
    world.responder.is_active = False
    world.responder.save()
    with pytest.raises(PermissionDenied):
        _profile(world)


def test_availability_changes_once_and_is_audited(world: World) -> None:
    _profile(world)

    set_availability(world.responder, actor=world.responder, availability=Availability.BUSY)
    set_availability(world.responder, actor=world.responder, availability=Availability.BUSY)

    assert ResponderProfile.objects.get().availability == Availability.BUSY
    [entry] = _entries("responder.availability_set")
    assert entry.details == {
        "member": str(world.responder.pk),
        "availability": "busy",
        "previous": "available",
    }


def test_availability_refuses_an_unknown_value_or_a_missing_profile(world: World) -> None:
    with pytest.raises(ValidationError, match="profile"):
        set_availability(world.responder, actor=world.responder, availability="busy")
    _profile(world)
    with pytest.raises(ValidationError) as refused:
        set_availability(world.responder, actor=world.responder, availability="asleep")
    assert set(refused.value.error_dict) == {"availability"}
    assert ResponderProfile.objects.get().availability == Availability.AVAILABLE


def test_a_saved_profile_is_proposed_by_the_city_of_the_incident(world: World) -> None:
    # The safe house is in Nizhny Novgorod; the profile is written loosely.
    _profile(world, cities=["  nizhny novgorod "], regions=[])
    incident = open_incident(
        kind=IncidentKind.PERSON_MISSING,
        actor=world.coordinator,
        person=world.person,
        safe_house=world.safe_house,
    )

    [proposal] = propose_responders(incident, ResponderKind.LAWYER)
    assert proposal.member == world.responder
    assert proposal.closeness == Closeness.CITY


# --- Playbooks ----------------------------------------------------------------------


def _step(position: int, title: str = "Call", **changes) -> StepInput:  # type: ignore[no-untyped-def]
    fields = {
        "position": position,
        "title_en": title,
        "title_ru": f"{title} (ru)",
        "owner_role": OwnerRole.LEAD,
        "due_minutes": 30,
        **changes,
    }
    return StepInput(**fields)


def _titles(playbook) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return list(
        PlaybookStep.objects.filter(playbook=playbook)
        .order_by("position")
        .values_list("position", "title_en")
    )


def test_saving_steps_replaces_and_renumbers_them(world: World) -> None:
    playbook = playbook_for(world.organisation, IncidentKind.DETAINED)

    save_playbook_steps(
        playbook,
        [_step(10, "Last"), _step(2, "First"), _step(5, "Middle"), _step(2, "Right after first")],
        actor=world.coordinator,
    )

    assert _titles(playbook) == [
        (1, "First"), (2, "Right after first"), (3, "Middle"), (4, "Last"),
    ]  # fmt: skip
    [entry] = _entries("playbook.steps_saved")
    assert entry.actor_id == world.coordinator.pk
    assert entry.organisation_id == world.organisation.pk
    assert entry.details == {"playbook": str(playbook.pk), "kind": "detained", "steps": 4}


def test_saved_steps_keep_their_owner_and_deadline(world: World) -> None:
    playbook = playbook_for(world.organisation, IncidentKind.DETAINED)
    save_playbook_steps(
        playbook,
        [
            _step(1, owner_role=OwnerRole.LAWYER, due_minutes=None),
            _step(2, owner_role=OwnerRole.COORDINATOR, due_minutes=10080),
        ],
        actor=world.admin,
    )
    stored = list(
        PlaybookStep.objects.filter(playbook=playbook)
        .order_by("position")
        .values_list("owner_role", "due_minutes")
    )
    assert stored == [("lawyer", None), ("coordinator", 10080)]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one step"),
        ([_step(n) for n in range(1, 32)], "at most 30 steps"),
        ([_step(1, title_en="  ")], "English and in Russian"),
        ([_step(1, title_ru="")], "English and in Russian"),
        ([_step(1, title_en="x" * 301)], "at most 300 characters"),
        ([_step(1, owner_role="mayor")], "who does it"),
        ([_step(1, due_minutes=0)], "from 1 minute to 7 days"),
        ([_step(1, due_minutes=10081)], "from 1 minute to 7 days"),
        ([_step(0)], "position"),
    ],
)
def test_it_refuses_bad_steps_and_keeps_the_old_ones(world: World, steps, message) -> None:  # type: ignore[no-untyped-def]
    playbook = playbook_for(world.organisation, IncidentKind.HOUSE_COMPROMISED)
    before = _titles(playbook)

    with pytest.raises(ValidationError, match=message):
        save_playbook_steps(playbook, steps, actor=world.coordinator)

    assert _titles(playbook) == before
    assert len(before) == 3
    assert not _entries("playbook.steps_saved")


@pytest.mark.parametrize("persona", ["viewer", "responder", "outsider"])
def test_it_refuses_anyone_but_the_organisations_coordinators(world: World, persona) -> None:  # type: ignore[no-untyped-def]
    playbook = playbook_for(world.organisation, IncidentKind.PERSON_MISSING)
    before = _titles(playbook)

    with pytest.raises(PermissionDenied):
        save_playbook_steps(playbook, [_step(1)], actor=getattr(world, persona))
    with pytest.raises(PermissionDenied):
        rename_playbook(playbook, actor=getattr(world, persona), name_en="X", name_ru="Имя")

    playbook.refresh_from_db()
    assert _titles(playbook) == before
    assert playbook.name_en == "Person missing"


def test_editing_leaves_the_tasks_of_an_open_incident_alone(world: World) -> None:
    incident = open_incident(
        kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person
    )

    def tasks(incident) -> list[tuple[int, str, str, str, object]]:  # type: ignore[no-untyped-def]
        return [
            (t.position, str(t.title_en), str(t.title_ru), t.owner_role, t.due_at)
            for t in incident.tasks.order_by("position")
        ]

    before = tasks(incident)
    playbook = playbook_for(world.organisation, IncidentKind.PERSON_MISSING)

    save_playbook_steps(playbook, [_step(1, "Only this")], actor=world.coordinator)

    assert len(before) == 7
    assert tasks(incident) == before
    # The control: an incident opened after the edit does get the new steps.
    later = open_incident(
        kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person
    )
    assert [str(t.title_en) for t in later.tasks.all()] == ["Only this"]


def test_renaming_a_playbook(world: World) -> None:
    playbook = playbook_for(world.organisation, IncidentKind.DETAINED)

    assert rename_playbook(
        playbook, actor=world.coordinator, name_en=" Detention ", name_ru="Задержание"
    )
    assert not rename_playbook(
        playbook, actor=world.coordinator, name_en="Detention", name_ru="Задержание"
    )
    with pytest.raises(ValidationError) as refused:
        rename_playbook(playbook, actor=world.coordinator, name_en="", name_ru="x" * 121)

    playbook.refresh_from_db()
    assert (playbook.name_en, playbook.name_ru) == ("Detention", "Задержание")
    assert set(refused.value.error_dict) == {"name_en", "name_ru"}
    assert len(_entries("playbook.renamed")) == 1
