"""Responder profiles: a member's own page, and the organisation's list for coordinators."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from safehold.audit.models import AuditEntry
from safehold.incidents.models import Availability, ResponderProfile
from safehold.incidents.responder_actions import set_responder_profile
from safehold.testing import login, make_member

pytestmark = pytest.mark.django_db

MINE = reverse("my_responder_profile")
AVAILABILITY = reverse("my_availability")
LIST = reverse("responder_list")


def edit_url(member):
    return reverse("responder_edit", kwargs={"member_id": member.pk})


def profile_post(**changes):
    data = {
        "kinds": ["lawyer"],
        "availability": "available",
        "cities": "Grozny\nNazran",
        "regions": "Chechnya",
        "languages": ["ru", "ce"],
    }
    data.update(changes)
    return data


def give_profile(member, **changes):
    fields = {
        "kinds": ["lawyer"],
        "cities": ["Grozny"],
        "regions": ["Chechnya"],
        "languages": ["ru"],
        **changes,
    }
    return set_responder_profile(member, actor=member, **fields)


# --- The member's own profile -------------------------------------------------------


def test_a_member_without_a_profile_is_asked_to_set_one_up(world):
    response = login(world.responder).get(MINE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Set up your profile" in content
    assert 'name="kinds"' in content
    assert AVAILABILITY not in content  # no one-click availability before a profile


def test_a_member_edits_their_own_profile(world):
    client = login(world.responder)

    response = client.post(MINE, profile_post(availability="busy"))

    assert response.status_code == 302
    assert response["Location"] == MINE
    profile = ResponderProfile.objects.get(member=world.responder)
    assert profile.kinds == ["lawyer"]
    assert profile.cities == ["Grozny", "Nazran"]
    assert profile.regions == ["Chechnya"]
    assert profile.languages == ["ru", "ce"]
    assert profile.availability == Availability.BUSY
    content = client.get(MINE).content.decode()
    assert "Your responder profile was saved." in content
    assert "Nazran" in content
    assert "You are marked as “Busy”." in content


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kinds": ["priest"]}, "kinds", "Select a valid choice"),
        ({"kinds": []}, "kinds", "This field is required."),
        ({"cities": "x" * 500}, "cities", "at most 100 characters"),
        ({"availability": "asleep"}, "availability", "Select a valid choice"),
        ({"languages": ["klingon"]}, "languages", "Select a valid choice"),
    ],
)
def test_bad_input_shows_an_error_on_its_field(world, changes, field, message):
    response = login(world.responder).post(MINE, profile_post(**changes))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert f'id="id_{field}_error"' in content
    assert not ResponderProfile.objects.exists()


def test_availability_takes_one_click(world):
    give_profile(world.responder)
    client = login(world.responder)
    page = client.get(MINE).content.decode()
    assert '<button type="submit" name="availability" value="busy"' in page
    # Already available: no button for it.
    assert '<button type="submit" name="availability" value="available"' not in page

    response = client.post(AVAILABILITY, {"availability": "busy"})

    assert response.status_code == 302
    assert ResponderProfile.objects.get().availability == Availability.BUSY
    assert AuditEntry.objects.filter(action="responder.availability_set").count() == 1


@pytest.mark.parametrize("value", ["asleep", ""])
def test_a_bad_availability_is_shown_not_saved(world, value):
    give_profile(world.responder)

    response = login(world.responder).post(AVAILABILITY, {"availability": value})

    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert ResponderProfile.objects.get().availability == Availability.AVAILABLE


def test_availability_before_a_profile_asks_for_the_profile(world):
    response = login(world.responder).post(AVAILABILITY, {"availability": "busy"})
    assert response.status_code == 200
    assert "Fill in the responder profile first." in response.content.decode()
    assert not ResponderProfile.objects.exists()


def test_availability_cannot_be_read_with_a_get(world):
    assert login(world.responder).get(AVAILABILITY).status_code == 405


# --- The organisation's responders ----------------------------------------------------


def test_a_coordinator_lists_the_organisations_responders(world):
    lawyer = make_member(world.organisation, "responder", display_name="Lena Lawyer")
    give_profile(lawyer, cities=["Makhachkala"], regions=["Dagestan"], languages=["av"])
    make_member(world.organisation, "responder", display_name="Nadia Newcomer")
    elsewhere = make_member(world.outsider.organisation, "responder", display_name="Otto Other")
    give_profile(elsewhere, cities=["Tbilisi"])

    response = login(world.coordinator).get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Lena Lawyer" in content
    assert "Makhachkala" in content and "Dagestan" in content
    assert "Avar" in content and "Lawyer" in content and "Available" in content
    assert edit_url(lawyer) in content
    assert "Nadia Newcomer" in content and "No profile yet" in content
    assert "Otto Other" not in content and "Tbilisi" not in content


def test_the_list_filters_by_kind_and_availability(world):
    lawyer = make_member(world.organisation, "responder", display_name="Lena Lawyer")
    give_profile(lawyer)
    driver = make_member(world.organisation, "responder", display_name="Dima Driver")
    give_profile(driver, kinds=["driver"], availability="busy")
    client = login(world.admin)

    drivers = client.get(LIST, {"kind": "driver"}).content.decode()
    available = client.get(LIST, {"availability": "available"}).content.decode()
    none = client.get(LIST, {"kind": "lawyer", "availability": "busy"}).content.decode()

    assert "Dima Driver" in drivers and "Lena Lawyer" not in drivers
    assert "Lena Lawyer" in available and "Dima Driver" not in available
    assert "No responder matches these filters." in none


def test_a_bad_filter_is_shown_and_ignored(world):
    give_profile(make_member(world.organisation, "responder", display_name="Lena Lawyer"))
    response = login(world.coordinator).get(LIST, {"kind": "priest", "availability": "x"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Select a valid choice" in content
    assert "Lena Lawyer" in content


def test_a_coordinator_edits_a_members_profile(world):
    give_profile(world.responder)
    client = login(world.coordinator)
    page = client.get(edit_url(world.responder)).content.decode()
    assert "Grozny" in page

    response = client.post(
        edit_url(world.responder), profile_post(kinds=["driver", "doctor"], cities="Vladikavkaz")
    )

    assert response.status_code == 302
    assert response["Location"] == LIST
    profile = ResponderProfile.objects.get(member=world.responder)
    assert (profile.kinds, profile.cities) == (["driver", "doctor"], ["Vladikavkaz"])
    entry = AuditEntry.objects.filter(action="responder.profile_saved").latest("seq")
    assert entry.actor_id == world.coordinator.pk
    assert entry.details["member"] == str(world.responder.pk)


def test_a_coordinator_sets_up_a_profile_for_a_member_without_one(world):
    client = login(world.coordinator)
    assert "no responder profile yet" in client.get(edit_url(world.responder)).content.decode()
    response = client.post(edit_url(world.responder), profile_post(cities="x" * 500))
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()
    assert client.post(edit_url(world.responder), profile_post()).status_code == 302
    assert ResponderProfile.objects.get().member == world.responder


def test_a_coordinator_of_another_compartment_manages_responders_too(world):
    # Responders are sent anywhere in the organisation (see dispatch), so whoever
    # coordinates in it chooses among all of them.
    give_profile(world.responder)
    client = login(world.stranger)
    assert "Grozny" in client.get(LIST).content.decode()
    response = client.post(edit_url(world.responder), profile_post(kinds=["doctor"]))
    assert response.status_code == 302
    assert ResponderProfile.objects.get().kinds == ["doctor"]


@pytest.mark.parametrize("persona", ["responder", "viewer"])
def test_members_who_do_not_coordinate_get_404(world, persona):
    give_profile(world.coordinator)
    client = login(getattr(world, persona))

    assert client.get(LIST).status_code == 404
    assert client.get(edit_url(world.coordinator)).status_code == 404
    assert (
        client.post(edit_url(world.coordinator), profile_post(kinds=["driver"])).status_code == 404
    )

    assert ResponderProfile.objects.get().kinds == ["lawyer"]


def test_an_outsider_gets_404_on_a_member_of_another_organisation(world):
    give_profile(world.responder)
    client = login(world.outsider)

    assert client.get(edit_url(world.responder)).status_code == 404
    assert client.post(edit_url(world.responder), profile_post(kinds=["driver"])).status_code == 404
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert "Grozny" not in listing.content.decode()
    assert str(world.responder.pk) not in listing.content.decode()
    assert ResponderProfile.objects.get().kinds == ["lawyer"]


def test_missing_and_forbidden_members_look_alike(world):
    missing = login(world.coordinator).get(
        reverse("responder_edit", kwargs={"member_id": uuid.uuid4()})
    )
    forbidden = login(world.outsider).get(edit_url(world.responder))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_an_inactive_member_is_not_listed_or_edited(world):
    give_profile(world.responder)
    world.responder.is_active = False
    world.responder.save()
    client = login(world.coordinator)
    assert str(world.responder.pk) not in client.get(LIST).content.decode()
    assert client.get(edit_url(world.responder)).status_code == 404


@pytest.mark.parametrize(
    "path", [MINE, LIST, f"/responders/{uuid.uuid4()}/"], ids=["mine", "list", "edit"]
)
def test_visitors_are_sent_to_the_login_form(world, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Client().post(AVAILABILITY, {"availability": "busy"}).status_code == 403


def test_the_pages_mark_their_section(world):
    give_profile(world.coordinator)
    client = login(world.coordinator)
    assert client.get(LIST).context["section"] == "responders"
    assert client.get(edit_url(world.coordinator)).context["section"] == "responders"
    assert client.get(MINE).context["section"] == "account"
