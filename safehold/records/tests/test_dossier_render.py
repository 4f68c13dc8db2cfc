# ruff: noqa: RUF001
"""Rendering a gathered dossier as HTML and as a text PDF, with its Rule 39 draft."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from safehold.records import fonts
from safehold.records.dossier import (
    CONVENTION_PARTIES,
    Dossier,
    Exhibit,
    Fact,
    Line,
    UrgentRequest,
    is_convention_party,
    render_html,
    render_pdf,
)

UTC = datetime.UTC
DIGEST_PHOTO = "9f2c4e81b7a05d3366e1f0c2a4b8d9e7f1035c6a2b4d8e0f9a1c3e5b7d9f0a2c"
DIGEST_NOTE = "04b1d3f5a7c9e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0"

TAKEN = Line(
    at=datetime.datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
    local_zone="Europe/Moscow",
    actor="Coordinator Orlova",
    kind="Alert",
    text="Missed check-in MARKER-EARLY near the bus station",
)
COURT = Line(
    at=datetime.datetime(2024, 3, 6, 9, 15, tzinfo=UTC),
    local_zone="Asia/Tbilisi",
    actor="",
    kind="Note",
    text="Extradition order MARKER-LATE served at the detention centre",
)


def make_request(**changes: Any) -> UrgentRequest:
    request = UrgentRequest(
        applicant="Ivan APPLICANT-7731",
        respondent_state="RU",
        # Deliberately out of order: the draft must still read as a chronology.
        facts=(COURT, TAKEN),
        imminent_risk="Torture on return, as in two earlier cases RISK-5120",
        is_removal=True,
        removal_date="2024-03-09",
        removal_time="06:40",
        removal_destination="Tashkent DEST-4410",
        measures_requested="",
        lawyer_name="Maria LAWYER-2290",
        lawyer_contact="+995 555 010 203, counsel-3381@example.org",
    )
    return dataclasses.replace(request, **changes)


def make_dossier(**changes: Any) -> Dossier:
    dossier = Dossier(
        incident_ref="ab12cd34",
        incident_kind="Detained",
        state="Responding",
        opened_at=datetime.datetime(2024, 3, 5, 14, 0, tzinfo=UTC),
        closed_at=None,
        outcome="",
        exported_at=datetime.datetime(2024, 3, 7, 10, 0, tzinfo=UTC),
        exported_by="Coordinator Orlova",
        person=(
            Fact("Имя", "Иван Петрович Сидоров"),
            Fact("Город", "Тбилиси, улица Руставели"),
        ),
        timeline=(TAKEN, COURT),
        evidence=(
            Exhibit(
                number=1,
                label="door-photo.jpg",
                kind="file",
                size_bytes=1234567,
                sha256=DIGEST_PHOTO,
                added_at=datetime.datetime(2024, 3, 5, 15, 0, tzinfo=UTC),
                added_by="Coordinator Orlova",
            ),
            Exhibit(
                number=2,
                label="Note",
                kind="note",
                size_bytes=212,
                sha256=DIGEST_NOTE,
                added_at=datetime.datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
                added_by="Responder Beka",
            ),
        ),
        request=make_request(),
    )
    return dataclasses.replace(dossier, **changes)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def squeezed(text: str) -> str:
    # The extractor may break a long digest across lines.
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def english_pdf() -> bytes:
    return render_pdf(make_dossier(), "en")


@pytest.fixture(scope="module")
def english_text(english_pdf: bytes) -> str:
    return pdf_text(english_pdf)


# --- The Convention ----------------------------------------------------------------


def test_russia_is_a_party_until_15_september_2022_and_not_from_16() -> None:
    assert is_convention_party("RU", datetime.date(2022, 9, 15)) is True
    assert is_convention_party("RU", datetime.date(2022, 9, 16)) is False
    assert is_convention_party("RU", datetime.date(2025, 1, 1)) is False


def test_member_states_are_parties_and_others_are_not() -> None:
    assert len(CONVENTION_PARTIES) == 46
    assert is_convention_party("de", datetime.date(2025, 1, 1)) is True
    assert is_convention_party("TR", datetime.date(2025, 1, 1)) is True
    assert is_convention_party("BY", datetime.date(2025, 1, 1)) is False
    assert is_convention_party("KZ", datetime.date(2025, 1, 1)) is False


# --- The PDF in English ------------------------------------------------------------


def test_the_draft_opens_its_own_page_with_the_rule_39_marking(english_pdf: bytes) -> None:
    draft_pages = [page for page in pdf_pages(english_pdf) if "Rule 39 – Urgent" in page]

    assert draft_pages, "the marking is missing"
    assert draft_pages[0].splitlines()[0] == "Rule 39 – Urgent"


def test_the_draft_names_the_applicant_and_the_respondent_state(english_text: str) -> None:
    assert "Ivan APPLICANT-7731" in english_text
    assert "Russia (RU)" in english_text


def test_the_facts_are_numbered_in_date_order(english_text: str) -> None:
    draft = english_text[english_text.index("Facts in date order") :]

    early = draft.index("MARKER-EARLY")
    late = draft.index("MARKER-LATE")

    assert early < late
    assert draft.index("1. 2024-03-05 14:30 UTC") < early < draft.index("2. 2024-03-06 09:15 UTC")


def test_a_removal_case_gives_the_date_time_and_destination(english_text: str) -> None:
    assert "Date, time and destination of the removal" in english_text
    assert "2024-03-09" in english_text
    assert "06:40" in english_text
    assert "Tashkent DEST-4410" in english_text


def test_a_case_without_removal_has_no_removal_section() -> None:
    request = make_request(is_removal=False)

    text = pdf_text(render_pdf(make_dossier(request=request), "en"))

    assert "Date, time and destination of the removal" not in text
    assert "Tashkent DEST-4410" not in text


def test_the_draft_gives_the_risk_and_the_lawyer_contact(english_text: str) -> None:
    assert "RISK-5120" in english_text
    assert "Maria LAWYER-2290" in english_text
    assert "counsel-3381@example.org" in english_text


def test_every_evidence_digest_is_printed_in_full(english_text: str) -> None:
    assert DIGEST_PHOTO in squeezed(english_text)
    assert DIGEST_NOTE in squeezed(english_text)
    assert "1,234,567" in english_text


def test_the_timeline_shows_utc_and_local_time(english_text: str) -> None:
    assert "2024-03-05 14:30 UTC" in english_text
    assert "2024-03-05 17:30" in english_text
    assert "Europe/Moscow" in english_text
    assert "2024-03-06 13:15" in english_text  # 09:15 UTC in Tbilisi
    assert "(UTC+04:00)" in english_text


def test_a_state_that_left_the_convention_gets_the_warning(english_text: str) -> None:
    text = " ".join(english_text.split())

    assert "Court cannot indicate interim measures" in text
    assert "Russia ceased to be a party on 16 September 2022" in text
    assert "transit or host state" in text
    assert "Human Rights Committee" in text
    assert "Committee against Torture" in text


def test_russia_before_16_september_2022_gets_no_warning() -> None:
    exported = datetime.datetime(2022, 9, 15, 12, 0, tzinfo=UTC)

    text = pdf_text(render_pdf(make_dossier(exported_at=exported), "en"))

    assert "cannot indicate interim measures" not in " ".join(text.split())


def test_a_party_state_gets_no_warning() -> None:
    request = make_request(respondent_state="DE")

    text = " ".join(pdf_text(render_pdf(make_dossier(request=request), "en")).split())

    assert "Germany (DE)" in text
    assert "cannot indicate interim measures" not in text
    assert "ceased to be a party" not in text


def test_the_draft_reminds_of_registry_hours_and_channels(english_text: str) -> None:
    text = " ".join(english_text.split())

    assert "08:00 to 16:00 Strasbourg time" in text
    assert "working days" in text
    assert "by fax, not by e-mail" in text
    assert "text PDFs, not scans" in text
    assert "mark the request clearly “Rule 39 – Urgent”" in text


def test_empty_inputs_become_visible_placeholders() -> None:
    request = make_request(
        applicant="",
        imminent_risk=" ",
        removal_time="",
        removal_destination="",
        lawyer_name="",
        lawyer_contact="",
        facts=(),
    )

    text = pdf_text(render_pdf(make_dossier(request=request), "en"))

    # applicant, facts, risk, time, destination (twice: section and default measure),
    # lawyer name and contact
    assert text.count("[to be completed]") == 8


def test_a_removal_without_measures_asks_not_to_remove(english_text: str) -> None:
    text = " ".join(english_text.split())

    assert "should not be removed to Tashkent DEST-4410" in text


def test_a_detention_without_measures_asks_for_whereabouts_and_a_lawyer() -> None:
    request = make_request(is_removal=False)

    text = " ".join(pdf_text(render_pdf(make_dossier(request=request), "en")).split())

    assert "disclose where and in what condition the applicant is held" in text


def test_measures_given_by_the_lawyer_replace_the_default() -> None:
    request = make_request(measures_requested="Stop the flight MEASURE-8812")

    text = " ".join(pdf_text(render_pdf(make_dossier(request=request), "en")).split())

    assert "MEASURE-8812" in text
    assert "should not be removed" not in text


def test_every_page_is_numbered(english_pdf: bytes) -> None:
    pages = pdf_pages(english_pdf)

    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_the_metadata_is_neutral_and_the_output_repeatable(english_pdf: bytes) -> None:
    metadata = PdfReader(io.BytesIO(english_pdf)).metadata

    assert metadata is not None
    assert metadata.title == "Dossier ab12cd34"
    assert metadata.creator == "Safehold"
    assert metadata.creation_date == datetime.datetime(2024, 3, 7, 10, 0, tzinfo=UTC)
    assert render_pdf(make_dossier(), "en") == english_pdf


def test_a_note_longer_than_a_page_continues_on_the_next() -> None:
    long_note = dataclasses.replace(COURT, text="word " * 4000 + "END-OF-NOTE-6604")

    text = pdf_text(render_pdf(make_dossier(timeline=(TAKEN, long_note)), "en"))

    assert "END-OF-NOTE-6604" in text


def test_a_missing_font_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "DejaVuSans.ttf"
    monkeypatch.setattr(fonts, "REGULAR_FONT", missing)

    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        render_pdf(make_dossier(), "en")


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        render_pdf(make_dossier(opened_at=datetime.datetime(2024, 3, 5, 14, 0)), "en")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        render_html(make_dossier(), "de")


# --- Russian -----------------------------------------------------------------------


def test_russian_text_survives_the_pdf() -> None:
    text = " ".join(pdf_text(render_pdf(make_dossier(), "ru")).split())

    assert "Иван Петрович Сидоров" in text
    assert "Тбилиси, улица Руставели" in text
    assert "Россия (RU)" in text
    # Month names come from Django's own Russian formats, in the genitive.
    assert "16 сентября 2022" in text
    assert DIGEST_PHOTO in squeezed(text)


def test_the_russian_html_is_marked_russian() -> None:
    html = render_html(make_dossier(), "ru")

    assert '<html lang="ru">' in html
    assert "Иван Петрович Сидоров" in html
    assert "Россия (RU)" in html
    assert "16 сентября 2022" in html


# --- HTML --------------------------------------------------------------------------


def test_the_html_carries_the_whole_dossier() -> None:
    html = render_html(make_dossier(), "en")

    assert '<html lang="en">' in html
    assert "<title>Dossier ab12cd34</title>" in html
    assert "Rule 39 – Urgent" in html
    assert "Ivan APPLICANT-7731" in html
    assert DIGEST_PHOTO in html and DIGEST_NOTE in html
    assert html.index("MARKER-EARLY", html.index('class="draft"')) < html.index(
        "MARKER-LATE", html.index('class="draft"')
    )
    assert "Russia ceased to be a party on 16 September 2022" in html
    assert "08:00 to 16:00 Strasbourg time" in html


def test_the_html_escapes_markup_from_the_data() -> None:
    person = (Fact("Note", '<script>alert("x")</script>'),)
    request = make_request(applicant="<b>Ivan</b>")

    html = render_html(make_dossier(person=person, request=request), "en")

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<b>Ivan</b>" not in html
    assert "&lt;b&gt;Ivan&lt;/b&gt;" in html


def test_the_html_loads_nothing_from_elsewhere() -> None:
    html = render_html(make_dossier(), "en")

    assert re.search(r"\b(src|href)\s*=", html) is None
    assert "@import" not in html
    assert "url(" not in html
    assert "default-src 'none'" in html
