# ruff: noqa: RUF001
"""Render an incident dossier, already gathered and masked, as HTML or as a text PDF.

Nothing here reads the database or the clock: the gatherer decides what the exporter
may see and when the export happened, and this module only lays it out. Both outputs
are built from one `Sheet` of translated, formatted text, so the HTML and the PDF can
never say different things about the same incident.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

# --- The data a gatherer hands over -------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One line about the person; the gatherer already masked what the exporter may not see."""

    label: str
    value: str


@dataclass(frozen=True)
class Line:
    """One timeline entry; `kind` and `text` arrive translated."""

    at: datetime.datetime
    local_zone: str
    actor: str
    kind: str
    text: str


@dataclass(frozen=True)
class Exhibit:
    """One evidence item with what a chain of custody needs: digest, size, who and when."""

    number: int
    label: str
    kind: str
    size_bytes: int
    sha256: str
    added_at: datetime.datetime
    added_by: str


@dataclass(frozen=True)
class UrgentRequest:
    """The pre-filled Rule 39 draft; empty texts become visible placeholders."""

    applicant: str
    respondent_state: str
    facts: tuple[Line, ...]
    imminent_risk: str
    is_removal: bool
    removal_date: str
    removal_time: str
    removal_destination: str
    measures_requested: str
    lawyer_name: str
    lawyer_contact: str


@dataclass(frozen=True)
class Dossier:
    incident_ref: str
    incident_kind: str
    state: str
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None
    outcome: str
    exported_at: datetime.datetime
    exported_by: str
    person: tuple[Fact, ...]
    timeline: tuple[Line, ...]
    evidence: tuple[Exhibit, ...]
    request: UrgentRequest


# --- The European Convention on Human Rights ----------------------------------------

# The 46 member states of the Council of Europe, all parties to the Convention. Their
# accession dates are left out on purpose: the latest (Monaco, 2005; Montenegro, 2006)
# predate anything this software records.
CONVENTION_PARTIES: frozenset[str] = frozenset(
    {
        "AD", "AL", "AM", "AT", "AZ", "BA", "BE", "BG", "CH", "CY", "CZ", "DE",
        "DK", "EE", "ES", "FI", "FR", "GB", "GE", "GR", "HR", "HU", "IE", "IS",
        "IT", "LI", "LT", "LU", "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO",
        "PL", "PT", "RO", "RS", "SE", "SI", "SK", "SM", "TR", "UA",
    }
)  # fmt: skip

# States that were parties once: the first day they were bound and the first day they
# no longer were. Russia was expelled from the Council of Europe on 16 March 2022 and
# ceased to be a party to the Convention six months later.
FORMER_PARTIES: dict[str, tuple[datetime.date, datetime.date]] = {
    "RU": (datetime.date(1998, 5, 5), datetime.date(2022, 9, 16)),
}

# English and Russian names of the states a request is likely to concern; any other
# code is shown as it is. Kept here rather than in the catalogue so a respondent state
# is always named in the draft's language, even before the catalogue catches up.
COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    "AE": ("United Arab Emirates", "Объединённые Арабские Эмираты"),
    "AM": ("Armenia", "Армения"),
    "AT": ("Austria", "Австрия"),
    "AZ": ("Azerbaijan", "Азербайджан"),
    "BE": ("Belgium", "Бельгия"),
    "BG": ("Bulgaria", "Болгария"),
    "BY": ("Belarus", "Беларусь"),
    "CA": ("Canada", "Канада"),
    "CH": ("Switzerland", "Швейцария"),
    "CN": ("China", "Китай"),
    "CY": ("Cyprus", "Кипр"),
    "CZ": ("Czechia", "Чехия"),
    "DE": ("Germany", "Германия"),
    "DK": ("Denmark", "Дания"),
    "EE": ("Estonia", "Эстония"),
    "ES": ("Spain", "Испания"),
    "FI": ("Finland", "Финляндия"),
    "FR": ("France", "Франция"),
    "GB": ("United Kingdom", "Великобритания"),
    "GE": ("Georgia", "Грузия"),
    "GR": ("Greece", "Греция"),
    "IL": ("Israel", "Израиль"),
    "IT": ("Italy", "Италия"),
    "KG": ("Kyrgyzstan", "Кыргызстан"),
    "KZ": ("Kazakhstan", "Казахстан"),
    "LT": ("Lithuania", "Литва"),
    "LV": ("Latvia", "Латвия"),
    "MD": ("Moldova", "Молдова"),
    "ME": ("Montenegro", "Черногория"),
    "MN": ("Mongolia", "Монголия"),
    "NL": ("Netherlands", "Нидерланды"),
    "NO": ("Norway", "Норвегия"),
    "PL": ("Poland", "Польша"),
    "PT": ("Portugal", "Португалия"),
    "RO": ("Romania", "Румыния"),
    "RS": ("Serbia", "Сербия"),
    "RU": ("Russia", "Россия"),
    "SE": ("Sweden", "Швеция"),
    "TJ": ("Tajikistan", "Таджикистан"),
    "TM": ("Turkmenistan", "Туркменистан"),
    "TR": ("Türkiye", "Турция"),
    "UA": ("Ukraine", "Украина"),
    "US": ("United States", "США"),
    "UZ": ("Uzbekistan", "Узбекистан"),
}


