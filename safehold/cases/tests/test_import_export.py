"""`safehold import persons` and `safehold export persons`: all or nothing, audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from safehold.audit.models import AuditEntry
from safehold.cases.models import Person, Stage
from safehold.testing import World, make_compartment, make_organisation

pytestmark = pytest.mark.django_db

with translation.override("ru"):
    SHELTERED_IN_RUSSIAN = str(Stage.SHELTERED.label)

GOOD = f"""codename,legal_name,phone,city,stage,compartment,notes
Owl,Aslan Testov,+7 916 111-22-33; 8 916 111-22-34,Kazan,sheltered,North Caucasus,Needs a doctor
Crane,Илья Тестов,,Москва,{SHELTERED_IN_RUSSIAN},North Caucasus,
Robin,,,,,North Caucasus,
"""


def _file(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_is_imported_whole(world: World, tmp_path: Path) -> None:
    _run("import", "persons", str(_file(tmp_path, GOOD)), "--org", world.organisation.name)
    owl = Person.objects.get(codename="Owl")
    assert owl.legal_name == "Aslan Testov"
    assert owl.city == "Kazan"
    assert owl.stage == Stage.SHELTERED
    assert sorted(p.number for p in owl.phones.all()) == ["+79161112233", "+79161112234"]
    assert SHELTERED_IN_RUSSIAN != "Sheltered"  # the Russian catalogue is in use
    assert Person.objects.get(codename="Crane").stage == Stage.SHELTERED
    assert Person.objects.get(codename="Robin").stage == Stage.INTAKE
    assert AuditEntry.objects.filter(action="persons.imported").count() == 1


def test_bad_rows_are_named_by_line_and_nothing_is_imported(world: World, tmp_path: Path) -> None:
    text = (
        "codename,phone,stage,compartment\n"
        "Owl,+79161112233,sheltered,North Caucasus\n"
        "Crane,not a phone,intake,North Caucasus\n"
        "Heron,,flying,North Caucasus\n"
        ",,intake,North Caucasus\n"
        "Falcon,,intake,North Caucasus\n"
    )
    before = (Person.objects.count(), AuditEntry.objects.count())
    with pytest.raises(CommandError, match="Nothing imported: 4 problem"):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(
                "import",
                "persons",
                str(_file(tmp_path, text)),
                stdout=out,
                stderr=err,
                org=world.organisation.name,
            )
        finally:
            messages = err.getvalue()
    assert "people.csv:3: phone:" in messages
    assert "people.csv:4: unknown stage 'flying'" in messages
    assert "people.csv:5: codename is empty" in messages
    assert "people.csv:6: codename:" in messages  # Falcon exists already
    assert (Person.objects.count(), AuditEntry.objects.count()) == before


def test_an_unknown_compartment_is_an_error_unless_asked_to_create(
    world: World, tmp_path: Path
) -> None:
    path = _file(tmp_path, "codename,compartment\nOwl,Far East\n")
    with pytest.raises(CommandError):
        _run("import", "persons", str(path), "--org", world.organisation.name)
    assert not Person.objects.filter(codename="Owl").exists()
    out, _ = _run(
        "import", "persons", str(path), "--org", world.organisation.name, "--create-compartments"
    )
    assert "Created compartment Far East" in out
    assert Person.objects.get(codename="Owl").compartment.name == "Far East"


def test_the_org_may_be_left_out_when_there_is_one(tmp_path: Path) -> None:
    organisation = make_organisation()
    make_compartment(organisation, "Main")
    _run("import", "persons", str(_file(tmp_path, "codename\nOwl\n")))
    assert Person.objects.get(codename="Owl").compartment.name == "Main"


def test_the_org_must_be_named_when_there_are_several(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--org"):
        _run("import", "persons", str(_file(tmp_path, "codename\nOwl\n")))


@pytest.mark.parametrize(
    "text",
    ["name,phone\nOwl,1\n", "codename,shoe_size\nOwl,42\n", "codename\nOwl,extra,cells\n", ""],
)
def test_malformed_files_are_refused_clearly(world: World, tmp_path: Path, text: str) -> None:
    with pytest.raises(CommandError, match="Nothing imported"):
        _run("import", "persons", str(_file(tmp_path, text)), "--org", world.organisation.name)


def test_a_file_that_is_not_utf8_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("codename,notes\nOwl,Пример\n".encode("cp1251"))
    with pytest.raises(CommandError, match="not UTF-8"):
        _run("import", "persons", str(path), "--org", world.organisation.name)


def test_export_writes_every_column_and_is_audited(world: World, tmp_path: Path) -> None:
    _run("import", "persons", str(_file(tmp_path, GOOD)), "--org", world.organisation.name)
    out, _ = _run("export", "persons", "--org", world.organisation.name)
    rows = {row["codename"]: row for row in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"Falcon", "Owl", "Crane", "Robin"}
    assert rows["Owl"]["legal_name"] == "Aslan Testov"
    assert rows["Owl"]["phone"] == "'+79161112233; +79161112234"  # defused for spreadsheets
    assert rows["Crane"]["city"] == "Москва"
    assert rows["Falcon"]["compartment"] == "North Caucasus"
    assert AuditEntry.objects.filter(action="persons.exported").get().details == {"rows": 4}


def test_an_export_imports_back_into_another_organisation(world: World, tmp_path: Path) -> None:
    out, _ = _run("export", "persons", "--org", world.organisation.name)
    other = make_organisation("Sister Network")
    _run(
        "import",
        "persons",
        str(_file(tmp_path, out)),
        "--org",
        other.name,
        "--create-compartments",
    )
    copy = Person.objects.get(organisation=other, codename="Falcon")
    assert copy.legal_name == "Ruslan Testov"
    assert copy.notes == "Hiding since March"


def test_a_bad_row_is_named_by_the_line_it_starts_on(world: World, tmp_path: Path) -> None:
    text = (
        "codename,notes,stage,compartment\n"
        'Owl,"first line\nsecond line\nthird",intake,North Caucasus\n'
        "Heron,,flying,North Caucasus\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            "persons",
            str(_file(tmp_path, text)),
            stderr=err,
            org=world.organisation.name,
        )
    assert "people.csv:5: unknown stage 'flying'" in err.getvalue()


def test_a_nul_character_is_a_reported_problem(world: World, tmp_path: Path) -> None:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            "persons",
            str(_file(tmp_path, "codename\nOw\x00l\n")),
            stderr=err,
            org=world.organisation.name,
        )
    assert "people.csv:2: a cell holds a NUL character" in err.getvalue()


def test_formulas_are_defused_in_the_export_and_restored_on_import(
    world: World, tmp_path: Path
) -> None:
    text = 'codename,notes,compartment\nOwl,=HYPERLINK("http://x"),North Caucasus\n'
    _run("import", "persons", str(_file(tmp_path, text)), "--org", world.organisation.name)
    out, _ = _run("export", "persons", "--org", world.organisation.name)
    rows = {row["codename"]: row for row in csv.DictReader(io.StringIO(out))}
    assert rows["Owl"]["notes"] == '\'=HYPERLINK("http://x")'
    assert rows["Falcon"]["phone"] == "'+79161234567"
    other = make_organisation("Sister Network")
    _run(
        "import",
        "persons",
        str(_file(tmp_path, out, "back.csv")),
        "--org",
        other.name,
        "--create-compartments",
    )
    assert Person.objects.get(organisation=other, codename="Owl").notes == '=HYPERLINK("http://x")'
    assert Person.objects.get(organisation=other, codename="Falcon").phones.get().number == (
        "+79161234567"
    )


def test_aliases_with_commas_stay_whole(world: World, tmp_path: Path) -> None:
    text = 'codename,aliases,compartment\nOwl,"Ivanov, Ivan; Vanya",North Caucasus\n'
    _run("import", "persons", str(_file(tmp_path, text)), "--org", world.organisation.name)
    assert Person.objects.get(codename="Owl").aliases == ["Ivanov, Ivan", "Vanya"]
