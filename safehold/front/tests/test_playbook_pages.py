"""The playbook editor: who sees it, saving, reordering, deleting and refusing steps."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from safehold.audit.models import AuditEntry
from safehold.incidents.actions import open_incident
from safehold.incidents.models import IncidentKind, Playbook, PlaybookStep
from safehold.incidents.playbooks import playbook_for
from safehold.testing import login

pytestmark = pytest.mark.django_db

LIST = reverse("playbook_list")
KIND = IncidentKind.HOUSE_COMPROMISED


def edit_url(kind=KIND):
    return reverse("playbook_edit", kwargs={"kind": kind})


def rename_url(kind=KIND):
    return reverse("playbook_rename", kwargs={"kind": kind})


def steps_of(organisation, kind=KIND):
    playbook = playbook_for(organisation, kind)
    return list(
        PlaybookStep.objects.filter(playbook=playbook)
        .order_by("position")
        .values_list("position", "title_en", "title_ru", "owner_role", "due_minutes")
    )


def steps_post(rows, initial):
    """Form data for the steps formset; `rows` are dicts of field values."""
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{index}-{key}"] = value
    return data


def saved_rows(organisation, kind=KIND):
    """The saved steps as the form shows them."""
    return [
        {
            "position": str(position),
            "title_en": title_en,
            "title_ru": title_ru,
            "owner_role": owner_role,
            "due_minutes": "" if due is None else str(due),
        }
        for position, title_en, title_ru, owner_role, due in steps_of(organisation, kind)
    ]


def untouched_extra(index):
    return {"position": str(index + 1), "owner_role": "lead"}


def test_the_list_shows_one_playbook_per_kind_with_its_steps(world):
    response = login(world.coordinator).get(LIST)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row.kind, row.step_count) for row in rows] == [
        ("person_missing", 7), ("detained", 7), ("house_compromised", 3),
    ]  # fmt: skip
    content = response.content.decode()
    assert "Safe house compromised" in content
    for kind in IncidentKind.values:
        assert edit_url(kind) in content
    assert Playbook.objects.filter(organisation=world.organisation).count() == 3


def test_the_list_names_playbooks_in_the_language_of_the_page(world):
    client = login(world.coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    content = client.get(LIST).content.decode()
    assert "Убежище раскрыто" in content
    assert "Safe house compromised" not in content


def test_the_editor_shows_the_organisations_steps_and_empty_ones(world):
    response = login(world.admin).get(edit_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="steps-INITIAL_FORMS" value="3"' in content
    assert 'name="steps-TOTAL_FORMS" value="6"' in content
    assert "Move everyone placed in the house" in content
    assert "Переселить всех, кто размещён в убежище" in content
    assert "Delete this step" in content
    assert response.context["section"] == "playbooks"


def test_saving_reorders_deletes_and_adds_steps(world):
    rows = saved_rows(world.organisation)
    rows[0]["position"] = "9"  # "Move everyone…" goes last
    rows[1]["DELETE"] = "on"  # "Mark the house burned" goes
    rows[2]["title_en"] = "Find who knew the address"
    new = {
        "position": "1",
        "title_en": "Call the people placed there",
        "title_ru": "Позвонить тем, кто там живёт",
        "owner_role": "coordinator",
        "due_minutes": "",
    }
    post = steps_post([*rows, new, untouched_extra(4), untouched_extra(5)], initial=3)

    response = login(world.coordinator).post(edit_url(), post)

    assert response.status_code == 302
    assert response["Location"] == edit_url()
    assert [(p, en, role, due) for p, en, _ru, role, due in steps_of(world.organisation)] == [
        (1, "Call the people placed there", "coordinator", None),
        (2, "Find who knew the address", "lead", 1440),
        (3, "Move everyone placed in the house", "coordinator", 120),
    ]
    [entry] = AuditEntry.objects.filter(action="playbook.steps_saved")
    assert entry.actor_id == world.coordinator.pk
    assert entry.details["steps"] == 3
    assert entry.details["playbook"] == str(playbook_for(world.organisation, KIND).pk)


def test_an_empty_title_is_shown_on_its_field(world):
    before = steps_of(world.organisation)
    rows = saved_rows(world.organisation)
    rows[1]["title_ru"] = "   "

    response = login(world.coordinator).post(edit_url(), steps_post(rows, initial=3))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_steps-1-title_ru_error"' in content
    assert "This field is required." in content
    assert steps_of(world.organisation) == before
    assert not AuditEntry.objects.filter(action="playbook.steps_saved").exists()


def test_a_half_filled_new_step_is_refused(world):
    before = steps_of(world.organisation)
    rows = [*saved_rows(world.organisation), {**untouched_extra(3), "title_en": "Lonely"}]

    response = login(world.coordinator).post(edit_url(), steps_post(rows, initial=3))

    assert response.status_code == 200
    assert 'id="id_steps-3-title_ru_error"' in response.content.decode()
    assert steps_of(world.organisation) == before


def test_deleting_every_step_is_refused(world):
    before = steps_of(world.organisation)
    rows = [{**row, "DELETE": "on"} for row in saved_rows(world.organisation)]

    response = login(world.coordinator).post(
        edit_url(), steps_post([*rows, untouched_extra(3)], initial=3)
    )

    assert response.status_code == 200
    assert "Give the playbook at least one step." in response.content.decode()
    assert steps_of(world.organisation) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("due_minutes", "0"), ("due_minutes", "10081"), ("owner_role", "mayor"), ("position", "-3")],
)
def test_out_of_range_values_are_shown_on_their_field(world, field, value):
    before = steps_of(world.organisation)
    rows = saved_rows(world.organisation)
    rows[0][field] = value

    response = login(world.coordinator).post(edit_url(), steps_post(rows, initial=3))

    assert response.status_code == 200
    assert f'id="id_steps-0-{field}_error"' in response.content.decode()
    assert steps_of(world.organisation) == before


def test_a_post_without_the_management_form_is_refused_without_a_crash(world):
    response = login(world.coordinator).post(edit_url(), {"steps-0-title_en": "x"})
    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in response.content.decode()


def test_an_unknown_kind_is_not_found(world):
    client = login(world.coordinator)
    assert client.get(edit_url("alien_abduction")).status_code == 404
    assert client.post(rename_url("alien_abduction"), {}).status_code == 404


def test_renaming_a_playbook(world):
    client = login(world.coordinator)
    response = client.post(
        rename_url(), {"names-name_en": "House exposed", "names-name_ru": "Дом раскрыт"}
    )
    assert response.status_code == 302
    playbook = playbook_for(world.organisation, KIND)
    assert (playbook.name_en, playbook.name_ru) == ("House exposed", "Дом раскрыт")
    refused = client.post(rename_url(), {"names-name_en": "", "names-name_ru": "Дом"})
    assert refused.status_code == 200
    assert 'id="id_names-name_en_error"' in refused.content.decode()
    assert AuditEntry.objects.filter(action="playbook.renamed").count() == 1


def test_an_edit_leaves_the_tasks_of_an_open_incident_alone(world):
    incident = open_incident(
        kind=KIND, actor=world.coordinator, safe_house=world.safe_house, person=world.person
    )
    before = [(t.position, str(t.title_en), t.owner_role, t.due_at) for t in incident.tasks.all()]
    rows = saved_rows(world.organisation)
    rows[0]["DELETE"] = rows[1]["DELETE"] = "on"
    rows[2]["title_en"] = "Something else entirely"

    response = login(world.coordinator).post(edit_url(), steps_post(rows, initial=3))

    assert response.status_code == 302
    assert len(steps_of(world.organisation)) == 1
    after = [(t.position, str(t.title_en), t.owner_role, t.due_at) for t in incident.tasks.all()]
    assert len(before) == 3
    assert after == before


@pytest.mark.parametrize("persona", ["viewer", "responder", "outsider"])
def test_it_refuses_outsider(world, persona):
    before = steps_of(world.organisation)
    client = login(getattr(world, persona))
    rows = saved_rows(world.organisation)
    rows[0]["title_en"] = "Hijacked"

    assert client.get(LIST).status_code == (200 if persona == "outsider" else 404)
    assert client.get(edit_url()).status_code == (200 if persona == "outsider" else 404)
    client.post(edit_url(), steps_post(rows, initial=3))
    client.post(rename_url(), {"names-name_en": "Hijacked", "names-name_ru": "Имя"})

    # An outsider reaches only the playbooks of their own organisation.
    assert steps_of(world.organisation) == before
    assert playbook_for(world.organisation, KIND).name_en == "Safe house compromised"
    if persona == "outsider":
        assert "Hijacked" in steps_of(world.outsider.organisation)[0]
    else:
        assert not AuditEntry.objects.filter(action__startswith="playbook.").exists()


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_members_who_do_not_coordinate_get_404_everywhere(world, persona):
    client = login(getattr(world, persona))
    for kind in IncidentKind.values:
        assert client.get(edit_url(kind)).status_code == 404
        assert client.post(edit_url(kind), {}).status_code == 404
        assert client.post(rename_url(kind), {}).status_code == 404
    assert client.get(LIST).status_code == 404


def test_visitors_are_sent_to_the_login_form(world):
    for path in (LIST, edit_url()):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Client().post(edit_url(), {}).status_code == 403
    assert not Playbook.objects.exists()