def is_convention_party(state_code: str, on: datetime.date) -> bool:
    """Return whether the state (ISO 3166-1 alpha-2) is bound by the Convention on that day."""
    code = state_code.strip().upper()
    if code in CONVENTION_PARTIES:
        return True
    if code in FORMER_PARTIES:
        bound_from, bound_until = FORMER_PARTIES[code]
        return bound_from <= on < bound_until
    return False


def country_name(state_code: str, language: str) -> str:
    """Return the state's name in the language ("ru" or else English), or the code itself."""
    code = state_code.strip().upper()
    if code not in COUNTRY_NAMES:
        return code
    english, russian = COUNTRY_NAMES[code]
    return russian if language == "ru" else english


# --- What both renderers lay out -----------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """Every heading and column title, translated once for both renderers."""

    reference: str
    kind: str
    status: str
    opened: str
    closed: str
    outcome: str
    exported: str
    exported_by: str
    person: str
    no_person: str
    timeline: str
    time_utc: str
    time_local: str
    who: str
    what: str
    no_timeline: str
    evidence: str
    number: str
    item: str
    item_kind: str
    size: str
    added: str
    added_by: str
    no_evidence: str
    page: str  # a pattern with %(number)s and %(total)s, filled in on every page


@dataclass(frozen=True)
class TimelineRow:
    utc: str
    local: str
    actor: str
    kind: str
    text: str


@dataclass(frozen=True)
class ExhibitRow:
    number: str
    label: str
    kind: str
    size: str
    sha256: str
    added_at: str
    added_by: str


@dataclass(frozen=True)
class Entry:
    """One item of a draft section; `is_missing` marks a placeholder someone must fill in."""

    text: str
    label: str = ""
    is_missing: bool = False


@dataclass(frozen=True)
class DraftSection:
    title: str
    entries: tuple[Entry, ...]
    is_numbered: bool = False


@dataclass(frozen=True)
class Draft:
    marking: str
    title: str
    warnings: tuple[str, ...]
    reminders_title: str
    reminders: tuple[str, ...]
    sections: tuple[DraftSection, ...]


@dataclass(frozen=True)
class Sheet:
    """The dossier as translated, formatted text, ready for either renderer."""

    language: str
    title: str
    exported_at: datetime.datetime
    labels: Labels
    summary: tuple[Fact, ...]
    person: tuple[Fact, ...]
    timeline: tuple[TimelineRow, ...]
    evidence: tuple[ExhibitRow, ...]
    draft: Draft


ABSENT = "—"


def render_html(dossier: Dossier, language: str) -> str:
    """Return the dossier as one self-contained HTML document in the language."""
    with translation.override(_checked_language(language)):
        sheet = _build_sheet(dossier, language)
        return render_to_string("records/dossier.html", {"sheet": sheet})


def render_pdf(dossier: Dossier, language: str) -> bytes:
    """Return the dossier as a text PDF (A4) in the language.

    Raise FileNotFoundError, naming the file, if the DejaVu fonts are not installed.
    """
    # fpdf and fontTools take ~0.4 s to import: paid by the process that exports, not
    # by every web process at start-up.
    from safehold.records import dossier_pdf

    with translation.override(_checked_language(language)):
        return dossier_pdf.draw(_build_sheet(dossier, language))


def _build_sheet(dossier: Dossier, language: str) -> Sheet:
    """Return the dossier as text in the active language; call under `translation.override`."""
    labels = _labels()
    return Sheet(
        language=language,
        title=_("Dossier %(reference)s") % {"reference": dossier.incident_ref},
        exported_at=_aware(dossier.exported_at),
        labels=labels,
        summary=_summary(dossier, labels),
        person=dossier.person,
        timeline=tuple(_timeline_row(line) for line in _in_date_order(dossier.timeline)),
        evidence=tuple(_exhibit_row(exhibit) for exhibit in dossier.evidence),
        draft=_draft(dossier.request, dossier.exported_at, language),
    )


