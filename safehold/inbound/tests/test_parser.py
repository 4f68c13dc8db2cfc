# Look-alike letters are what these tests are about:
# ruff: noqa: RUF001, RUF003
"""How one inbound message is read: check-in, panic, acknowledgement, status or nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safehold.inbound.parser import (
    ALERT_CODE_ALPHABET,
    ALERT_CODE_LENGTHS,
    MAX_CHARS,
    Intent,
    Parsed,
    looks_like_cry_for_help,
    normalise_word,
    parse,
)

# The conftest's autouse key-file fixture is function-scoped; these tests never touch it.
quick = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

OWN_CHECKIN = ("Горошек",)
OWN_PANIC = ("Ромашка",)

# (text, the digits it checks in with)
CHECKINS = [
    ("OK 1234", "1234"),
    ("ок 1234", "1234"),  # Cyrillic
    ("ОК 1234", "1234"),
    ("oк 1234", "1234"),  # Latin o, Cyrillic к
    ("Ok, 1234.", "1234"),
    ("ok1234", "1234"),
    ("1234 ok", "1234"),
    ("okay 98765", "98765"),
    ("окей 4321", "4321"),
    ("okkk 1234", "1234"),
    ("ок 1 2 3 4", "1234"),
    ("ok 12-34", "1234"),
    ("ok 12 – 34", "1234"),
    ("ок 1234 всё хорошо", "1234"),
    ("ок 1234, спасибо за помощь", "1234"),  # "помощь" is thanks here, not a panic
    ("ＯＫ １２３４", "1234"),  # fullwidth
    ("ok ١٢٣٤", "1234"),  # Arabic-Indic digits
    ("ok 𝟙𝟚𝟛𝟜", "1234"),  # mathematical digits
    ("ok 1️⃣2️⃣3️⃣4️⃣", "1234"),  # keycap emoji
    ("ok\u200f 1234", "1234"),  # right-to-left mark
    ("ok 37", "37"),  # the two digits a challenge asked for
    ("ok 123456789012", "123456789012"),
    ("горошек 4821", "4821"),  # the person's own word
    ("ГОРОШЕК!!! 4821", "4821"),
    ("goroshek 4821", "4821"),
]

NOTHINGS = [
    "",
    "   ",
    "1234",  # a bare number may be anyone's
    "PIN 1234",
    "ok",
    "ок, всё хорошо",  # no digits, never a check-in
    "ok 1234 5678",  # two groups: we do not guess
    "ok 12 34",
    "ok 1 234",
    "ok 12.34",
    "ok 1234 ул. Ленина 5",
    "+7 999 123-45-67 ok",
    "ok 1",
    "ok 1234567890123",  # 13 digits
    "ok ²³⁴⁵",  # superscripts are not digits
    "ok ①②③④",
    "привет",
    "ваш код 1234",
    "ACK",
    "ACK K7QX",
    "ACK K7QX2M99Z",
    "ACK K7QO2M",  # O is not in the alert alphabet
    "ACK K7QX2M thanks",
    "ask K7QX2M",
    "status 1234",
    "what status",
    "спасибо за помощь",
    "🙂",
]

PANICS = [
    "HELP",
    "help",
    "Help me",
    "SOS",
    "sos",
    "СОС",  # the Russian spelling, visually C-O-C
    "ЅОЅ",  # Cyrillic dze, looks like S
    "sоs",  # Cyrillic о
    "ＳＯＳ",
    "s o s",
    "S.O.S.",
    "С.О.С",
    "ПОМОГИТЕ",
    "помогите",
    "помогите!",
    "Помогите!!!",
    "помогииите",
    "по-мо-ги-те",
    "по\u200bмогите",  # zero-width space
    "\u202eпомогите",  # right-to-left override
    "пoмoгитe",  # Latin o and e
    "pomogite",
    "POMOGITE",
    "pomogitye",
    "pomogi",
    "помоги",
    "спасите",
    "хелп",
    "ыщы",  # SOS typed on the Russian layout
    "ok 1234 help",  # panic wins over a check-in
    "ок 1234 помогите",
    "1234 SOS",
    "ACK K7QX2M sos",
    "ромашка",  # the person's own panic word
    "РОМАШКА!",
    "romashka",
    "ok 1234 ромашка",
]

# (text, code)
ACKS = [
    ("ACK K7QX2M", "K7QX2M"),
    ("ack k7qx2m", "K7QX2M"),
    ("АСК К7QХ2М", "K7QX2M"),  # Cyrillic look-alikes
    ("ACK: K7QX2M.", "K7QX2M"),
    ("ack K7Q-X2M", "K7QX2M"),
    ("ПРИНЯЛ K7QX2M", "K7QX2M"),
    ("принято k7qx2m23", "K7QX2M23"),
]

STATUSES = ["STATUS", "status", "Status?", "статус", "СТАТУС.", " status! "]


def read(text: str) -> Parsed:
    return parse(text, checkin_words=OWN_CHECKIN, panic_words=OWN_PANIC)


@pytest.mark.parametrize(("text", "digits"), CHECKINS)
def test_a_checkin_word_with_one_group_of_digits_checks_in(text: str, digits: str) -> None:
    assert read(text) == Parsed(Intent.CHECKIN, digits=digits)


@pytest.mark.parametrize("text", NOTHINGS)
def test_anything_else_is_nothing(text: str) -> None:
    assert read(text) == Parsed(Intent.NONE)


@pytest.mark.parametrize("text", PANICS)
def test_a_panic_word_wins_over_everything(text: str) -> None:
    assert read(text) == Parsed(Intent.PANIC)


def test_the_persons_own_words_count_only_for_that_person() -> None:
    assert parse("горошек 4821").intent == Intent.NONE
    assert parse("ромашка").intent == Intent.NONE
    assert parse("ромашка", panic_words=["romashka"]).intent == Intent.PANIC


@pytest.mark.parametrize(("text", "code"), ACKS)
def test_an_acknowledgement_carries_the_code_in_latin_capitals(text: str, code: str) -> None:
    assert read(text) == Parsed(Intent.ACK, code=code)


@pytest.mark.parametrize("text", STATUSES)
def test_status_is_the_word_alone(text: str) -> None:
    assert read(text) == Parsed(Intent.STATUS)


@pytest.mark.parametrize("pin", ["1234", "0000", "2580", "87654321", "234567"])
def test_a_pin_is_never_taken_for_anything_but_a_checkin(pin: str) -> None:
    for text in (pin, f"status {pin}", f"ack {pin[:4]}", f"{pin} {pin}", f"ok {pin} {pin}"):
        assert read(text).intent == Intent.NONE, text
    assert not looks_like_cry_for_help(pin)
    assert read(f"ok {pin}") == Parsed(Intent.CHECKIN, digits=pin)


@quick
@given(pin=st.text(alphabet="0123456789", min_size=2, max_size=12))
def test_the_digits_never_show_in_repr_or_str(pin: str) -> None:
    parsed = parse(f"ok {pin}")
    assert parsed.digits == pin
    for shown in (repr(parsed), str(parsed), f"{parsed}", repr([parsed])):
        assert pin not in shown
        assert f"<{len(pin)} digits>" in shown


def test_repr_names_the_intent_and_the_code() -> None:
    assert (
        repr(Parsed(Intent.CHECKIN, digits="1234")) == "Parsed(intent=checkin, digits=<4 digits>)"
    )
    assert str(Parsed(Intent.ACK, code="K7QX2M")) == "Parsed(intent=ack, code=K7QX2M)"
    assert str(Parsed(Intent.NONE)) == "Parsed(intent=none)"


@pytest.mark.parametrize(
    ("text", "is_cry"),
    [
        ("помогите", True),
        ("SOS", True),
        ("Help!", True),
        ("меня задержали", True),
        ("брата арестовали", True),
        ("Zaderzhali", True),
        ("нужна помощь", True),
        ("police are here", True),
        ("Полиция у двери", True),
        ("привет", False),
        ("ваш код 1234", False),
        ("OK 1234", False),
        ("Помощь в получении кредита", False),
        ("", False),
    ],
)
def test_a_cry_for_help_from_an_unknown_number_is_noticed(text: str, is_cry: bool) -> None:
    assert looks_like_cry_for_help(text) is is_cry


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("ПОМОГИТЕ", "pomogite"),
        ("pomogite", "pomogite"),
        ("СОС", "sos"),
        ("ЅОЅ", "sos"),
        ("sоs", "sos"),
        ("CОC", "sos"),  # Latin C, Cyrillic О: read as Russian
        ("ＳＯＳ", "sos"),
        ("НЕLР", "help"),  # Cyrillic Н, Е, Р around a Latin L: read as Latin
        ("пoмoгитe", "pomogite"),
        ("OK", "ok"),
        ("ок", "ok"),
        ("окей", "okei"),
        ("Ёжик", "ezhik"),
        ("помогииите", "pomogite"),
        ("нужна помощь", "nuzhnapomosch"),
        ("Горошек!", "goroshek"),
        ("911", ""),  # no number is ever a keyword
        ("ромашка1", ""),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_normalise_word_folds_a_keyword_to_one_spelling(word: str, folded: str) -> None:
    assert normalise_word(word) == folded


def test_a_keyword_is_found_however_either_side_was_typed() -> None:
    for keyword in ("Ромашка", "romashka", "РОМАШКА"):
        for text in ("ромашка", "Romashka", "ромаааашка", "рoмaшкa", "ро-маш-ка"):
            assert parse(text, panic_words=[keyword]).intent == Intent.PANIC, (keyword, text)


def test_a_keyword_with_digits_or_without_letters_matches_nothing() -> None:
    assert parse("911", panic_words=["911"]).intent == Intent.NONE
    assert parse("ok 1234", panic_words=["", "!!!", "ok 1"]).intent == Intent.CHECKIN
    assert parse("!!! 1234", checkin_words=["", "!!!"]).intent == Intent.NONE


def test_a_lone_string_is_one_keyword_not_its_letters() -> None:
    assert parse("ok 1234 a", panic_words="abc").intent == Intent.CHECKIN
    assert parse("abc", panic_words="abc").intent == Intent.PANIC


def test_the_alert_alphabet_is_the_alerts_apps() -> None:
    from safehold.alerts.actions import CODE_ALPHABET, CODE_LENGTH

    assert ALERT_CODE_ALPHABET == CODE_ALPHABET
    assert CODE_LENGTH in ALERT_CODE_LENGTHS


def test_text_beyond_the_cap_is_not_read() -> None:
    assert parse("x " * (MAX_CHARS // 2) + "sos").intent == Intent.NONE
    assert parse("x " * (MAX_CHARS // 2 - 3) + "sos").intent == Intent.PANIC
    assert parse("sos " + "\U0001f642" * 1_000_000).intent == Intent.PANIC


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "\ud800",  # a lone surrogate
        "\udfff sos",
        "\u0301",  # a combining accent with nothing to sit on
        "\u202e\u2066\ufeff",
        "ﷺ ﷽",
        "½ ⅒ ㉑ ㋀",
        "ok ᛮ",
        "𒐫" * 500,
        "ok " + "1-" * 3000,
        "ack " + "k " * 3000,
        "s " * 5000,
    ],
)
def test_odd_text_is_read_without_a_crash(text: str) -> None:
    assert isinstance(parse(text, checkin_words=[text], panic_words=[text]), Parsed)
    assert isinstance(looks_like_cry_for_help(text), bool)


ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=300)


@quick
@given(
    text=ANY_TEXT,
    checkin_words=st.lists(ANY_TEXT, max_size=3),
    panic_words=st.lists(ANY_TEXT, max_size=3),
)
def test_any_text_is_read_without_a_crash(
    text: str, checkin_words: list[str], panic_words: list[str]
) -> None:
    parsed = parse(text, checkin_words=checkin_words, panic_words=panic_words)
    assert isinstance(parsed, Parsed)
    assert isinstance(looks_like_cry_for_help(text), bool)
    if parsed.intent == Intent.CHECKIN:
        assert parsed.digits.isascii() and parsed.digits.isdigit()
        assert 2 <= len(parsed.digits) <= 12
    else:
        assert parsed.digits == ""


@quick
@given(before=st.text(max_size=80), after=st.text(max_size=80))
def test_a_message_without_digits_is_never_a_checkin(before: str, after: str) -> None:
    text = f"{before} ok {after}"
    if any(char.isdigit() for char in text):
        return
    assert parse(text, checkin_words=[before, after]).intent != Intent.CHECKIN


PANIC_EXAMPLES = ["SOS", "помогите", "ЅОЅ", "HELP", "pomogite", "С.О.С", "s o s", "спасите"]


@quick
@given(text=st.text(max_size=200), data=st.data())
def test_a_panic_word_anywhere_makes_a_panic(text: str, data: st.DataObject) -> None:
    where = data.draw(st.integers(min_value=0, max_value=len(text)))
    word = data.draw(st.sampled_from(PANIC_EXAMPLES))
    assert parse(f"{text[:where]} {word} {text[where:]}").intent == Intent.PANIC


EXAMPLES = (
    [text for text, _ in CHECKINS] + PANICS + [text for text, _ in ACKS] + STATUSES + NOTHINGS
)
PUNCTUATION = st.text(alphabet=" \n\t!?.,;:…()«»\"'*", max_size=4)


@quick
@given(
    text=st.sampled_from(EXAMPLES),
    uppers=st.integers(min_value=0, max_value=2**64 - 1),
    before=PUNCTUATION,
    after=PUNCTUATION,
)
def test_case_and_surrounding_punctuation_change_nothing(
    text: str, uppers: int, before: str, after: str
) -> None:
    flipped = "".join(
        char.upper() if uppers >> (index % 64) & 1 else char.lower()
        for index, char in enumerate(text)
    )
    assert read(f"{before}{flipped}{after}") == read(text)


@quick
@given(word=st.text(alphabet=st.characters(exclude_categories=()), max_size=40))
def test_normalise_word_is_stable_and_has_no_digits(word: str) -> None:
    folded = normalise_word(word)
    assert normalise_word(folded) == folded
    assert not any(char.isdigit() for char in folded)
