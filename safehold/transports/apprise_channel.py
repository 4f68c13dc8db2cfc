"""Deliver one message to one channel named by an Apprise URL (e-mail, webhooks, chats).

This is the one module through which Safehold's notifications leave the machine. Each
send builds a fresh Apprise service (so no per-object throttle carries over between
sends), makes exactly one attempt (no retries hidden inside Apprise: retrying is the
caller's decision) and is bounded by a deadline.

Apprise reports only success or failure, so the reason for a failure is read from the
log lines Apprise captures into its result for that one call. The same log lines quote
hosts, addresses, paths and the message itself, so while a send runs they go to that
capture only: never to another handler of the "apprise" logger nor up to the
application's, and the HTTP libraries' own loggers are silenced. We log only the
transport's scheme, the failure kind and the time taken.

The idempotency key reaches the receiver three ways: always as the body's last line
("Ref: <key>"); as an `Idempotency-Key` header for every service whose URL accepts extra
headers (e-mail, json://, form://, xml:// among them); and, for json://, also as the
`idempotency_key` field of the JSON document.

Besides Apprise's own services it knows smsgate:// and smsgates://: SMS sent through an
organisation's own SMS Gateway for Android phone (`safehold.transports.smsgate`).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from apprise import Apprise, AppriseAsset, AppriseResult, AppriseResultStatus, NotifyFormat
from apprise.logger import _ServiceLogCapture
from apprise.manager_plugins import NotificationManager
from apprise.plugins import NotifyBase, url_to_dict

from safehold.transports import smsgate
from safehold.transports.base import DeliveryReport, FailureKind, Message, TransportError

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"

# Services that act on this machine instead of sending anywhere: desktop pop-ups,
# the local syslog (which would copy message text into system logs), a USB light.
LOCAL_SCHEMES = frozenset(
    {"windows", "macosx", "dbus", "kde", "qt", "glib", "gio", "gnome", "syslog", "blink1"}
)
# URL parameters whose value a plugin opens as a file on this machine (FCM and VAPID key
# files, PGP keys; `template` for Discord and Workflows, where elsewhere it is an id).
# Someone who may edit a channel URL must not make the server read, and send, its files.
LOCAL_FILE_PARAMETERS = frozenset({"keyfile", "subfile", "pgppub", "pgpprv"})
_TEMPLATE_FILE_SCHEMES = frozenset({"discord", "workflow", "workflows"})
_JSON_SCHEMES = frozenset({"json", "jsons"})
# A file:// URL in any parameter (Apprise reads attachments and templates from them).
_FILE_URL = re.compile(r"\bfile:")

_PLUGINS = NotificationManager()
smsgate.register(_PLUGINS)
_APPRISE_LOGGER = logging.getLogger("apprise")
# Loggers of the libraries Apprise sends through. urllib3 logs every request line,
# path and query included, at DEBUG: a webhook URL's secret token sits in its path.
_QUIET_LOGGER_PREFIXES = ("urllib3", "requests", "charset_normalizer", "markdown")


# Why a channel URL cannot be used, by code. The texts are whole sentences with nothing
# interpolated (never the URL), so a form can show them or map the code to its own
# translated text.
CHANNEL_URL_PROBLEMS = {
    "empty": "Enter a channel URL.",
    "unknown_service": "This channel URL is not recognised. Check the service name before '://'.",
    "local_service": "This kind of channel acts on the server itself and cannot be used.",
    "local_file": "A channel URL may not refer to files on the server.",
    "unavailable_service": "This kind of channel is not available on this server.",
    "malformed": "This channel URL is incomplete or malformed.",
}


class InvalidChannelURL(ValueError):
    """A channel URL that cannot be used; `code` is a key of CHANNEL_URL_PROBLEMS."""

    def __init__(self, code: str) -> None:
        super().__init__(CHANNEL_URL_PROBLEMS[code])
        self.code = code


def validate_channel_url(url: str) -> str:
    """Return the scheme (the Apprise service) of a usable channel URL.

    Raise `InvalidChannelURL` (a `ValueError`) if the URL is malformed, names a service
    Apprise does not know or cannot use here, or would act on this machine.
    """
    with _library_logs_contained():
        scheme, _service = _build_service(url, timeout_seconds=10.0, message=None)
    return scheme


def deliver(url: str, message: Message, *, timeout_seconds: float = 10) -> DeliveryReport:
    """Send `message` once to the channel `url` and return when the receiver accepted it.

    Raise `TransportError` if it was not accepted within `timeout_seconds`: permanent for
    a bad URL or a receiver that refuses the message, temporary otherwise. After a
    timeout the message may still arrive; the idempotency key lets the receiver tell.
    """
    if not (isinstance(timeout_seconds, int | float) and math.isfinite(timeout_seconds)):
        raise ValueError("timeout_seconds must be a finite number")
    if timeout_seconds <= 0:
        raise ValueError("timeout_seconds must be positive")
    started = time.monotonic()
    scheme = ""
    try:
        with _library_logs_contained():
            try:
                scheme, service = _build_service(
                    url, timeout_seconds=timeout_seconds, message=message
                )
            except InvalidChannelURL as error:
                scheme = _scheme_for_logs(url)
                raise TransportError(
                    FailureKind.BAD_URL, permanent=True, transport=scheme
                ) from error
        result = _notify_within(service, message, timeout_seconds, scheme)
        _raise_for_failure(result, scheme)
    except TransportError as error:
        log.warning(
            "delivery failed transport=%s kind=%s permanent=%s status=%s elapsed_ms=%.0f",
            error.transport or "-",
            error.kind,
            error.permanent,
            error.status if error.status is not None else "-",
            _elapsed_ms(started),
        )
        raise
    elapsed_ms = _elapsed_ms(started)
    log.info("delivered transport=%s elapsed_ms=%.0f", scheme, elapsed_ms)
    return DeliveryReport(elapsed_ms=elapsed_ms, transport=scheme)


# --- Building the service --------------------------------------------------------------


def _build_service(
    url: str, *, timeout_seconds: float, message: Message | None
) -> tuple[str, NotifyBase]:
    if not isinstance(url, str) or not url.strip():
        raise InvalidChannelURL("empty")
    parsed = url_to_dict(url.strip(), secure_logging=True)
    if not parsed or parsed.get("schema") not in _PLUGINS:
        # A known service whose URL Apprise could not parse is malformed, not unknown.
        raise InvalidChannelURL("malformed" if _scheme_for_logs(url) else "unknown_service")
    scheme = str(parsed["schema"])
    if scheme in LOCAL_SCHEMES:
        raise InvalidChannelURL("local_service")
    if _names_local_file(scheme, parsed.get("qsd") or {}):
        raise InvalidChannelURL("local_file")
    port = parsed.get("port")
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        raise InvalidChannelURL("malformed")
    if not _PLUGINS[scheme].enabled:
        raise InvalidChannelURL("unavailable_service")
    arguments = _service_arguments(parsed, scheme, timeout_seconds, message)
    try:
        service = Apprise.instantiate(arguments, asset=_asset(), suppress_exceptions=False)
    except Exception:
        # Not chained: the plugin's own message may quote the URL's secrets.
        raise InvalidChannelURL("malformed") from None
    if service is None or len(service) == 0:
        raise InvalidChannelURL("malformed")
    # A fresh service never throttles its first request; a plugin that makes several
    # requests for one message (several recipients, a long text split up) would.
    service.request_rate_per_sec = 0
    return scheme, service


def _names_local_file(scheme: str, query: dict[str, Any]) -> bool:
    for name, value in query.items():
        text = str(value).strip().lower()
        if _FILE_URL.search(text):
            return True
        opens_file = name in LOCAL_FILE_PARAMETERS or (
            name == "template" and scheme in _TEMPLATE_FILE_SCHEMES
        )
        # These parameters take a file path or an http(s) URL; only the URL may stay.
        if opens_file and text and not text.startswith(("http://", "https://")):
            return True
    return False


def _service_arguments(
    parsed: dict[str, Any], scheme: str, timeout_seconds: float, message: Message | None
) -> dict[str, Any]:
    arguments = dict(parsed)
    # Every socket operation (connect, each read) gets the whole budget at most; the
    # overall deadline is enforced by _notify_within.
    arguments["cto"] = timeout_seconds
    arguments["rto"] = timeout_seconds
    # One attempt only, whatever `?retry=` the URL carries.
    arguments["retry"] = 0
    if message is not None:
        if isinstance(arguments.get("headers"), dict):
            arguments["headers"] = {
                **arguments["headers"],
                IDEMPOTENCY_HEADER: message.idempotency_key,
            }
        if scheme in _JSON_SCHEMES:
            arguments["payload"] = {
                **(arguments.get("payload") or {}),
                IDEMPOTENCY_FIELD: message.idempotency_key,
            }
    return arguments


def _asset() -> AppriseAsset:
    return AppriseAsset(
        # Apprise's own deadline runs sends in a shared pool that fills up with stuck
        # calls; _notify_within gives each send its own thread instead.
        service_timeout=0,
        default_service_retry=0,
        # Nothing is written to disk: no persistent store, no generated PGP/PEM keys.
        storage_mode="memory",
        pgp_autogen=False,
        pem_autogen=False,
        # A redirect would carry the message to a host nobody configured.
        http_redirects=False,
        interpret_escapes=False,
        secure_logging=True,
    )


def _scheme_for_logs(url: object) -> str:
    """Return the URL's scheme if it looks like one, for a log line; never more."""
    if isinstance(url, str):
        match = re.match(r"\s*([a-z][a-z0-9+.-]{0,31})://", url, re.IGNORECASE)
        if match and match.group(1).lower() in _PLUGINS:
            return match.group(1).lower()
    return ""


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


