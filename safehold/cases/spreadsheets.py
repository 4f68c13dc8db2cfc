"""Moving cases between Safehold and the spreadsheets organisations keep today."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from safehold.accounts.actions import create_compartment
from safehold.accounts.models import Organisation
from safehold.audit.chain import record
from safehold.cases.actions import PersonDetails, add_phone, move_stage, open_case
from safehold.cases.models import Person, RiskLevel, Stage

REQUIRED_COLUMNS = ("codename",)
COLUMNS = (
    "codename",
    "legal_name",
    "phone",
    "city",
    "stage",
    "compartment",
    "notes",
    "aliases",
    "date_of_birth",
    "origin",
    "languages",
    "risk_level",
)
LIST_SEPARATOR = ";"
COLUMN_FOR_FIELD = {"number": "phone", "to_stage": "stage"}
MAX_CELL = 10_000


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class ImportRefused(Exception):
    """The file was not imported; `problems` lists (line, reason) for every bad row."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


@dataclass
class ImportReport:
    created: int = 0
    compartments_created: list[str] = field(default_factory=list)


def _stage_lookup() -> dict[str, str]:
    """Map stage values and their English and Russian labels to stage values."""
    lookup: dict[str, str] = {}
    for language in ("en", "ru"):
        with translation.override(language):
            for value, label in Stage.choices:
                lookup[str(label).casefold()] = value
                lookup[value.casefold()] = value
    return lookup


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


# A cell starting with one of these runs as a formula when a spreadsheet opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defuse(cell: str) -> str:
    """Prefix a would-be formula with an apostrophe, as spreadsheets themselves do."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _undefuse(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{COLUMN_FOR_FIELD.get(name, name)}: {' '.join(msgs)}"
            for name, msgs in error.message_dict.items()
        )
    return "; ".join(error.messages)


def import_persons(
    stream: IO[str],
    *,
    organisation: Organisation,
    create_compartments: bool = False,
    source_name: str = "",
) -> ImportReport:
    """Import every row of a CSV file in one transaction, or nothing.

    Raise ImportRefused naming the line and reason of every bad row.
    """
    reader = csv.DictReader(stream)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    unknown = sorted(set(header) - set(COLUMNS))
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing or unknown:
        reasons = [f"missing column '{name}'" for name in missing]
        reasons += [f"unknown column '{name}'" for name in unknown]
        raise ImportRefused([(1, "; ".join(reasons) + f" (columns: {', '.join(COLUMNS)})")])
    reader.fieldnames = header
    stages = _stage_lookup()
    compartments = {c.name.casefold(): c for c in organisation.compartments.all()}
    report = ImportReport()
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    with transaction.atomic():
        line_after = reader.line_num
        for row in reader:
            # A quoted cell may span lines: a row starts right after the previous one ended.
            line, line_after = line_after + 1, reader.line_num
            cells = {k: _undefuse((v or "").strip()) for k, v in row.items() if k is not None}
            if None in row:
                problems.append((line, "more cells than columns"))
                continue
            if any(len(v) > MAX_CELL for v in cells.values()):
                problems.append((line, f"a cell is longer than {MAX_CELL} characters"))
                continue
            if any("\x00" in v for v in cells.values()):
                problems.append((line, "a cell holds a NUL character"))
                continue
            codename = cells.get("codename", "")
            if not codename:
                problems.append((line, "codename is empty"))
                continue
            if codename.casefold() in seen:
                problems.append((line, f"codename '{codename}' appears twice in the file"))
                continue
            seen.add(codename.casefold())
            name = cells.get("compartment", "")
            compartment = compartments.get(name.casefold()) if name else None
            if compartment is None and not name and len(compartments) == 1:
                compartment = next(iter(compartments.values()))
            if compartment is None:
                if not name:
                    problems.append((line, "compartment is empty"))
                    continue
                if not create_compartments:
                    problems.append(
                        (line, f"unknown compartment '{name}' (use --create-compartments)")
                    )
                    continue
                try:
                    compartment = create_compartment(organisation, name, actor=None)
                except ValidationError as error:
                    problems.append((line, _messages(error)))
                    continue
                compartments[name.casefold()] = compartment
                report.compartments_created.append(name)
            stage = stages.get(cells.get("stage", "").casefold() or Stage.INTAKE.value)
            if stage is None:
                problems.append((line, f"unknown stage '{cells['stage']}'"))
                continue
            risk = (cells.get("risk_level") or RiskLevel.HIGH).lower()
            if risk not in RiskLevel.values:
                problems.append((line, f"unknown risk level '{cells['risk_level']}'"))
                continue
            birth = None
            if cells.get("date_of_birth"):
                try:
                    birth = datetime.date.fromisoformat(cells["date_of_birth"])
                except ValueError:
                    problems.append((line, "date_of_birth must be YYYY-MM-DD"))
                    continue
            details = PersonDetails(
                codename=codename,
                compartment=compartment,
                legal_name=cells.get("legal_name", ""),
                aliases=_split(cells.get("aliases", "")),
                date_of_birth=birth,
                origin=cells.get("origin", ""),
                city=cells.get("city", ""),
                languages=_split(cells.get("languages", "")),
                notes=cells.get("notes", ""),
                risk_level=risk,
            )
            try:
                # A savepoint per row: a bad row is rolled back alone so every problem
                # in the file is reported at once; any problem rolls back the whole file.
                with transaction.atomic():
                    person = open_case(details, actor=None, organisation=organisation)
                    for number in _split(cells.get("phone", "")):
                        add_phone(person, number, actor=None)
                    if stage != Stage.INTAKE:
                        move_stage(
                            person, stage, actor=None, reason=_("Imported from a spreadsheet")
                        )
            except ValidationError as error:
                problems.append((line, _messages(error)))
                continue
            report.created += 1
        if problems:
            transaction.set_rollback(True)
            raise ImportRefused(problems)
        record(
            "persons.imported",
            actor=None,
            target=organisation,
            organisation_id=organisation.id,
            details={"created": report.created, "source": source_name},
        )
    return report


def export_persons(persons: Iterable[Person], out: Writable, *, organisation: Organisation) -> int:
    """Write `persons` as CSV with every column (decrypted); audit the export. Return rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    count = 0
    for person in persons:
        row = [
            person.codename,
            person.legal_name,
            f"{LIST_SEPARATOR} ".join(p.number for p in person.phones.all()),
            person.city,
            person.stage,
            person.compartment.name,
            person.notes,
            f"{LIST_SEPARATOR} ".join(person.aliases or []),
            person.date_of_birth.isoformat() if person.date_of_birth else "",
            person.origin,
            f"{LIST_SEPARATOR} ".join(person.languages or []),
            person.risk_level,
        ]
        writer.writerow([_defuse(cell) for cell in row])
        count += 1
    record(
        "persons.exported",
        actor=None,
        target=organisation,
        organisation_id=organisation.id,
        details={"rows": count},
    )
    # Written only after the audit entry is committed: no export goes unrecorded.
    out.write(buffer.getvalue())
    return count