def _checked_language(language: str) -> str:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"no dossier language {language!r}")
    return language


def _labels() -> Labels:
    return Labels(
        reference=_("Reference"),
        kind=_("Kind"),
        status=_("Status"),
        opened=_("Opened"),
        closed=_("Closed at"),
        outcome=_("Outcome"),
        exported=_("Exported at"),
        exported_by=_("Exported by"),
        person=_("The person"),
        no_person=_("No details about the person were shared."),
        timeline=_("Timeline"),
        time_utc=_("Time (UTC)"),
        time_local=_("Local time"),
        who=_("Who"),
        what=_("What"),
        no_timeline=_("The timeline is empty."),
        evidence=_("Evidence"),
        number=_("No."),
        item=_("Item"),
        item_kind=_("Type"),
        size=_("Size, bytes"),
        added=_("Added (UTC)"),
        added_by=_("Added by"),
        no_evidence=_("No evidence was added."),
        page=_("Page %(number)s of %(total)s"),
    )


def _summary(dossier: Dossier, labels: Labels) -> tuple[Fact, ...]:
    closed = _utc_text(dossier.closed_at) if dossier.closed_at else ABSENT
    return (
        Fact(labels.reference, dossier.incident_ref),
        Fact(labels.kind, dossier.incident_kind),
        Fact(labels.status, dossier.state),
        Fact(labels.opened, _utc_text(dossier.opened_at)),
        Fact(labels.closed, closed),
        Fact(labels.outcome, dossier.outcome or ABSENT),
        Fact(labels.exported, _utc_text(dossier.exported_at)),
        Fact(labels.exported_by, dossier.exported_by or ABSENT),
    )


def _timeline_row(line: Line) -> TimelineRow:
    return TimelineRow(
        utc=_utc_text(line.at),
        local=_local_text(line.at, line.local_zone),
        actor=line.actor or _("System"),
        kind=line.kind,
        text=line.text,
    )


def _exhibit_row(exhibit: Exhibit) -> ExhibitRow:
    kinds = {"file": _("File"), "note": _("Note")}
    return ExhibitRow(
        number=str(exhibit.number),
        label=exhibit.label,
        kind=kinds.get(exhibit.kind, exhibit.kind),
        size=number_format(exhibit.size_bytes, force_grouping=True),
        sha256=exhibit.sha256.lower(),
        added_at=_utc_text(exhibit.added_at),
        added_by=exhibit.added_by or ABSENT,
    )


# --- Times ---------------------------------------------------------------------------


def _utc_text(moment: datetime.datetime) -> str:
    """Return "2024-03-05 14:30 UTC"; raise ValueError for a naive datetime."""
    return _aware(moment).astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _local_text(moment: datetime.datetime, zone_name: str) -> str:
    """Return "2024-03-05 17:30 Europe/Moscow (UTC+03:00)".

    An unknown or empty zone falls back to UTC and says so, rather than showing a zone
    name next to a time that was not computed in it.
    """
    zone = _zone(zone_name)
    if zone is None:
        return _utc_text(moment)
    local = _aware(moment).astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {zone_name} (UTC{offset[:3]}:{offset[3:]})"


def _zone(zone_name: str) -> ZoneInfo | None:
    if not zone_name or zone_name.upper() == "UTC":
        return None
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # A naive time would be read as the server's local time and shift every entry of a
    # legal document without anyone noticing.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("dossier times must be aware")
    return moment


def _in_date_order(lines: tuple[Line, ...]) -> list[Line]:
    # The Court reads the facts as a chronology; an out-of-order input must not make a
    # dossier say something happened before what caused it. Ties keep the given order.
    return sorted(lines, key=lambda line: _aware(line.at))


def _long_date(day: datetime.date) -> str:
    """Return "16 September 2022" / "16 сентября 2022" in the active language."""
    return date_format(day, "j E Y")


# --- The Rule 39 draft ---------------------------------------------------------------