# --- Sending -----------------------------------------------------------------------------


def _notify_within(
    service: NotifyBase, message: Message, timeout_seconds: float, scheme: str
) -> AppriseResult:
    """Run the send in its own thread and stop waiting for it after `timeout_seconds`.

    The socket timeouts usually end a stuck send first; the join is the backstop for
    a plugin that ignores them. An abandoned thread ends when its socket times out.
    """
    outcome: list[AppriseResult | BaseException] = []
    worker = threading.Thread(
        target=_notify, args=(service, message, outcome), name="transport-send", daemon=True
    )
    worker.start()
    worker.join(timeout_seconds)
    if worker.is_alive() or not outcome:
        raise TransportError(FailureKind.TIMEOUT, permanent=False, transport=scheme)
    [result] = outcome
    if isinstance(result, BaseException):
        raise TransportError(FailureKind.FAILED, permanent=False, transport=scheme)
    return result


def _notify(
    service: NotifyBase, message: Message, outcome: list[AppriseResult | BaseException]
) -> None:
    # A new thread starts with an empty context: mark it as a send again.
    _containing.set(True)
    try:
        sender = Apprise(asset=service.asset)
        sender.add(service)
        outcome.append(
            sender.notify(
                body=message.body_with_reference,
                title=message.title,
                body_format=NotifyFormat.TEXT,
                # Apprise captures this call's log lines into the result; the
                # failure's reason is in its DEBUG lines.
                log_level=logging.DEBUG,
            )
        )
    except Exception as error:  # a plugin bug must still end as a TransportError
        outcome.append(error)


