"""Gathering an incident's dossier for one exporter, and writing it as PDF or HTML.

The exporter sees in the dossier what they may see in Safehold: the person's identity
only if they may reveal it (and the export is then audited as a reveal), the evidence
list with hashes (each export is a chain-of-custody entry), and the whole timeline.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.audit.chain import record
from safehold.cases.actions import reveal_person
from safehold.cases.gatekeepers import can
from safehold.incidents.models import (
    Dispatch,
    DispatchState,
    Incident,
    IncidentKind,
    IncidentOutcome,
    IncidentState,
    ResponderKind,
)
from safehold.records.dossier import (
    Dossier,
    Exhibit,
    Fact,
    Line,
    UrgentRequest,
    render_html,
    render_pdf,
)
from safehold.records.evidence import record_export
from safehold.records.fonts import check_fonts
from safehold.records.models import EvidenceItem, EvidenceKind
from safehold.records.timeline import Event, Source, incident_timeline, local_zone

FORMATS = ("pdf", "html")
# What a court needs to read as the facts: not every notification sent.
FACT_SOURCES = frozenset(
    {Source.INCIDENT, Source.ALERT, Source.MESSAGE, Source.DISPATCH, Source.PLACEMENT}
)


@dataclass(frozen=True)
class RequestDetails:
    """What only the exporter knows about the urgent request; empty means "to complete"."""

    respondent_state: str = "RU"
    imminent_risk: str = ""
    is_removal: bool = False
    removal_date: str = ""
    removal_time: str = ""
    removal_destination: str = ""
    measures_requested: str = ""


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    file_name: str


def _person_facts(incident: Incident, exporter: Member) -> tuple[tuple[Fact, ...], str]:
    """Return the person's facts the exporter may see, and the applicant's name."""
    person = incident.person
    if person is None:
        return (), ""
    facts = [
        Fact(str(_("Codename")), person.codename),
        Fact(str(_("Stage")), str(person.get_stage_display())),
    ]
    if not can(exporter, person, Need.REVEAL):
        return tuple(facts), person.codename
    revealed = reveal_person(
        person, actor=exporter, reason=f"dossier export, incident {incident.pk}"
    )
    birth = revealed.date_of_birth.isoformat() if revealed.date_of_birth else ""
    facts += [
        Fact(str(_("Legal name")), revealed.legal_name),
        Fact(str(_("Aliases")), ", ".join(revealed.aliases)),
        Fact(str(_("Date of birth")), birth),
        Fact(str(_("Origin")), revealed.origin),
        Fact(str(_("Current city")), revealed.city),
        Fact(str(_("Languages")), ", ".join(revealed.languages)),
    ]
    return tuple(fact for fact in facts if fact.value), revealed.legal_name or person.codename


def _line(event: Event, zone: str) -> Line:
    return Line(event.at, zone, event.actor, event.label, event.text)


def _exhibits(items: list[EvidenceItem], intact: list[bool]) -> tuple[Exhibit, ...]:
    exhibits = []
    for number, (item, is_intact) in enumerate(zip(items, intact, strict=True), start=1):
        label = str(item.name) if item.kind == EvidenceKind.FILE and item.name else _("Note")
        if not is_intact:
            label = _("%(label)s — INTEGRITY CHECK FAILED") % {"label": label}
        exhibits.append(
            Exhibit(
                number,
                str(label),
                item.kind,
                item.size_bytes,
                item.sha256,
                item.added_at,
                str(item.added_by.label) if item.added_by else "",
            )
        )
    return tuple(exhibits)


def _lawyer(incident: Incident) -> tuple[str, str]:
    dispatch = (
        Dispatch.objects.filter(
            incident=incident, kind=ResponderKind.LAWYER, state=DispatchState.ACCEPTED
        )
        .select_related("responder")
        .order_by("answered_at")
        .first()
    )
    if dispatch is None:
        return "", ""
    return str(dispatch.responder.label), str(dispatch.responder.email)


def _default_risk(incident: Incident) -> str:
    if incident.kind == IncidentKind.DETAINED:
        return _(
            "The applicant is held incommunicado by the authorities and faces a real "
            "risk of torture, ill-treatment and removal to a place where their life is in "
            "danger."
        )
    if incident.kind == IncidentKind.PERSON_MISSING:
        return _(
            "The applicant disappeared after their whereabouts became known to their "
            "persecutors; their family and lawyer do not know where they are held, and "
            "they face a real risk to life and of torture or ill-treatment."
        )
    return ""


@transaction.atomic
def gather_dossier(
    incident: Incident,
    *,
    exporter: Member,
    language: str,
    details: RequestDetails | None = None,
    now: datetime.datetime | None = None,
) -> Dossier:
    """Return the dossier as `exporter` may see it, recording the export in the audit
    log and the evidence's chain of custody. The caller checked the exporter's access."""
    details = details or RequestDetails()
    now = now or timezone.now()
    zone = local_zone(incident)
    with translation.override(language):
        facts, applicant = _person_facts(incident, exporter)
        events = incident_timeline(incident, language=language, now=now)
        lines = tuple(_line(event, zone) for event in events)
        items = list(
            EvidenceItem.objects.filter(incident=incident)
            .select_related("added_by")
            .order_by("added_at")
        )
        exhibits = _exhibits(items, record_export(items, actor=exporter) if items else [])
        lawyer_name, lawyer_contact = _lawyer(incident)
        request = UrgentRequest(
            applicant=applicant,
            respondent_state=details.respondent_state.strip().upper()[:2],
            facts=tuple(_line(event, zone) for event in events if event.source in FACT_SOURCES),
            imminent_risk=details.imminent_risk or _default_risk(incident),
            is_removal=details.is_removal,
            removal_date=details.removal_date,
            removal_time=details.removal_time,
            removal_destination=details.removal_destination,
            measures_requested=details.measures_requested,
            lawyer_name=lawyer_name,
            lawyer_contact=lawyer_contact,
        )
        dossier = Dossier(
            incident_ref=incident.pk.hex[:8],
            incident_kind=str(IncidentKind(incident.kind).label),
            state=str(IncidentState(incident.state).label),
            opened_at=incident.opened_at,
            closed_at=incident.closed_at,
            outcome=str(IncidentOutcome(incident.outcome).label) if incident.outcome else "",
            exported_at=now,
            exported_by=str(exporter.label),
            person=facts,
            timeline=lines,
            evidence=exhibits,
            request=request,
        )
    return dossier


def export_incident(
    incident: Incident,
    *,
    exporter: Member,
    file_format: str,
    language: str,
    details: RequestDetails | None = None,
) -> Export:
    """Return the dossier rendered as `file_format` ("pdf" or "html"); audited."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown dossier format {file_format!r}")
    if file_format == "pdf":
        # Before anything is audited as exported: a dossier that cannot be written
        # must not show up in the custody of the evidence.
        check_fonts()
    with transaction.atomic():
        dossier = gather_dossier(incident, exporter=exporter, language=language, details=details)
        record(
            "incident.exported",
            actor=exporter,
            target=incident,
            details={"format": file_format, "language": language},
        )
    name = f"dossier-{dossier.incident_ref}-{language}.{file_format}"
    if file_format == "pdf":
        return Export(render_pdf(dossier, language), "application/pdf", name)
    return Export(render_html(dossier, language).encode(), "text/html; charset=utf-8", name)
