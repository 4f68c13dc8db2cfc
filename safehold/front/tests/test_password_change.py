"""Members change their own password; a one-time password opens nothing else."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from safehold.audit.models import AuditEntry
from safehold.testing import PASSWORD, login

pytestmark = pytest.mark.django_db
NEW = "a much better passphrase 42"


def _change(client, old=PASSWORD, new=NEW):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_a_member_changes_their_password(world):
    client = login(world.coordinator)
    response = _change(client)
    assert response.status_code == 302
    world.coordinator.refresh_from_db()
    assert world.coordinator.check_password(NEW)
    assert client.get("/").status_code == 200  # still signed in on this device
    assert AuditEntry.objects.filter(action="member.password_set").exists()


def test_a_wrong_old_password_changes_nothing(world):
    response = _change(login(world.coordinator), old="not it")
    assert response.status_code == 200
    world.coordinator.refresh_from_db()
    assert world.coordinator.check_password(PASSWORD)


def test_a_weak_new_password_is_refused(world):
    response = _change(login(world.coordinator), new="12345678")
    assert response.status_code == 200
    world.coordinator.refresh_from_db()
    assert world.coordinator.check_password(PASSWORD)


def test_a_one_time_password_opens_only_the_change_page(world):
    world.coordinator.must_change_password = True
    world.coordinator.save()
    client = login(world.coordinator)
    for path in ("/", "/persons/", f"/persons/{world.person.pk}/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/account/password/"
    assert client.get("/account/password/").status_code == 200
    _change(client)
    assert client.get(f"/persons/{world.person.pk}/").status_code == 200


def test_the_password_command_generates_a_one_time_password(world):
    out = io.StringIO()
    call_command("password", world.viewer.email, "--generate", stdout=out)
    password = out.getvalue().strip().rsplit(" ", 1)[-1]
    world.viewer.refresh_from_db()
    assert world.viewer.check_password(password)
    assert world.viewer.must_change_password
