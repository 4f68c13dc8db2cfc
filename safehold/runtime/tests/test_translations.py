"""The Russian catalogue is complete, compiled, and covers every string in the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

import safehold

PACKAGE = Path(safehold.__file__).parent
PO = PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _translations(entries: polib._BaseFile) -> dict[tuple[str, str], tuple[str, ...]]:
    result = {}
    for entry in entries:
        if entry.obsolete or not entry.msgid:
            continue
        forms = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
        result[(entry.msgctxt or "", entry.msgid)] = forms or (entry.msgstr,)
    return result


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    assert _translations(polib.mofile(str(MO))) == _translations(polib.pofile(str(PO)))


def test_the_catalogue_is_in_use() -> None:
    with translation.override("ru"):
        assert translation.gettext("Safe houses") != "Safe houses"


@pytest.mark.slow
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    if not shutil.which("xgettext"):
        pytest.fail("xgettext is missing: `make test` installs gettext")
    copy = tmp_path / "safehold"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "safehold.cli",
            "makemessages",
            "-l",
            "ru",
            "--no-location",
            "--ignore",
            "*/tests/*",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
    )
    extracted = set(_translations(polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))))
    missing = extracted - set(_translations(polib.pofile(str(PO))))
    assert missing == set(), "run `make messages` and translate the new strings"


def test_no_translated_string_hides_inside_an_f_string() -> None:
    # xgettext cannot read f-strings: a gettext call inside one is never extracted, so
    # it would stay English for everyone without any other test noticing.
    pattern = re.compile(r"""\bf(["']).*\{\s*(_|gettext|ngettext|pgettext)\(""")
    offenders = [
        f"{path}:{number}"
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
