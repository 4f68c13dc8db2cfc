# ruff: noqa: RUF001, E501 - a bilingual table: Russian letters and long sentences are its content
"""The playbooks Safehold ships, in English and Russian; each organisation gets its own
editable copy the first time it needs one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import prefetch_related_objects

from safehold.accounts.models import Organisation
from safehold.incidents.models import IncidentKind, OwnerRole, Playbook, PlaybookStep


@dataclass(frozen=True)
class Step:
    en: str
    ru: str
    owner: str
    due_minutes: int | None = None


@dataclass(frozen=True)
class Shipped:
    kind: str
    name_en: str
    name_ru: str
    steps: tuple[Step, ...]


PERSON_MISSING = Shipped(
    IncidentKind.PERSON_MISSING,
    "Person missing",
    "Человек пропал",
    (
        Step(
            "Try to reach the person on every channel",
            "Попытаться связаться с человеком по всем каналам",
            OwnerRole.LEAD,
            15,
        ),
        Step(
            "Send a lawyer to the last known address",
            "Направить адвоката по последнему известному адресу",
            OwnerRole.LAWYER,
            60,
        ),
        Step(
            "File a missing-person report",
            "Подать заявление о пропаже человека",
            OwnerRole.LAWYER,
            180,
        ),
        Step(
            "Check the police stations in the city",
            "Проверить отделы полиции в городе",
            OwnerRole.LAWYER,
            240,
        ),
        Step(
            "Inform the family and trusted contacts",
            "Сообщить семье и доверенным контактам",
            OwnerRole.COORDINATOR,
            240,
        ),
        Step(
            "Decide on an urgent request to the European Court of Human Rights (Rule 39 interim measures) or to a UN body",
            "Решить вопрос о срочном обращении в Европейский суд по правам человека (обеспечительные меры по правилу 39) или в орган ООН",
            OwnerRole.LEAD,
            720,
        ),
        Step("Decide on publicity", "Решить вопрос о публичности", OwnerRole.LEAD, 1440),
    ),
)

HOUSE_COMPROMISED = Shipped(
    IncidentKind.HOUSE_COMPROMISED,
    "Safe house compromised",
    "Убежище раскрыто",
    (
        Step(
            "Move everyone placed in the house",
            "Переселить всех, кто размещён в убежище",
            OwnerRole.COORDINATOR,
            120,
        ),
        Step("Mark the house burned", "Отметить убежище как раскрытое", OwnerRole.LEAD, 30),
        Step(
            "Find who knew its address (see the access log)",
            "Выяснить, кто знал адрес (см. журнал доступа)",
            OwnerRole.LEAD,
            1440,
        ),
    ),
)

SHIPPED: dict[str, Shipped] = {
    IncidentKind.PERSON_MISSING: PERSON_MISSING,
    # A detention calls for the same first hours as a disappearance.
    IncidentKind.DETAINED: PERSON_MISSING,
    IncidentKind.HOUSE_COMPROMISED: HOUSE_COMPROMISED,
}


@transaction.atomic
def playbook_for(organisation: Organisation, kind: str) -> Playbook:
    """Return the organisation's playbook for `kind` with its steps, copying the shipped
    one first. Two first uses at once make one copy (the pair is unique)."""
    shipped = SHIPPED[kind]
    playbook, created = Playbook.objects.get_or_create(
        organisation=organisation,
        kind=kind,
        defaults={"name_en": shipped.name_en, "name_ru": shipped.name_ru},
    )
    if created:
        _copy_steps(playbook, shipped)
    prefetch_related_objects([playbook], "steps")
    return playbook


def _copy_steps(playbook: Playbook, shipped: Shipped) -> None:
    PlaybookStep.objects.bulk_create(
        PlaybookStep(
            playbook=playbook,
            position=position,
            title_en=step.en,
            title_ru=step.ru,
            owner_role=step.owner,
            due_minutes=step.due_minutes,
        )
        for position, step in enumerate(shipped.steps, start=1)
    )
