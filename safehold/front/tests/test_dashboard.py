"""The dashboard: cases by stage and document deadlines, within my reach only."""

from __future__ import annotations

import datetime

import pytest

from safehold.cases.actions import save_document
from safehold.testing import login, make_person

pytestmark = pytest.mark.django_db


def document(person, actor, days, status="submitted", kind="visa_application"):
    deadline = datetime.date.today() + datetime.timedelta(days=days)
    return save_document(
        person,
        {"kind": kind, "country": "DE", "status": status, "deadline": deadline},
        actor=actor,
    )


def test_it_counts_cases_by_stage(world):
    make_person(world.compartment, codename="Heron")
    make_person(world.other_compartment, codename="Crane")
    response = login(world.coordinator).get("/")
    assert response.status_code == 200
    assert b"You can see 2 cases." in response.content


def test_it_lists_near_and_passed_deadlines(world):
    document(world.person, world.coordinator, 5)
    document(world.person, world.coordinator, -2, kind="passport")
    content = login(world.coordinator).get("/").content.decode()
    assert "Falcon" in content
    assert "5 days" in content
    assert "2 days overdue" in content


def test_it_leaves_out_settled_and_distant_deadlines(world):
    document(world.person, world.coordinator, 3, status="approved")
    document(world.person, world.coordinator, -3, status="refused")
    document(world.person, world.coordinator, 40)
    content = login(world.coordinator).get("/").content.decode()
    assert "No open document is due soon." in content


def test_it_refuses_outsider_any_count_or_deadline(world):
    document(world.person, world.coordinator, 1)
    content = login(world.outsider).get("/").content.decode()
    assert "Falcon" not in content
    assert "You can see 0 cases." in content
