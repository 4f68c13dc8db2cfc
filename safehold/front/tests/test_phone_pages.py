"""The person's disguised page behind the secret link: small, self-contained, no
script, nothing in its words, headers, icon or addresses that tells what it is for."""

from __future__ import annotations

import base64
import re

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import translation

from safehold.alerts.models import Alert, AlertKind
from safehold.alerts.tests.helpers import DURESS_PIN, PIN, watch
from safehold.audit.models import AuditEntry
from safehold.checkins.actions import set_disguise
from safehold.checkins.disguises import DISGUISES, PageLanguage, disguise_for
from safehold.checkins.models import Checkin, CheckinSecret
from safehold.checkins.service import find_secret_by_link
from safehold.front.tests.test_in_a_real_browser import page  # noqa: F401 (fixture)
from safehold.front.views.public import SEND_BUTTON
from safehold.testing import World, login

pytestmark = pytest.mark.django_db

MAX_PAGE_BYTES = 20 * 1024
# Words that would tell an onlooker what the page is for, in both languages.
TELLING_WORDS = (
    "safehold", "check-in", "checkin", "check in", "sos", "alarm", "safe", "panic",
    "help", "danger", "emergency", "alert", "duress",
    "тревог", "паник", "помощ", "опасн", "безопас", "отметк", "сигнал", "экстрен",
)  # fmt: skip
LANGUAGES = (PageLanguage.ENGLISH, PageLanguage.RUSSIAN)
_REQUEST_ID = re.compile(r'name="request_id" value="[^"]*"')
_DATA_URI = re.compile(r'"data:[^"]*"')
_REFERENCE = re.compile(r'(?:href|src|action)="([^"]*)"')


@pytest.fixture
def link(world: World) -> str:
    return watch(world.person)


def _url(link: str) -> str:
    return f"/c/{link}/"


def _comparable(html: bytes) -> str:
    # Each page carries a fresh random request id for its next submission.
    return _REQUEST_ID.sub('name="request_id"', html.decode())


def _words_of(html: bytes) -> str:
    """The page without its random request id and icons (base64), lower-cased."""
    return _DATA_URI.sub('""', _comparable(html)).lower()


def _telling(text: str) -> list[str]:
    return [word for word in TELLING_WORDS if word in text.lower()]


def _use(world: World, disguise: str, language: str = PageLanguage.BROWSER) -> None:
    set_disguise(world.person, actor=None, disguise=disguise, page_language=language)


def _resources(client: Client, html: str) -> dict[str, bytes]:
    """Fetch every resource the page references that is not inside it already."""
    fetched = {}
    for reference in _REFERENCE.findall(html):
        if reference.startswith("data:") or reference == "":
            continue
        assert reference.startswith("/") and not reference.startswith("//"), reference
        response = client.get(reference)
        assert response.status_code == 200, reference
        fetched[reference] = (
            b"".join(response.streaming_content) if response.streaming else (response.content)
        )
    return fetched


# --- Weight, script, requests ------------------------------------------------------------


@pytest.mark.parametrize("disguise", list(DISGUISES))
def test_the_page_and_all_it_loads_weigh_under_20_kb(
    world: World, link: str, disguise: str, settings
) -> None:
    settings.WHITENOISE_USE_FINDERS = True
    _use(world, disguise, PageLanguage.RUSSIAN)  # Cyrillic takes two bytes a letter
    client = Client()
    response = client.get(_url(link))
    resources = _resources(client, response.content.decode())
    assert resources, "the stylesheet is fetched and counted"
    total = len(response.content) + sum(len(body) for body in resources.values())
    assert total < MAX_PAGE_BYTES


def test_the_page_loads_nothing_from_elsewhere_and_runs_no_script(
    world: World, link: str, settings
) -> None:
    settings.WHITENOISE_USE_FINDERS = True
    client = Client()
    html = client.get(_url(link)).content.decode()
    assert "<script" not in html.lower()
    assert not re.search(r"https?://", html)
    assert not re.search(r"\son[a-z]+=", html)  # no event handlers either
    for body in _resources(client, html).values():
        text = body.decode().lower()
        assert "url(" not in text and "@import" not in text and "http" not in text


