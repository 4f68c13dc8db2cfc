"""`safehold init`, `safehold demo` and the production settings check."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safehold.accounts.models import Compartment, Member, Organisation, Role, email_index
from safehold.cases.models import Person
from safehold.shelters.models import SafeHouse


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_init_creates_an_organisation_and_an_admin_who_can_log_in() -> None:
    out = _run("init", "--org", "Our Network", "--admin", "Admin@Example.org")
    password = out.strip().rsplit(" ", 1)[-1]
    admin = Member.objects.get(email_index=email_index("admin@example.org"))
    assert admin.role == Role.ADMIN
    assert admin.organisation == Organisation.objects.get(name="Our Network")
    assert list(admin.compartments.values_list("name", flat=True)) == ["Main"]
    assert admin.check_password(password)
    assert admin.must_change_password  # printed once, so someone else has seen it
    assert len(password) >= 16


@pytest.mark.django_db
def test_init_refuses_a_duplicate_or_a_bad_email() -> None:
    _run("init", "--org", "Our Network", "--admin", "admin@example.org")
    with pytest.raises(CommandError):
        _run("init", "--org", "Our Network", "--admin", "other@example.org")
    with pytest.raises(CommandError):
        _run("init", "--org", "Second", "--admin", "not an email")
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_demo_loads_once_and_prints_the_same_logins(settings, tmp_path: Path) -> None:
    settings.SAFEHOLD_DEMO_PASSWORD_FILE = tmp_path / "demo-logins.txt"
    first = _run("demo")
    second = _run("demo")
    assert first == second
    assert "coordinator" in first
    assert "/c/" in first  # a check-in link to try
    assert Organisation.objects.count() == 1
    assert Person.objects.count() >= 5
    assert SafeHouse.objects.count() >= 2
    assert Compartment.objects.count() == 2
    assert (tmp_path / "demo-logins.txt").stat().st_mode & 0o077 == 0
    line = next(x for x in first.splitlines() if "anna@" in x)
    email, password = line.split()[1:3]
    member = Member.objects.get(email_index=email_index(email))
    assert member.check_password(password)


def test_the_deploy_check_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SAFEHOLD_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        SAFEHOLD_DATA_DIR=str(tmp_path),
        SAFEHOLD_SECRET_KEY="x" * 20 + "production-secret-key-of-enough-length-and-variety-42",
        SAFEHOLD_ALLOWED_HOSTS="safehold.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "safehold.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
