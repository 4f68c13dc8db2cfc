"""A person's SMS and Telegram page (own words, link codes, linked accounts) and the
intake list of cries for help from unknown senders."""

from __future__ import annotations

import datetime
import logging
import re
import uuid

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from safehold.audit.models import AuditEntry
from safehold.crypto.envelope import blind_index
from safehold.front.tests.test_in_a_real_browser import _sign_in, page  # noqa: F401 (fixture)
from safehold.inbound.actions import LINK_CODE_PURPOSE, issue_link_code, set_own_words
from safehold.inbound.models import (
    AddressKind,
    Gateway,
    GatewayKind,
    Handling,
    InboundMessage,
    LinkCode,
    PersonWords,
    Sender,
)
from safehold.inbound.service import Delivery, add_sender, receive
from safehold.testing import login, make_member, make_person

pytestmark = pytest.mark.django_db

ACTIONS = ["words", "link_code", "unlink"]
# Chosen to appear nowhere else on the page.
CHECKIN_WORD, PANIC_WORD = "sunflower", "thunderstorm"
CHAT_ID = "731954862"
CRY = "SOS please help, they are looking for me in Grozny"
INTAKE_URL = reverse("intake_list")


def page_url(person):
    return reverse("person_inbound", kwargs={"person_id": person.pk})


def action(name, person):
    return reverse(f"person_inbound_{name}", kwargs={"person_id": person.pk})


def words_post(checkin="", panic=""):
    return {"words-checkin_words": checkin, "words-panic_words": panic}


def make_gateway(world, kind=GatewayKind.TWILIO, compartment=None):
    return Gateway.objects.create(
        organisation=world.organisation,
        kind=kind,
        label=f"{kind} gateway",
        secret="gateway-secret",
        intake_compartment=compartment or world.compartment,
    )


def deliver(gateway, text, *, sender, delivery_id="d-1", at=None):
    return receive(
        Delivery(
            gateway=gateway,
            delivery_id=delivery_id,
            sender=sender,
            text=text,
            received_at=at or timezone.now(),
        )
    )


def cry_for_help(world, text=CRY, *, sender="+79991112233", delivery_id="SM-1", **gateway):
    received = deliver(make_gateway(world, **gateway), text, sender=sender, delivery_id=delivery_id)
    assert received.handling == Handling.INTAKE
    return InboundMessage.objects.select_related("person", "alert").get(handling=Handling.INTAKE)


def link_telegram(person, chat_id=CHAT_ID):
    return add_sender(kind=AddressKind.TELEGRAM, address=chat_id, person=person)


# --- Who may do what ---------------------------------------------------------------------


def test_the_check_ins_page_links_to_sms_and_telegram(world):
    content = login(world.viewer).get(
        reverse("person_checkins", kwargs={"person_id": world.person.pk})
    )
    assert page_url(world.person).encode() in content.content


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_refuses_outsider(world, persona):
    set_own_words(world.person, actor=None, checkin_words=[CHECKIN_WORD], panic_words=[])
    sender = link_telegram(world.person)
    member = getattr(world, persona)
    client = login(member)
    assert client.get(page_url(world.person)).status_code == 404
    for name in ACTIONS:
        data = {**words_post(PANIC_WORD), "sender": str(sender.pk)}
        assert client.post(action(name, world.person), data).status_code == 404
    assert Sender.objects.filter(pk=sender.pk).exists()
    assert not LinkCode.objects.exists()
    assert PersonWords.objects.get(person=world.person).checkin_words == [CHECKIN_WORD]
    assert not AuditEntry.objects.filter(action__startswith="inbound.", actor_id=member.pk).exists()


def test_it_answers_404_alike_for_a_missing_person(world):
    missing_id = uuid.uuid4()
    missing = login(world.coordinator).get(
        reverse("person_inbound", kwargs={"person_id": missing_id})
    )
    forbidden = login(world.outsider).get(page_url(world.person))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_a_viewer_sees_how_many_words_are_set_but_not_the_words(world):
    set_own_words(
        world.person, actor=None, checkin_words=[CHECKIN_WORD], panic_words=[PANIC_WORD, "storm"]
    )
    link_telegram(world.person)
    response = login(world.viewer).get(page_url(world.person))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<dt>Own check-in words</dt><dd>1</dd>" in content
    assert "<dt>Own panic words</dt><dd>2</dd>" in content
    assert CHECKIN_WORD not in content and PANIC_WORD not in content
    assert "Telegram account linked on" not in content
    for name in ACTIONS:
        assert action(name, world.person) not in content
    # Not merely hidden by the template: the words never reach it.
    assert "words_form" not in response.context
    assert "linked" not in response.context


