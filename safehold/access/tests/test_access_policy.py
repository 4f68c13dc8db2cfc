"""Deny by default: organisation, compartment and explicit grants decide every access."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from safehold.access.models import Grant, Need, TargetKind
from safehold.accounts.models import Role
from safehold.cases.gatekeepers import get_person_for, persons_for
from safehold.shelters.gatekeepers import get_safe_house_for, safe_houses_for
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db


def _reaches(member, world: World, need: Need) -> bool:  # type: ignore[no-untyped-def]
    return persons_for(member, need).filter(pk=world.person.pk).exists()


@pytest.mark.parametrize("need", list(Need))
def test_a_coordinator_reaches_cases_of_their_compartment(world: World, need: Need) -> None:
    assert _reaches(world.coordinator, world, need)
    assert get_safe_house_for(world.coordinator, world.safe_house.pk, need) == world.safe_house


def test_a_viewer_may_only_view(world: World) -> None:
    assert _reaches(world.viewer, world, Need.VIEW)
    assert not _reaches(world.viewer, world, Need.REVEAL)
    assert not _reaches(world.viewer, world, Need.EDIT)


@pytest.mark.parametrize("persona", ["stranger", "outsider", "responder"])
@pytest.mark.parametrize("need", list(Need))
def test_others_are_refused_as_if_nothing_existed(world: World, persona: str, need: Need) -> None:
    member = getattr(world, persona)
    with pytest.raises(Http404):
        get_person_for(member, world.person.pk, need)
    with pytest.raises(Http404):
        get_safe_house_for(member, world.safe_house.pk, need)
    with pytest.raises(Http404):
        get_person_for(member, "00000000-0000-4000-8000-000000000000", need)


def test_an_admin_outside_the_compartment_sees_nothing(world: World) -> None:
    admin = make_member(world.organisation, Role.ADMIN, [world.other_compartment])
    assert not persons_for(admin).exists()
    assert not safe_houses_for(admin).exists()


def test_being_a_django_superuser_grants_nothing(world: World) -> None:
    superuser = make_member(None, Role.ADMIN, is_superuser=True)
    assert not persons_for(superuser, Need.VIEW).exists()
    org_superuser = make_member(world.organisation, Role.VIEWER, is_superuser=True)
    assert not persons_for(org_superuser, Need.VIEW).exists()


def test_an_inactive_member_sees_nothing(world: World) -> None:
    world.coordinator.is_active = False
    world.coordinator.save()
    assert not persons_for(world.coordinator).exists()


def test_anonymous_sees_nothing(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not persons_for(AnonymousUser()).exists()  # type: ignore[arg-type]
    assert not persons_for(None).exists()


def _grant(world: World, need: Need, **extra: object) -> Grant:
    return Grant.objects.create(
        member=world.responder,
        target_kind=TargetKind.PERSON,
        target_id=world.person.pk,
        need=need,
        granted_by=world.coordinator,
        **extra,
    )


def test_a_grant_opens_one_case_to_its_level(world: World) -> None:
    _grant(world, Need.REVEAL)
    assert _reaches(world.responder, world, Need.VIEW)
    assert _reaches(world.responder, world, Need.REVEAL)
    assert not _reaches(world.responder, world, Need.EDIT)
    assert list(persons_for(world.responder)) == [world.person]


def test_expired_and_revoked_grants_open_nothing(world: World) -> None:
    past = timezone.now() - datetime.timedelta(minutes=1)
    _grant(world, Need.VIEW, expires_at=past)
    _grant(world, Need.VIEW, revoked_at=past)
    assert not _reaches(world.responder, world, Need.VIEW)


def test_a_grant_does_not_cross_organisations(world: World) -> None:
    Grant.objects.create(
        member=world.outsider,
        target_kind=TargetKind.PERSON,
        target_id=world.person.pk,
        need=Need.VIEW,
    )
    assert not persons_for(world.outsider).exists()


def test_granting_and_revoking_are_audited_and_take_effect(world: World) -> None:
    from safehold.access.actions import grant_access, revoke_grant
    from safehold.audit.models import AuditEntry

    grant = grant_access(
        world.responder,
        kind=TargetKind.PERSON,
        target_id=world.person.pk,
        organisation_id=world.organisation.pk,
        need=Need.VIEW,
        actor=world.coordinator,
    )
    assert _reaches(world.responder, world, Need.VIEW)
    revoke_grant(grant, actor=world.coordinator)
    assert not _reaches(world.responder, world, Need.VIEW)
    actions = list(
        AuditEntry.objects.filter(object_id=str(world.responder.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions[-2:] == ["access.granted", "access.revoked"]


def test_a_grant_to_another_organisation_is_refused(world: World) -> None:
    from django.core.exceptions import ValidationError

    from safehold.access.actions import grant_access

    with pytest.raises(ValidationError):
        grant_access(
            world.outsider,
            kind=TargetKind.PERSON,
            target_id=world.person.pk,
            organisation_id=world.organisation.pk,
            need=Need.VIEW,
            actor=world.coordinator,
        )
