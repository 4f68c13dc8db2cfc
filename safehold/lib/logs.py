"""Logging filters that keep whatever a client typed out of the logs."""

from __future__ import annotations

import logging
import traceback

from django.urls import Resolver404, resolve

# Routes whose path carries a secret token (a person's check-in link, an ack link).
SECRET_PATH_URL_NAMES = frozenset({"checkin_page", "checkin_sos", "alert_ack_link"})


class RedactRequestPaths(logging.Filter):
    """Rewrite Django's request log lines so an unknown path is never written out.

    Our own URLs carry only random ids, so a path that resolves is safe to log; any
    other path could hold a name someone pasted into the address bar.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path_info", None)
        if path is None:
            return True
        try:
            match = resolve(path)
            # A secret link's path is its credential: name the route, not the path.
            shown = f"<{match.url_name}>" if match.url_name in SECRET_PATH_URL_NAMES else path
        except Resolver404:
            shown = "<path not shown>"
        status = getattr(record, "status_code", "")
        record.msg = "%s %s %s"
        record.args = (getattr(request, "method", "?"), shown, status)
        # An exception's message can quote what was sent or stored; keep the stack
        # (file, line, code) and the exception's type, never its text.
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            record.exc_text = (
                "".join(traceback.format_tb(trace)) + f"{kind.__name__} (text not shown)"
            )
            record.exc_info = None
        return True