def test_a_viewer_cannot_change_anything(world):
    sender = link_telegram(world.person)
    client = login(world.viewer)
    for name in ACTIONS:
        data = {**words_post(CHECKIN_WORD), "sender": str(sender.pk)}
        assert client.post(action(name, world.person), data).status_code == 404
    assert not PersonWords.objects.filter(person=world.person).exists()
    assert not LinkCode.objects.exists()
    assert Sender.objects.filter(pk=sender.pk).exists()


@pytest.mark.parametrize("name", ACTIONS)
def test_changes_are_posts_only(world, name):
    assert login(world.coordinator).get(action(name, world.person)).status_code == 405


# --- Own words ------------------------------------------------------------------------------


def test_a_coordinator_sets_own_words_and_sees_them_again(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = login(world.coordinator)
    response = client.post(
        action("words", world.person), words_post(f"{CHECKIN_WORD}, fine", PANIC_WORD)
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(world.person)
    assert CHECKIN_WORD not in response["Location"]
    words = PersonWords.objects.get(person=world.person)
    assert words.checkin_words == [CHECKIN_WORD, "fine"]
    assert words.panic_words == [PANIC_WORD]
    entry = AuditEntry.objects.get(action="inbound.words_set")
    assert entry.actor_id == world.coordinator.pk
    assert CHECKIN_WORD not in str(entry.details) and PANIC_WORD not in str(entry.details)
    after = client.get(page_url(world.person)).content.decode()
    assert "The person&#x27;s own words were saved." in after
    assert f"{CHECKIN_WORD}\nfine</textarea>" in after
    assert f"{PANIC_WORD}</textarea>" in after
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert CHECKIN_WORD not in logged and PANIC_WORD not in logged


def test_a_word_may_hold_spaces(world):
    login(world.coordinator).post(action("words", world.person), words_post("all good, sunflower"))
    assert PersonWords.objects.get(person=world.person).checkin_words == ["all good", "sunflower"]


def test_words_may_be_one_per_line_and_emptied(world):
    client = login(world.coordinator)
    client.post(action("words", world.person), words_post("sunflower\r\n\r\nnarcissus"))
    assert PersonWords.objects.get(person=world.person).checkin_words == ["sunflower", "narcissus"]
    client.post(action("words", world.person), words_post())
    words = PersonWords.objects.get(person=world.person)
    assert words.checkin_words == [] and words.panic_words == []


@pytest.mark.parametrize(
    ("checkin", "panic", "field", "message"),
    [
        ("sos", "", "checkin_words", "A check-in word must not read like a call for help."),
        ("sunflower", "sunflower", "checkin_words", "must not read like a call for help."),
        ("", "ok", "panic_words", "A panic word must not read like a check-in or a command."),
        ("", "status", "panic_words", "must not read like a check-in or a command."),
        ("a, b, c, d", "", "checkin_words", "Choose at most three words."),
        ("", "r2d2", "panic_words", "A word is letters only, at most 40 of them."),
        ("x" * 301, "", "checkin_words", "at most 300 characters"),
    ],
)
def test_clashing_words_show_errors_next_to_the_field(world, checkin, panic, field, message):
    response = login(world.coordinator).post(
        action("words", world.person), words_post(checkin, panic)
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    error_list = content.index(f'id="id_words-{field}_error"')
    assert content.index(message) > error_list
    assert content.index(f'name="words-{field}"') > error_list
    assert not PersonWords.objects.filter(person=world.person).exists()
    assert not AuditEntry.objects.filter(action="inbound.words_set").exists()


# --- Telegram link codes ---------------------------------------------------------------------


def _code_in(content: str) -> str:
    match = re.search(r"/start ([0-9A-Z]{8})", content)
    assert match, "no code on the page"
    return match.group(1)


def test_a_link_code_is_shown_once_and_only_its_digest_is_kept(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = login(world.coordinator)
    response = client.post(action("link_code", world.person))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    code = _code_in(content)
    assert f"The person sends “/start {code}” to the organisation" in content
    assert "within 24 hours" in content
    stored = LinkCode.objects.get(person=world.person)
    assert stored.code_index != code
    assert stored.code_index == blind_index(LINK_CODE_PURPOSE, code)
    for entry in AuditEntry.objects.all():
        assert code not in str(entry.details)
    assert (
        AuditEntry.objects.get(action="inbound.link_code_issued").actor_id == world.coordinator.pk
    )
    assert code not in client.get(page_url(world.person)).content.decode()
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert code not in logged


def test_each_code_is_new(world):
    client = login(world.coordinator)
    first = _code_in(client.post(action("link_code", world.person)).content.decode())
    second = _code_in(client.post(action("link_code", world.person)).content.decode())
    assert first != second
    assert LinkCode.objects.filter(person=world.person).count() == 2


def test_the_shown_code_links_the_persons_telegram_account(world):
    bot = make_gateway(world, GatewayKind.TELEGRAM)
    client = login(world.coordinator)
    code = _code_in(client.post(action("link_code", world.person)).content.decode())
    received = deliver(bot, f"/start {code}", sender=CHAT_ID)
    assert received.handling == Handling.LINKED
    assert Sender.objects.get(kind=AddressKind.TELEGRAM).person == world.person
    content = client.get(page_url(world.person)).content.decode()
    assert content.count("Telegram account linked on") == 1
    assert CHAT_ID not in content
    assert "has no Telegram bot yet" not in content


def test_it_warns_when_the_organisation_has_no_telegram_bot(world):
    content = login(world.coordinator).get(page_url(world.person)).content.decode()
    assert "No Telegram account is linked." in content
    assert "has no Telegram bot yet" in content


# --- Unlinking -----------------------------------------------------------------------------------


def test_unlinking_deletes_the_account_and_audits_ids_only(world):
    sender = link_telegram(world.person)
    client = login(world.coordinator)
    assert "Telegram account linked on" in client.get(page_url(world.person)).content.decode()
    response = client.post(action("unlink", world.person), {"sender": str(sender.pk)})
    assert response.status_code == 302
    assert response["Location"] == page_url(world.person)
    assert not Sender.objects.filter(pk=sender.pk).exists()
    entry = AuditEntry.objects.get(action="inbound.telegram_unlinked")
    assert entry.actor_id == world.coordinator.pk
    assert entry.object_id == str(world.person.pk)
    assert entry.details == {"sender_id": str(sender.pk), "link_codes_revoked": 0}
    after = client.get(page_url(world.person)).content.decode()
    assert "The Telegram account was unlinked." in after
    assert "Telegram account linked on" not in after


def test_unlinking_stops_unused_link_codes(world):
    bot = make_gateway(world, GatewayKind.TELEGRAM)
    sender = link_telegram(world.person)
    code = issue_link_code(actor=None, person=world.person)
    response = login(world.coordinator).post(
        action("unlink", world.person), {"sender": str(sender.pk)}, follow=True
    )
    assert b"Link codes not yet used no longer work." in response.content
    assert deliver(bot, f"/start {code}", sender="555000111").handling == Handling.IGNORED
    assert not Sender.objects.filter(person=world.person).exists()


def test_unlinking_never_reaches_another_persons_account(world):
    other_person = make_person(world.compartment, codename="Heron")
    theirs = link_telegram(other_person)
    response = login(world.coordinator).post(
        action("unlink", world.person), {"sender": str(theirs.pk)}, follow=True
    )
    assert b"This Telegram account was already unlinked." in response.content
    assert Sender.objects.filter(pk=theirs.pk).exists()
    assert not AuditEntry.objects.filter(action="inbound.telegram_unlinked").exists()


def test_unlinking_a_member_address_or_nonsense_changes_nothing(world):
    members_phone = add_sender(kind=AddressKind.PHONE, address="+79037654321", member=world.viewer)
    client = login(world.coordinator)
    client.post(action("unlink", world.person), {"sender": str(members_phone.pk)})
    assert Sender.objects.filter(pk=members_phone.pk).exists()
    assert client.post(action("unlink", world.person), {"sender": "nonsense"}).status_code == 404


# --- Intake --------------------------------------------------------------------------------------


def test_the_intake_page_lists_a_cry_for_help(world):
    message = cry_for_help(world)
    person, alert = message.person, message.alert
    response = login(world.coordinator).get(INTAKE_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert CRY in content
    assert "Twilio SMS" in content
    assert reverse("person_detail", kwargs={"person_id": person.pk}) in content
    assert person.codename in content
    assert reverse("alert_detail", kwargs={"alert_id": alert.pk}) in content
    assert alert.code in content
    assert "<td>Intake</td>" in content
    assert "No cry for help" not in content


def test_the_newest_cry_comes_first(world):
    now = timezone.now()
    gateway = make_gateway(world)
    deliver(
        gateway,
        "SOS first",
        sender="+79991112233",
        delivery_id="a",
        at=now - datetime.timedelta(hours=1),
    )
    deliver(gateway, "SOS second", sender="+79991112244", delivery_id="b", at=now)
    content = login(world.admin).get(INTAKE_URL).content.decode()
    assert content.index("SOS second") < content.index("SOS first")


def test_the_intake_page_shows_the_current_stage(world):
    message = cry_for_help(world)
    type(message.person).objects.filter(pk=message.person.pk).update(stage="assessment")
    content = login(world.coordinator).get(INTAKE_URL).content.decode()
    assert "<td>Assessment</td>" in content


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_the_intake_page_hides_cries_from_others(world, persona):
    message = cry_for_help(world)
    response = login(getattr(world, persona)).get(INTAKE_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert CRY not in content
    assert message.person.codename not in content
    assert message.alert.code not in content
    assert "No cry for help from an unknown sender has come in." in content


def test_a_cry_into_another_compartment_is_hidden(world):
    cry_for_help(world, compartment=world.other_compartment)
    content = login(world.coordinator).get(INTAKE_URL).content.decode()
    assert CRY not in content
    assert CRY in login(world.stranger).get(INTAKE_URL).content.decode()


def test_the_text_is_masked_for_a_member_who_may_not_reveal(world):
    message = cry_for_help(world)
    content = login(world.viewer).get(INTAKE_URL).content.decode()
    assert message.person.codename in content
    assert CRY not in content
    assert "Grozny" not in content
    assert '<span class="masked">' in content


def test_other_inbound_messages_are_not_intake(world):
    gateway = make_gateway(world)
    deliver(gateway, "hello there", sender="+79991112233")
    deliver(gateway, "SOS from a known phone", sender="+79161234567", delivery_id="d-2")
    content = login(world.coordinator).get(INTAKE_URL).content.decode()
    assert "hello there" not in content and "SOS from a known phone" not in content
    assert "No cry for help from an unknown sender has come in." in content


def test_the_intake_page_works_with_nothing_to_show(world):
    member = make_member(None)
    for client in (login(world.coordinator), login(member)):
        response = client.get(INTAKE_URL)
        assert response.status_code == 200
        assert b"No cry for help from an unknown sender has come in." in response.content
    assert login(world.coordinator).post(INTAKE_URL).status_code == 405


def test_coordinators_and_admins_find_intake_in_the_navigation(world):
    link = f'href="{INTAKE_URL}"'
    for member in (world.coordinator, world.admin):
        assert link in login(member).get(reverse("home")).content.decode()
    for member in (world.viewer, world.responder):
        assert link not in login(member).get(reverse("home")).content.decode()
    current = login(world.coordinator).get(INTAKE_URL).content.decode()
    assert f'{link} aria-current="page"' in current


# --- In a real browser (CSRF, CSP) ----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_a_coordinator_sets_words_and_creates_a_code_in_a_real_browser(
    transactional_db,
    live_server,
    world,
    page,  # noqa: F811 - the browser fixture imported above
):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    _sign_in(page, live_server, world)
    page.goto(live_server.url + reverse("person_checkins", kwargs={"person_id": world.person.pk}))
    page.click(f"a[href='{page_url(world.person)}']")
    page.fill("textarea[name='words-checkin_words']", CHECKIN_WORD)
    page.click("form[action$='/sms-telegram/words/'] button[type=submit]")
    page.wait_for_selector("text=The person's own words were saved.")
    page.click("form[action$='/sms-telegram/link-code/'] button[type=submit]")
    page.wait_for_selector("text=It is shown only now.")
    assert _code_in(page.content())
    page.goto(live_server.url + INTAKE_URL)
    page.wait_for_selector("text=No cry for help from an unknown sender has come in.")
    try:
        assert PersonWords.objects.get(person=world.person).checkin_words == [CHECKIN_WORD]
    finally:
        # Beside Playwright's event loop the ORM opens a connection of its own; left
        # open, it would keep PostgreSQL from dropping the test database.
        connections.close_all()
    assert problems == []
