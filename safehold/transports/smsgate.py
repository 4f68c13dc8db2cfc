"""An Apprise service that sends SMS through SMS Gateway for Android ("SMSGate").

Organisations in Russia cannot rely on foreign SMS services (blocked or watched), so
they run their own gateway: an Android phone with the SMSGate app
(capcom6/android-sms-gateway), reached either directly on the local network or through
the app's cloud relay. Apprise 2.2 has no plugin for it; this is one, registered with
Apprise's plugin manager by `register` (apprise_channel does that on import).

Channel URLs (user and password are the app's Basic-auth credentials):

    smsgate://user:password@192.168.1.20:8080/+79161234567/+79031234567
        the phone's local server, plain HTTP: POST http://192.168.1.20:8080/messages
    smsgates://user:password@api.sms-gate.app/+79161234567
        the public cloud server over HTTPS; for that host the API prefix
        /3rdparty/v1 is the default: POST https://api.sms-gate.app/3rdparty/v1/messages
    smsgates://user:password@sms.example.org/+79161234567?path=/api/3rdparty/v1
        any other host names its API prefix with `path=` (a private server uses
        /api/3rdparty/v1), since the URL's own path holds the recipients.

Each recipient is a phone number in international form ("+7..."); with `region=RU`
(an ISO country code) national forms such as 89161234567 are accepted too. Numbers
are normalised to E.164, and a number that is not valid makes the whole URL invalid.
`priority=` (-128..127; 100 and above skip the phone's send limits and delays) and
`sim=` (1..3) are passed on to the gateway. One request carries all recipients.

Log lines name neither the recipients nor the credentials (both travel only in the
request body and the Authorization header), nor the message or the gateway's reply,
which repeats the recipients.
"""

from __future__ import annotations

import json
import re
from typing import Any

import phonenumbers
import requests
from apprise.common import NotifyType
from apprise.exception import AppriseImproperlyConfigured
from apprise.manager_plugins import NotificationManager
from apprise.plugins import NotifyBase
from apprise.url import PrivacyMode
from django.core.exceptions import ValidationError

from safehold.lib.phones import normalise_phone

SCHEME = "smsgate"
SECURE_SCHEME = "smsgates"

# The public cloud server serves its API under /3rdparty/v1; the app's own local server
# at the root. Both accept POST <prefix>/messages: the cloud server
# (android-sms-gateway/server, internal/sms-gateway/handlers/3rdparty.go) registers
# /3rdparty/v1/messages and keeps /message only until its removal, and the app
# (capcom6/android-sms-gateway, modules/localserver/WebService.kt) routes both /message
# and /messages; the official client (android-sms-gateway 4.3.3, client.py) posts to
# {base_url}/messages. Docs: https://docs.sms-gate.app/features/sending-messages/
CLOUD_HOST = "api.sms-gate.app"
CLOUD_PATH = "/3rdparty/v1"
MESSAGES_PATH = "/messages"

# Ranges the gateway accepts (docs.sms-gate.app, "Sending Messages", request fields).
PRIORITY_RANGE = range(-128, 128)
SIM_RANGE = range(1, 4)

_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)*")