def test_the_icons_are_inline_and_reference_nothing(world: World) -> None:
    for disguise in DISGUISES.values():
        assert disguise.icon_uri.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(disguise.icon_uri.split(",", 1)[1]).decode()
        assert svg == disguise.icon_svg
        # The namespace is an identifier, never fetched; nothing else points anywhere.
        without_namespace = svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http" not in without_namespace and "href" not in svg and "url(" not in svg
        assert not _telling(svg)


# --- The disguises ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_disguise_says_what_it_is_for_in_either_language(language: str) -> None:
    for disguise in DISGUISES.values():
        with translation.override(language):
            words = [
                str(disguise.title), str(disguise.code_label), str(disguise.save_label),
                str(disguise.send_label), str(disguise.done_message),
                str(disguise.retry_message),
            ]  # fmt: skip
        assert all(words)
        assert not _telling(" ".join(words)), (disguise.kind, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("disguise", list(DISGUISES))
def test_each_disguise_shows_its_title_and_icon_in_each_language(
    world: World, link: str, disguise: str, language: str
) -> None:
    _use(world, disguise, language)
    response = Client().get(_url(link))
    html = response.content.decode()
    chosen = DISGUISES[disguise]
    with translation.override(language):
        title, button = str(chosen.title), str(chosen.send_label)
    assert f'<html lang="{language}">' in html
    assert response["Content-Language"] == language
    assert f"<title>{title}</title>" in html
    assert f'<link rel="icon" href="{chosen.icon_uri}">' in html
    assert f'<img src="{chosen.icon_uri}"' in html
    assert f">{button}</button>" in html
    assert not _telling(_words_of(response.content))


def test_the_default_page_is_notes_and_speaks_russian_when_asked(world: World, link: str) -> None:
    _use(world, "notes", PageLanguage.RUSSIAN)
    html = Client().get(_url(link), headers={"accept-language": "en"}).content.decode()
    assert "<title>Заметки</title>" in html


def test_following_the_browser_uses_the_phones_language(world: World, link: str) -> None:
    response = Client().get(_url(link), headers={"accept-language": "ru"})
    assert response["Content-Language"] == "ru"
    assert "<title>Заметки</title>" in response.content.decode()
    assert Client().get(_url(link), headers={"accept-language": "en"})["Content-Language"] == "en"


def test_an_unknown_stored_disguise_falls_back_to_notes() -> None:
    assert disguise_for("gone") is DISGUISES["notes"]


# --- Headers, cookies, history ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [None, {"pin": PIN, "request_id": "h1"}, {SEND_BUTTON: "1"}], ids=["get", "pin", "send"]
)
def test_the_page_is_never_stored_and_sets_no_cookie(
    world: World, link: str, data: dict[str, str] | None
) -> None:
    client = Client()
    response = client.get(_url(link)) if data is None else client.post(_url(link), data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert not _telling(" ".join(f"{name} {value}" for name, value in response.headers.items()))


def test_both_forms_post_to_the_page_itself(world: World, link: str) -> None:
    html = Client().get(_url(link)).content.decode()
    assert html.count('<form method="post"') == 2
    assert "action=" not in html  # no other address, so history holds only this one
    assert f'name="{SEND_BUTTON}"' in html
    assert not _telling(_url(link).replace(link, ""))


def test_the_red_button_calls_for_help_and_says_only_what_a_save_says(
    world: World, link: str
) -> None:
    _use(world, "shopping", PageLanguage.ENGLISH)
    sent = Client().post(_url(link), {SEND_BUTTON: "1"})
    checked_in = Client().post(_url(link), {"pin": PIN, "request_id": "x1"})
    assert Alert.objects.get(kind=AlertKind.PANIC).person == world.person
    assert b"Added." in sent.content
    assert _comparable(sent.content) == _comparable(checked_in.content)


# --- Answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("disguise", list(DISGUISES))
def test_the_duress_pin_gets_the_same_page_byte_for_byte(
    world: World, link: str, disguise: str
) -> None:
    _use(world, disguise, PageLanguage.RUSSIAN)
    normal = Client().post(_url(link), {"pin": PIN, "request_id": "n1"})
    duress = Client().post(_url(link), {"pin": DURESS_PIN, "request_id": "d1"})
    assert normal.status_code == duress.status_code == 200
    assert _comparable(normal.content) == _comparable(duress.content)
    assert sorted(normal.headers.items()) == sorted(duress.headers.items())
    assert list(Checkin.objects.order_by("at").values_list("outcome", flat=True)) == [
        "ok",
        "duress",
    ]


def test_a_wrong_code_gets_the_disguises_neutral_retry(world: World, link: str) -> None:
    _use(world, "weather", PageLanguage.ENGLISH)
    response = Client().post(_url(link), {"pin": "99990000", "request_id": "w1"})
    html = response.content.decode()
    assert "Nothing found. Check the postcode and try again." in html
    assert "99990000" not in html
    assert not _telling(_words_of(response.content))


# --- The coordinator's choice --------------------------------------------------------------


def _disguise_url(world: World) -> str:
    return reverse("person_checkins_disguise", kwargs={"person_id": world.person.pk})


def _choose(disguise: str = "recipes", language: str = "ru") -> dict[str, str]:
    return {"disguise-disguise": disguise, "disguise-page_language": language}


def test_a_coordinator_chooses_the_disguise_and_returns_to_the_page(
    world: World, link: str
) -> None:
    client = login(world.coordinator)
    response = client.get(reverse("person_checkins", kwargs={"person_id": world.person.pk}))
    assert _disguise_url(world).encode() in response.content
    assert "Send to family" in response.content.decode()  # what to teach the person

    response = client.post(_disguise_url(world), _choose())
    assert response.status_code == 302
    assert response["Location"] == reverse("person_checkins", kwargs={"person_id": world.person.pk})
    secret = CheckinSecret.objects.get(person=world.person)
    assert (secret.disguise, secret.page_language) == ("recipes", "ru")
    entry = AuditEntry.objects.get(action="checkin.disguise_set")
    assert entry.actor_id == world.coordinator.pk
    assert entry.object_id == str(world.person.pk)
    assert entry.details["disguise"] == "recipes"
    assert find_secret_by_link(link) is not None  # the same link keeps working
    with translation.override("ru"):
        title = str(DISGUISES["recipes"].title)
    assert f"<title>{title}</title>" in Client().get(_url(link)).content.decode()


@pytest.mark.parametrize("who", ["stranger", "outsider", "viewer", "responder"])
def test_it_refuses_anyone_who_may_not_edit_the_person(world: World, link: str, who: str) -> None:
    response = login(getattr(world, who)).post(_disguise_url(world), _choose())
    assert response.status_code == 404
    secret = CheckinSecret.objects.get(person=world.person)
    assert (secret.disguise, secret.page_language) == ("notes", "browser")
    assert not AuditEntry.objects.filter(action="checkin.disguise_set").exists()


def test_a_viewer_sees_no_disguise_form(world: World, link: str) -> None:
    response = login(world.viewer).get(
        reverse("person_checkins", kwargs={"person_id": world.person.pk})
    )
    assert response.status_code == 200
    assert _disguise_url(world).encode() not in response.content


@pytest.mark.parametrize(
    "data",
    [_choose(disguise="casino"), _choose(language="de"), {}],
    ids=["disguise", "lang", "none"],
)
def test_it_refuses_a_choice_not_in_the_list_with_a_clear_error(
    world: World, link: str, data: dict[str, str]
) -> None:
    response = login(world.coordinator).post(_disguise_url(world), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Select a valid choice" in content or "This field is required" in content
    assert 'id="disguise-heading"' in content
    secret = CheckinSecret.objects.get(person=world.person)
    assert (secret.disguise, secret.page_language) == ("notes", "browser")
    assert not AuditEntry.objects.filter(action="checkin.disguise_set").exists()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("disguise", list(DISGUISES))
def test_the_page_fits_a_360_px_phone_and_the_red_button_is_large(
    transactional_db: None,
    live_server,  # type: ignore[no-untyped-def]
    world: World,
    page,  # type: ignore[no-untyped-def]  # noqa: F811 - the browser fixture imported above
    disguise: str,
) -> None:
    link = watch(world.person)
    _use(world, disguise, PageLanguage.RUSSIAN)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    try:
        page.set_viewport_size({"width": 360, "height": 640})
        page.goto(live_server.url + _url(link))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = page.locator(f"button[name={SEND_BUTTON}]").bounding_box()
        assert box["width"] > 300 and box["height"] >= 64
        page.click(f"button[name={SEND_BUTTON}]")
        page.wait_for_selector("p.done")
        assert page.url == live_server.url + _url(link)  # history holds this address only
    finally:
        connections.close_all()
    assert problems == []  # the CSP let everything through: style sheet and icons
