# Look-alike letters are this module's subject, not a mistake:
# ruff: noqa: RUF001, RUF002, RUF003
"""Turn the text of one inbound SMS or Telegram message into an intent.

A person in danger may manage one short message, in Russian or English, typed with one
thumb. The parser forgives what such typing does, and refuses to guess where a wrong
guess costs something. It is pure: no database, no I/O, and it never logs the text.

Rules, checked in this order:

1. PANIC wins over everything: a word of the message, or up to `MAX_JOINED_WORDS`
   neighbouring words joined ("s o s", "С.О.С", "по-мо-ги-те", "he lp"), is a built-in
   panic word (`PANIC_WORDS`) or one of the person's own `panic_words`. Digits or a
   check-in word alongside change nothing. Neither "ok" nor digits are ever a panic.
2. ACK: the message is an acknowledgement word (`ACK_WORDS`: "ACK", also typed as
   Cyrillic "АСК", or Russian "принял(а)"/"принято") followed by the alert code and
   nothing else. The code is 6 to 8 characters of `ALERT_CODE_ALPHABET` once Cyrillic
   look-alikes are read as Latin ("К7QХ2М" is "K7QX2M"); dashes or spaces inside it are
   dropped. Anything else after the word makes the message NONE.
3. STATUS: the message is just "status" or "статус", punctuation aside.
4. CHECKIN: a check-in word (`CHECKIN_WORDS` or the person's own `checkin_words`) and
   exactly one group of 2 to 12 digits, in any order, extra words tolerated
   ("ок 1234 всё хорошо"). A group may have dashes between digits ("12-34") or single
   digits spaced out ("1 2 3 4"). Multi-digit runs split by a space are two groups
   ("1234 5678", "12 34"), and two groups are NONE: we never guess which one is the PIN.
   Digits without a check-in word are NONE too: a bare number may be anyone's.
5. Anything else is NONE.

Normalisation, the same for messages and for keywords (see `normalise_word`), so a
person's own word matches however either side was typed:

- Only the first `MAX_CHARS` characters are read. Invisible format characters (RTL
  marks, zero-width spaces, soft hyphens) are dropped; control characters and lone
  surrogates become spaces.
- A digit is any Unicode decimal digit (ASCII, fullwidth, Arabic-Indic, ...), read as
  ASCII. Other numeric signs (superscripts, circled or fractional numbers) are not digits
  and never become digits, so a message with no `str.isdigit()` character never carries
  a PIN.
- NFKC (fullwidth "ＳＯＳ" is "SOS"), casefold, accents dropped ("ё" is "е"), then each
  word is folded to one Latin spelling. Cyrillic/Latin look-alikes are read both ways:
  a word mixing scripts is read in the script of its letters that have no twin
  ("sоs" and "НЕLР" are Latin, "пoмoгитe" is Russian); a Russian word is transliterated
  ("помогите" is "pomogite", "СОС" is "sos", "ок" is "ok"). A message word also counts
  under its purely visual and purely phonetic readings ("АСК" as "ack", "һеӏр" as "help").
- Repeated letters count once ("помогииите", "okkk").
- Keywords are letters: a keyword with a digit, or with no letter, folds to "" and
  matches nothing, so no number can ever be a panic word.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Telegram's own limit (an SMS is shorter): hostile input costs bounded work, while a
# cry for help at the end of a long message is still read.
MAX_CHARS = 4096
# Joining neighbouring words finds "s o s", "п о м о г и т е" and keywords of several words.
MAX_JOINED_WORDS = 12
PIN_DIGITS = range(2, 13)
ALERT_CODE_LENGTHS = range(6, 9)
# The alerts app's CODE_ALPHABET, repeated because this module must not import the ORM.
ALERT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"

CHECKIN_WORDS = ("ok", "okay", "okey", "ок", "окей", "окэй")
# Not "помощь" (help, the noun): "спасибо за помощь" is ordinary thanks.
PANIC_WORDS = (
    "help",
    "sos",
    "помогите",
    "помоги",
    "спасите",
    "спаси",
    # Latin spellings people type that the transliteration table does not produce.
    "pomogitye",
    "pomogiti",
    "pamagite",
    "pamagiti",
    "pamagi",
    "spasitye",
    # "sos", "help", "помогите", "спасите" typed with the keyboard on the other layout:
    # nobody stops to switch it in a hurry.
    "ыщы",
    "рудз",
    "gjvjubnt",
    "cgfcbnt",
)
# For messages from unknown numbers, where a human looks at anything that matches.
# Not "помощь" alone: "Помощь в получении кредита" is everyday spam.
DISTRESS_WORDS = (
    *PANIC_WORDS,
    "нужна помощь",
    "задержали",
    "задержан",
    "задержана",
    "задержаны",
    "арестовали",
    "арестован",
    "арестована",
    "забрали",
    "похитили",
    "обыск",
    "полиция",
    "police",
    "arrested",
    "detained",
)
ACK_WORDS = ("ack", "принял", "приняла", "принято")
STATUS_WORDS = ("status", "статус")


class Intent(enum.StrEnum):
    CHECKIN = "checkin"
    PANIC = "panic"
    ACK = "ack"
    STATUS = "status"
    NONE = "none"


@dataclass(frozen=True, repr=False)
class Parsed:
    """What one message asks for: `digits` only for CHECKIN, `code` only for ACK."""

    intent: Intent
    digits: str = ""
    code: str = ""

    def __repr__(self) -> str:
        # The digits are a PIN or part of one, and reprs end up in logs: show the count.
        shown = [f"intent={self.intent}"]
        if self.digits:
            shown.append(f"digits=<{len(self.digits)} digits>")
        if self.code:
            shown.append(f"code={self.code}")
        return f"Parsed({', '.join(shown)})"

    __str__ = __repr__


NOTHING = Parsed(Intent.NONE)

# --- Letters -------------------------------------------------------------------------

# Lower case, because matching happens after casefold; "в" stands for "В" (like B) too.
_CYRILLIC_AS_LATIN = str.maketrans("авекмнорстухѕіјһԁӏԛԝ", "abekmhopctyxsijhdlqw")
_LATIN_AS_CYRILLIC = str.maketrans("abcehkmoptxy", "авсенкмортху")
_CYRILLIC_TWINS = frozenset("авекмнорстухѕіјһԁӏԛԝ")
_LATIN_TWINS = frozenset("abcehkmoptxy")
# Cyrillic letters that are not Russian and exist in fonts mostly as look-alikes.
_FOREIGN_TWINS = frozenset("ѕіјһԁӏԛԝ")
# Russian to Latin the way people type it in Latin letters. "ё" and "й" lose their marks
# before this table and come out as "e" and "i".
_RUSSIAN_LETTERS = frozenset("абвгдежзиклмнопрстуфхцчшщъыьэюя")
_TRANSLITERATION = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
        # Ukrainian letters a Russian speaker may meet, and the look-alikes read by sight.
        "є": "e", "ґ": "g", "ѕ": "s", "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ӏ": "l",
        "ԛ": "q", "ԝ": "w",
    }
)  # fmt: skip
_REPEATS = re.compile(r"(.)\1+")
_CYRILLIC = re.compile("[\u0400-\u052f]")
_LATIN = re.compile("[a-z]")


def _transliterate(letters: str) -> str:
    return letters.translate(_TRANSLITERATION)


def _collapse(spelling: str) -> str:
    return _REPEATS.sub(r"\1", spelling)


def _readings(letters: str) -> tuple[str, str, str]:
    """Return a word's Latin spellings: canonical, by sight, by sound (each collapsed).

    The canonical one reads look-alikes in the script of the word's other letters and is
    the one keywords are folded to; a message word matches under any of the three.
    """
    if not _CYRILLIC.search(letters):
        alone = _collapse(letters)  # the common case, with a single reading
        return alone, alone, alone
    by_sight = _transliterate(letters.translate(_CYRILLIC_AS_LATIN))
    by_sound = _transliterate(letters)
    cyrillic = set(_CYRILLIC.findall(letters))
    latin = set(_LATIN.findall(letters))
    all_cyrillic_are_twins = cyrillic <= _CYRILLIC_TWINS
    if not latin:
        # "ЅОЅ" has letters no Russian word has: a Latin word in disguise.
        is_disguised = all_cyrillic_are_twins and bool(cyrillic & _FOREIGN_TWINS)
        canonical = by_sight if is_disguised else by_sound
    elif cyrillic <= _RUSSIAN_LETTERS and latin <= _LATIN_TWINS:
        # "пoмoгитe", "CОC": Russian with a few Latin look-alikes. Only for letters the
        # table knows, which keeps normalise_word idempotent.
        canonical = _transliterate(letters.translate(_LATIN_AS_CYRILLIC))
    elif all_cyrillic_are_twins:
        canonical = by_sight  # "sоs", "НЕLР"
    else:
        canonical = by_sound  # "sпасите": really mixed, each letter read as typed
    return _collapse(canonical), _collapse(by_sight), _collapse(by_sound)


def _join(left: str, right: str) -> str:
    # Both sides are collapsed already; only a letter repeated across the seam is new.
    if left and right and left[-1] == right[0]:
        return left + right[1:]
    return left + right


# --- Text ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"[0-9]+")
# Dropped inside words: "it's" is one word, as "it’s" and "itʼs" are.
_APOSTROPHES = str.maketrans("", "", "'’ʼ")
# A run of digits with dashes (hyphens, dashes, minus sign) between them.
_DIGIT_CHUNK = re.compile(r"[0-9]+(?:\s*[-\u2010-\u2015\u2212]\s*[0-9]+)*")
_NOT_DIGIT = re.compile(r"[^0-9]")
_ALPHANUMERIC = re.compile(r"[^\W_]+")


class _LazyTable(dict[int, str]):
    """A `str.translate` table that works out each character once, when first met."""

    def __init__(self, rule: Callable[[str], str]) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, code: int) -> str:
        self[code] = replacement = self.rule(chr(code))
        return replacement


def _clean_char(char: str) -> str:
    if char.isascii():
        return " " if char < " " or char == "\x7f" else char
    category = unicodedata.category(char)
    if category == "Cf":
        return ""  # invisible: "по\u200bмогите" is still one word
    if category[0] == "C" or category in ("Zl", "Zp"):
        return " "
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    if any(folded.isdecimal() for folded in unicodedata.normalize("NFKC", char)):
        return " "  # "²", "①", "½": NFKC would turn them into digits nobody typed as such
    return char


def _drop_mark(char: str) -> str:
    return "" if unicodedata.category(char)[0] == "M" else char


def _clean(text: str) -> str:
    """Return the text as matching reads it: capped, folded, without marks."""
    # Tables live for one call: a module-wide cache would keep what people wrote.
    kept = text[:MAX_CHARS].translate(_LazyTable(_clean_char))
    folded = unicodedata.normalize("NFKC", kept).casefold()
    return unicodedata.normalize("NFD", folded).translate(_LazyTable(_drop_mark))


def _word_runs(cleaned: str) -> list[list[str]]:
    """Return the words of the text, in runs that digits interrupt."""
    stretches = _DIGITS.split(cleaned.translate(_APOSTROPHES))
    return [words for words in map(_WORD.findall, stretches) if words]


def _digit_groups(cleaned: str) -> list[str]:
    """Return the groups of digits: dash-joined runs, and single digits spaced out."""
    groups: list[str] = []
    previous_end = 0
    previous_was_single = False
    for match in _DIGIT_CHUNK.finditer(cleaned):
        digits = _NOT_DIGIT.sub("", match.group())
        is_single = len(match.group()) == 1
        between = cleaned[previous_end : match.start()]
        if is_single and previous_was_single and between.isspace():
            groups[-1] += digits
        else:
            groups.append(digits)
        previous_end = match.end()
        previous_was_single = is_single
    return groups


# --- Keywords ------------------------------------------------------------------------


def normalise_word(word: str) -> str:
    """Return the folded spelling a keyword is matched by, or "" if it cannot be one.

    A keyword is letters: punctuation is dropped and several words are joined ("нужна
    помощь" is "nuzhnapomosch"). One with a digit folds to "", because digits in a
    message are read as a PIN. A registration form should refuse a keyword that folds to
    "" or to a built-in word of another intent. Folding a folded spelling changes nothing.
    """
    cleaned = _clean(word)
    if _DIGITS.search(cleaned):
        return ""
    spelling = ""
    for run in _word_runs(cleaned):
        for part in run:
            spelling = _join(spelling, _readings(part)[0])
    return spelling


@dataclass(frozen=True)
class _Vocabulary:
    """Folded keywords, and every beginning of one: joining words goes on while one fits."""

    spellings: frozenset[str]
    beginnings: frozenset[str]

    @classmethod
    def of(cls, words: Sequence[str]) -> _Vocabulary:
        # A lone string is one keyword; iterating it would make each letter a keyword.
        words = (words,) if isinstance(words, str) else words
        # A keyword with digits or without letters folds to "" and must match nothing.
        spellings = frozenset(spelling for spelling in map(normalise_word, words) if spelling)
        beginnings = frozenset(
            spelling[:end] for spelling in spellings for end in range(1, len(spelling))
        )
        return cls(spellings, beginnings)

    def __or__(self, other: _Vocabulary) -> _Vocabulary:
        return _Vocabulary(self.spellings | other.spellings, self.beginnings | other.beginnings)


def _find(runs: list[list[str]], vocabulary: _Vocabulary) -> set[str]:
    """Return the keywords that a word, or a few neighbouring words joined, reads as.

    Joining stops as soon as no reading of the joined words begins a keyword, so a long
    message costs about one fold per distinct word.
    """
    found: set[str] = set()
    known: dict[str, tuple[str, str, str]] = {}
    for run in runs:
        for word in run:
            if word not in known:
                known[word] = _readings(word)
        readings = [known[word] for word in run]
        for start, joined in enumerate(readings):
            found.update(vocabulary.spellings.intersection(joined))
            for following in readings[start + 1 : start + MAX_JOINED_WORDS]:
                if vocabulary.beginnings.isdisjoint(joined):
                    break
                joined = (
                    _join(joined[0], following[0]),
                    _join(joined[1], following[1]),
                    _join(joined[2], following[2]),
                )
                found.update(vocabulary.spellings.intersection(joined))
    return found


# --- Intents -------------------------------------------------------------------------

_CHECKIN = _Vocabulary.of(CHECKIN_WORDS)
_PANIC = _Vocabulary.of(PANIC_WORDS)
_DISTRESS = _Vocabulary.of(DISTRESS_WORDS)
_ACK = _Vocabulary.of(ACK_WORDS)
_STATUS = _Vocabulary.of(STATUS_WORDS)


def _ack_code(cleaned: str) -> str | None:
    """Return the alert code if the text is an acknowledgement word and a code, else None."""
    first, *rest = _ALPHANUMERIC.findall(cleaned) or [""]
    if not rest or not first.isalpha() or _ACK.spellings.isdisjoint(_readings(first)):
        return None
    code = "".join(rest).translate(_CYRILLIC_AS_LATIN).upper()
    if len(code) in ALERT_CODE_LENGTHS and all(char in ALERT_CODE_ALPHABET for char in code):
        return code
    return None


def _is_status(cleaned: str, runs: list[list[str]]) -> bool:
    if _DIGITS.search(cleaned):
        return False
    letters = "".join(word for run in runs for word in run)
    return not _STATUS.spellings.isdisjoint(_readings(letters))


def parse(
    text: str, *, checkin_words: Sequence[str] = (), panic_words: Sequence[str] = ()
) -> Parsed:
    """Return the intent of one message; the person's own words count with the built-in ones."""
    cleaned = _clean(text)
    runs = _word_runs(cleaned)
    panic = _PANIC | _Vocabulary.of(panic_words)
    checkin = _CHECKIN | _Vocabulary.of(checkin_words)
    found = _find(runs, panic | checkin)
    if not found.isdisjoint(panic.spellings):
        return Parsed(Intent.PANIC)
    code = _ack_code(cleaned)
    if code is not None:
        return Parsed(Intent.ACK, code=code)
    if _is_status(cleaned, runs):
        return Parsed(Intent.STATUS)
    if not found.isdisjoint(checkin.spellings):
        groups = _digit_groups(cleaned)
        if len(groups) == 1 and len(groups[0]) in PIN_DIGITS:
            return Parsed(Intent.CHECKIN, digits=groups[0])
    return NOTHING


def looks_like_cry_for_help(text: str) -> bool:
    """Return whether a message from an unknown number reads as distress (`DISTRESS_WORDS`)."""
    return bool(_find(_word_runs(_clean(text)), _DISTRESS))