# --- Classifying failures ----------------------------------------------------------------

# "Failed to send JSON POST notification: Internal server error., error=500."
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")
# smtplib's exceptions as Apprise logs them: "(550, b'5.1.1 ...')", also inside the
# recipients dict of SMTPRecipientsRefused; and "SMTP recipient x was refused: 550 ...".
_SMTP_REPLY = re.compile(r"\((\d{3}), b['\"]|was refused: (\d{3})\b")
_MARKERS: tuple[tuple[FailureKind, bool, tuple[str, ...]], ...] = (
    (FailureKind.TIMEOUT, False, ("timed out", "timeouterror", "read timeout")),
    (FailureKind.REFUSED, False, ("connection refused", "errno 111")),
    (
        FailureKind.UNREACHABLE,
        False,
        (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "failed to resolve",
            "no address associated",
            "network is unreachable",
            "no route to host",
        ),
    ),
    (
        FailureKind.TLS,
        False,
        ("sslerror", "certificate verify failed", "certificate_verify_failed", "[ssl"),
    ),
    # The server cannot do what the URL asks (e.g. STARTTLS or AUTH it does not offer).
    (
        FailureKind.REJECTED,
        True,
        ("not supported by server", "no suitable authentication method"),
    ),
)


def _raise_for_failure(result: AppriseResult, scheme: str) -> None:
    if result:
        return
    if result.status == AppriseResultStatus.TIMEOUT:
        raise TransportError(FailureKind.TIMEOUT, permanent=False, transport=scheme)
    kind, permanent, status = classify_failure(_captured_lines(result))
    raise TransportError(kind, permanent=permanent, transport=scheme, status=status)