def _draft(request: UrgentRequest, exported_at: datetime.datetime, language: str) -> Draft:
    marking = _("Rule 39 – Urgent")
    state = _state_text(request.respondent_state, language)
    sections = [
        DraftSection(_("Applicant"), (_filled(request.applicant),)),
        DraftSection(_("Respondent state"), (_filled(state),)),
        DraftSection(_("Facts in date order"), _fact_entries(request.facts), is_numbered=True),
        DraftSection(_("Imminent risk"), (_filled(request.imminent_risk),)),
    ]
    if request.is_removal:
        sections.append(_removal_section(request))
    sections += [
        DraftSection(_("Interim measures requested"), (_measures(request, state),)),
        DraftSection(_("Lawyer's contact details"), _lawyer_entries(request)),
    ]
    return Draft(
        marking=marking,
        title=_("Request for interim measures (draft)"),
        warnings=_party_warnings(request.respondent_state, exported_at, language),
        reminders_title=_("Before sending"),
        reminders=_reminders(marking),
        sections=tuple(sections),
    )


def _placeholder() -> str:
    return _("[to be completed]")


def _filled(text: str, label: str = "") -> Entry:
    """Return the text as an entry, or a visible placeholder if there is none."""
    if text.strip():
        return Entry(text=text, label=label)
    return Entry(text=_placeholder(), label=label, is_missing=True)


def _state_text(state_code: str, language: str) -> str:
    code = state_code.strip().upper()
    if not code:
        return ""
    name = country_name(code, language)
    return code if name == code else f"{name} ({code})"


def _fact_entries(facts: tuple[Line, ...]) -> tuple[Entry, ...]:
    if not facts:
        return (_filled(""),)
    return tuple(
        Entry(
            label=f"{_utc_text(line.at)} / {_local_text(line.at, line.local_zone)}",
            text=f"{line.kind}: {line.text}" if line.kind else line.text,
        )
        for line in _in_date_order(facts)
    )


def _removal_section(request: UrgentRequest) -> DraftSection:
    return DraftSection(
        _("Date, time and destination of the removal"),
        (
            _filled(request.removal_date, label=_("Date:")),
            _filled(request.removal_time, label=_("Time:")),
            _filled(request.removal_destination, label=_("Destination:")),
        ),
    )


def _measures(request: UrgentRequest, state: str) -> Entry:
    """Return the measures asked for, or the usual measure for this kind of case."""
    if request.measures_requested.strip():
        return Entry(text=request.measures_requested)
    values = {"state": state or _placeholder()}
    if request.is_removal:
        values["destination"] = request.removal_destination.strip() or _placeholder()
        text = _(
            "To indicate to the authorities of the respondent state (%(state)s) that the "
            "applicant should not be removed to %(destination)s while the proceedings "
            "before the Court are pending."
        )
    else:
        text = _(
            "To indicate to the authorities of the respondent state (%(state)s) that they "
            "should disclose where and in what condition the applicant is held, protect the "
            "applicant's life and physical integrity, and ensure immediate access to a "
            "lawyer of the applicant's choosing and to adequate medical care."
        )
    return Entry(text=text % values)


def _lawyer_entries(request: UrgentRequest) -> tuple[Entry, ...]:
    return (
        _filled(request.lawyer_name, label=_("Name:")),
        _filled(request.lawyer_contact, label=_("Contact:")),
    )


def _party_warnings(
    state_code: str, exported_at: datetime.datetime, language: str
) -> tuple[str, ...]:
    """Return why the Court cannot help against this state, or nothing if it can."""
    code = state_code.strip().upper()
    day = _aware(exported_at).astimezone(datetime.UTC).date()
    if not code or is_convention_party(code, day):
        return ()
    values = {"state": country_name(code, language), "date": _long_date(day)}
    warning = _(
        "%(state)s is not a party to the European Convention on Human Rights on %(date)s, "
        "so the Court cannot indicate interim measures to it."
    )
    sentences = [warning % values]
    if code in FORMER_PARTIES:
        ceased = {"state": values["state"], "date": _long_date(FORMER_PARTIES[code][1])}
        sentences.append(_("%(state)s ceased to be a party on %(date)s.") % ceased)
    sentences.append(
        _(
            "Address the request to a transit or host state that is a party to the "
            "Convention, or send it instead to a UN treaty body whose individual complaints "
            "procedure that state has accepted, such as the Human Rights Committee or the "
            "Committee against Torture."
        )
    )
    return (" ".join(sentences),)


def _reminders(marking: str) -> tuple[str, ...]:
    return (
        _(
            "The Court's registry takes Rule 39 requests on working days from 08:00 to "
            "16:00 Strasbourg time."
        ),
        _("Send the request through the Court's Rule 39 online form or by fax, not by e-mail."),
        _("Send text PDFs, not scans, and mark the request clearly “%(marking)s”.")
        % {"marking": marking},
    )