class NotifySMSGate(NotifyBase):
    """Send one SMS to one or more phones through an SMSGate server (local or cloud)."""

    # Apprise types these attributes as None on its base classes, which every plugin
    # then overrides; hence the "assignment" and "override" ignores below.

    service_name = "SMS Gateway for Android"  # type: ignore[assignment]
    service_url = "https://sms-gate.app"  # type: ignore[assignment]
    setup_url = "https://docs.sms-gate.app/"  # type: ignore[assignment]
    protocol = SCHEME  # type: ignore[assignment]
    secure_protocol = SECURE_SCHEME  # type: ignore[assignment]

    # SMS has no title: Apprise puts it on the body's first line.
    title_maxlen = 0
    # The phone splits a long text into a multipart SMS itself, so Apprise passes the
    # whole text on (its default "upstream" overflow mode). This limit only applies if
    # a URL asks for overflow=split or truncate: ten UCS-2 parts of 67 characters, as
    # Cyrillic text is sent, which carriers and phones still join reliably.
    body_maxlen = 670

    templates = (  # type: ignore[assignment]
        "{schema}://{user}:{password}@{host}/{targets}",
        "{schema}://{user}:{password}@{host}:{port}/{targets}",
    )
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "user": {"name": "Username", "type": "string", "required": True},
            "password": {
                "name": "Password",
                "type": "string",
                "private": True,
                "required": True,
            },
            "host": {"name": "Hostname", "type": "string", "required": True},
            "port": {"name": "Port", "type": "int", "min": 1, "max": 65535},
            "target_phone": {
                "name": "Target Phone No",
                "type": "string",
                "prefix": "+",
                "regex": (r"^[0-9\s)(+-]+$", "i"),
                "map_to": "targets",
            },
            "targets": {"name": "Targets", "type": "list:string", "required": True},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{
            "path": {"name": "API Path Prefix", "type": "string", "map_to": "api_path"},
            "region": {"name": "Default Country", "type": "string"},
            "priority": {
                "name": "Priority",
                "type": "int",
                "min": PRIORITY_RANGE.start,
                "max": PRIORITY_RANGE.stop - 1,
            },
            "sim": {
                "name": "SIM Number",
                "type": "int",
                "min": SIM_RANGE.start,
                "max": SIM_RANGE.stop - 1,
            },
        },
    )

    def __init__(
        self,
        targets: list[str] | None = None,
        api_path: str | None = None,
        region: str | None = None,
        priority: int | str | None = None,
        sim: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        """Raise `AppriseImproperlyConfigured` if anything in the URL is unusable.

        The error texts name the setting, never its value (a number or password).
        """
        super().__init__(**kwargs)
        if not self.user or not self.password:
            raise AppriseImproperlyConfigured("SMSGate needs a username and a password.")
        self._credentials = (str(self.user), str(self.password))
        self.region = _region(region)
        self.targets = _phone_numbers(targets or [], self.region)
        # Not `path`: Apprise's URL parser already fills that with the URL's own path.
        self.api_path = _api_path(api_path, self.host)
        self.priority = _integer_in(priority, PRIORITY_RANGE, "priority")
        self.sim = _integer_in(sim, SIM_RANGE, "sim")

    @property
    def endpoint(self) -> str:
        """Return the URL the message is posted to."""
        scheme = "https" if self.secure else "http"
        port = f":{self.port}" if self.port else ""
        return f"{scheme}://{self.host}{port}{self.api_path}{MESSAGES_PATH}"

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        **kwargs: Any,
    ) -> bool:
        """Post the text to the gateway; return whether it accepted it (any 2xx)."""
        payload: dict[str, Any] = {
            # The current request form; the flat "message" field is deprecated.
            # Apprise joins title and body with CRLF; a CR would cost a character.
            "textMessage": {"text": body.replace("\r\n", "\n")},
            "phoneNumbers": self.targets,
        }
        if self.priority is not None:
            payload["priority"] = self.priority
        if self.sim is not None:
            payload["simNumber"] = self.sim
        headers = {"User-Agent": self.app_id, "Content-Type": "application/json"}
        self.logger.debug(
            "SMSGate POST to %d recipient(s) (cert_verify=%r)",
            len(self.targets),
            self.verify_certificate,
        )
        self.throttle()
        try:
            response = requests.post(
                self.endpoint,
                # ASCII-only JSON (Cyrillic as \u escapes): no charset to get wrong.
                data=json.dumps(payload).encode("ascii"),
                headers=headers,
                auth=self._credentials,
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=self.redirects,
            )
        except requests.RequestException as error:
            self.logger.warning("A connection error occurred sending an SMSGate notification.")
            # The reason ("Connection refused", "timed out") is how apprise_channel
            # classifies the failure. It names host, port and API path, never the
            # recipients, which are in the body, or the password, in a header.
            self.logger.debug("Socket Exception: %s", error)
            return False
        if not 200 <= response.status_code < 300:
            # The reply code as "error=NNN." is what apprise_channel reads. The reply
            # body is not logged: the gateway repeats the recipients in it.
            reason = NotifyBase.http_response_code_lookup(response.status_code)
            self.logger.warning(
                "Failed to send SMSGate notification: %s%serror=%s.",
                reason,
                ", " if reason else "",
                response.status_code,
            )
            return False
        self.logger.info("Sent SMSGate notification to %d recipient(s).", len(self.targets))
        return True

    @property
    def url_identifier(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (
            self.secure_protocol if self.secure else self.protocol,
            self.user,
            self.password,
            self.host,
            self.port or (443 if self.secure else 80),
            self.api_path,
        )

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        """Return the channel URL; with `privacy`, password and numbers are masked."""
        params = self.url_parameters(*args, privacy=privacy, **kwargs)
        for name, value in (
            ("path", self.api_path),
            ("region", self.region),
            ("priority", self.priority),
            ("sim", self.sim),
        ):
            if value not in (None, ""):
                params[name] = value
        auth = "{user}:{password}@".format(
            user=NotifySMSGate.quote(self.user, safe=""),
            password=self.pprint(self.password, privacy, mode=PrivacyMode.Secret, safe=""),
        )
        default_port = 443 if self.secure else 80
        port = "" if not self.port or self.port == default_port else f":{self.port}"
        targets = "/".join(self.pprint(number, privacy, safe="+") for number in self.targets)
        schema = self.secure_protocol if self.secure else self.protocol
        query = NotifySMSGate.urlencode(params)
        return f"{schema}://{auth}{self.host}{port}/{targets}?{query}"

    def __len__(self) -> int:
        # One request, however many recipients.
        return 1

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:  # type: ignore[override]
        """Return the URL's parts as arguments for `NotifySMSGate`, or None if unparsable."""
        results: dict[str, Any] | None = NotifyBase.parse_url(url)
        if not results:
            return results
        results["targets"] = NotifySMSGate.split_path(results["fullpath"])
        query = results["qsd"]
        for parameter, argument in (
            ("path", "api_path"),
            ("region", "region"),
            ("priority", "priority"),
            ("sim", "sim"),
        ):
            if query.get(parameter):
                results[argument] = NotifySMSGate.unquote(query[parameter])
        return results


def register(manager: NotificationManager) -> None:
    """Make smsgate:// and smsgates:// Apprise services of this process.

    Apprise's plugin manager is one per process, so every Apprise instance made after
    this sees the plugin. Registering again (e.g. after a module reload) is harmless,
    and this plugin wins over any other that claims the same schemes.
    """
    if any(
        scheme not in manager or manager[scheme] is not NotifySMSGate
        for scheme in (SCHEME, SECURE_SCHEME)
    ):
        manager.add(NotifySMSGate, force=True)


def _phone_numbers(targets: list[str], region: str) -> list[str]:
    if not targets:
        raise AppriseImproperlyConfigured("SMSGate needs at least one phone number.")
    numbers: list[str] = []
    for target in targets:
        try:
            number = normalise_phone(target, default_region=region)
        except ValidationError:
            raise AppriseImproperlyConfigured("An SMSGate phone number is not valid.") from None
        if number not in numbers:
            numbers.append(number)
    return numbers


def _region(value: str | None) -> str:
    if not value:
        return ""
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise AppriseImproperlyConfigured("The SMSGate region is not a known country code.")
    return value.upper()


def _api_path(value: str | None, host: str) -> str:
    if value is None:
        return CLOUD_PATH if host.lower() == CLOUD_HOST else ""
    path = "/" + value.strip("/") if value.strip("/") else ""
    if not _PATH.fullmatch(path):
        raise AppriseImproperlyConfigured("The SMSGate path is not a plain URL path.")
    return path


def _integer_in(value: int | str | None, allowed: range, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AppriseImproperlyConfigured(f"The SMSGate {name} must be a number.") from None
    if number not in allowed:
        raise AppriseImproperlyConfigured(f"The SMSGate {name} is out of range.")
    return number