def _captured_lines(result: AppriseResult) -> Iterator[str]:
    for service_result in result:
        for attempt in service_result.attempts:
            if attempt.status == AppriseResultStatus.TIMEOUT:
                yield "timed out"
            for entry in attempt.logs:
                yield entry.message


def classify_failure(lines: Iterator[str] | list[str]) -> tuple[FailureKind, bool, int | None]:
    """Return (kind, permanent, reply code) for a failed send from Apprise's log lines.

    A reply code from the receiver decides first; then the connection error's text.
    Anything unrecognised is a temporary FAILED, so it is tried again, not dropped.
    """
    texts = list(lines)
    for text in texts:
        if match := _HTTP_STATUS.search(text):
            status = int(match.group(1))
            return (*_http_verdict(status), status)
        if match := _SMTP_REPLY.search(text):
            status = int(match.group(1) or match.group(2))
            return (*_smtp_verdict(status), status)
    lowered = [text.lower() for text in texts]
    for kind, permanent, markers in _MARKERS:
        if any(marker in text for text in lowered for marker in markers):
            return kind, permanent, None
    return FailureKind.FAILED, False, None


def _http_verdict(status: int) -> tuple[FailureKind, bool]:
    if status in (408, 429) or status >= 500:
        return FailureKind.UNAVAILABLE, False
    # 4xx: the receiver refuses this request (bad token, gone, malformed) and will again;
    # 3xx: the endpoint moved and redirects are not followed.
    return FailureKind.REJECTED, True


def _smtp_verdict(status: int) -> tuple[FailureKind, bool]:
    if 400 <= status < 500:
        return FailureKind.UNAVAILABLE, False
    return FailureKind.REJECTED, True


# --- Keeping library logs out of the application's logs ---------------------------------

_containing: ContextVar[bool] = ContextVar("safehold_transport_containing_logs", default=False)


class _ContainedLogger(logging.Logger):
    """The "apprise" logger, which inside a send hands its records to Apprise alone.

    Apprise attaches a capture handler to this logger for each call and reads the
    failure's reason from it, so the records must exist, at DEBUG; but every other
    handler (the application's, a test's, one added by configuration) would print
    hosts, addresses, paths and the message. Outside a send it behaves as usual.
    """

    def isEnabledFor(self, level: int) -> bool:
        if _containing.get():
            return level >= logging.DEBUG
        return super().isEnabledFor(level)

    def callHandlers(self, record: logging.LogRecord) -> None:
        if not _containing.get():
            super().callHandlers(record)
            return
        # Not propagated, and no last-resort handler printing to stderr either.
        for handler in self.handlers:
            if isinstance(handler, _ServiceLogCapture) and record.levelno >= handler.level:
                handler.handle(record)


class _DropWhileContained(logging.Filter):
    """Drop a library's records emitted while a send runs in this context."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _containing.get()


_DROP_WHILE_CONTAINED = _DropWhileContained()


@contextmanager
def _library_logs_contained() -> Iterator[None]:
    _contain_apprise_logger()
    _quiet_http_library_loggers()
    token = _containing.set(True)
    try:
        yield
    finally:
        _containing.reset(token)


def _contain_apprise_logger() -> None:
    # Apprise created its logger when it was imported, so the class is swapped in place
    # (both are plain Logger classes); its handlers, level and settings stay as they are.
    if not isinstance(_APPRISE_LOGGER, _ContainedLogger):
        _APPRISE_LOGGER.__class__ = _ContainedLogger


def _quiet_http_library_loggers() -> None:
    # Filters on a logger apply only to records created on that very logger, so each
    # module logger of these libraries gets one; new ones appear as modules load.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(_QUIET_LOGGER_PREFIXES):
            library_logger = logging.getLogger(name)
            if _DROP_WHILE_CONTAINED not in library_logger.filters:
                library_logger.addFilter(_DROP_WHILE_CONTAINED)


_contain_apprise_logger()
