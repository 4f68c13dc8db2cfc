"""Django's request log lines keep our id-only paths and drop everything else."""

from __future__ import annotations

import logging
import sys

from django.test import RequestFactory

from safehold.lib.logs import RedactRequestPaths


def _record(path: str, *, crash: bool = False) -> logging.LogRecord:
    exc_info = None
    if crash:
        stored = "Zelimkhan " + "Leakcheckov"  # a value, not source text the stack would show
        try:
            raise ValueError(f"invalid literal: {stored!r}")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Error: %s", (path,), exc_info
    )
    record.request = RequestFactory().get(path)  # type: ignore[attr-defined]
    record.status_code = 500  # type: ignore[attr-defined]
    return record


def test_an_unknown_path_is_not_written() -> None:
    record = _record("/Zelimkhan Leakcheckov/")
    RedactRequestPaths().filter(record)
    assert "Leakcheckov" not in record.getMessage()
    assert "<path not shown>" in record.getMessage()


def test_our_own_paths_are_kept_for_debugging() -> None:
    record = _record("/persons/4d27bcae-9407-4bfd-9cfc-2f8a954674eb/")
    RedactRequestPaths().filter(record)
    assert "/persons/4d27bcae-9407-4bfd-9cfc-2f8a954674eb/" in record.getMessage()


def test_a_crash_keeps_the_exception_type_not_its_text() -> None:
    record = _record("/persons/", crash=True)
    RedactRequestPaths().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text
    assert "test_redact_request_paths.py" in text  # the stack is kept
    assert "Leakcheckov" not in text
