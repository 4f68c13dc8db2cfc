"""Check that an inbound webhook comes from the service it claims to come from.

Three services call Safehold without a logged-in user. Each proves where a request
comes from with a secret we share with it:

- **Twilio** (incoming SMS, a form-encoded POST) sends `X-Twilio-Signature`. It is
  base64 of HMAC-SHA1, keyed with the account's auth token, over the URL Twilio
  requested (query string included) followed by `name + value` for every POST
  parameter: names sorted, each name's values sorted. Twilio is inconsistent about
  the port in that URL, so, like Twilio's own library, we accept the URL as given,
  without its port, and with the scheme's default port. The signature has no
  timestamp, so replays are stopped by deduplicating on `MessageSid`.
- **SMS Gateway for Android** (capcom6, a JSON POST) sends `X-Timestamp` (unix
  seconds) and `X-Signature`. The signature is lowercase hex HMAC-SHA256, keyed with
  the signing key, over the raw body bytes followed by the timestamp. We refuse a
  timestamp outside a window around now. That, with deduplication on the event `id`,
  stops replays.
- **Telegram** echoes the secret we gave `setWebhook` in the header
  `X-Telegram-Bot-Api-Secret-Token`. There is no signature, only a constant-time
  comparison.

Check the signature before parsing anything. Until it holds, the body is the
attacker's: a parser is attack surface (deep nesting, huge numbers, parser bugs),
and a field parsed early tempts code to act on a forged message, for example by
logging it, looking up a case or replying. Parsing also cannot help: the signatures
cover the bytes as sent, and re-serialising parsed JSON does not give those bytes
back (the Android app's Gson writes `<`, `&` and `=` as `\\u003c`...).

Twilio is the one exception. Its signature is defined over the *decoded* form
parameters, so the caller decodes the form first, with Django's QueryDict, which
interprets nothing. No field may be read or acted on until this check passes.

These functions are pure: plain values in, a bool out. They never read the clock,
settings or a request. Malformed input is never an error, only "not valid", so a
webhook view cannot be made to fail with a 500 instead of refusing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# Unix seconds have 10 digits until the year 2286. Anything longer, signed, spaced or
# made of non-ASCII digits (which int() would accept) did not come from the app.
_UNIX_SECONDS = re.compile(r"[0-9]{1,11}")
# The format setWebhook accepts for secret_token (Telegram Bot API).
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def twilio_signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, Sequence[str]], signature: str
) -> bool:
    """Return True if `signature` (X-Twilio-Signature) signs this form-encoded request.

    `url` is the URL Twilio requested, with its query string and without credentials.
    `params` maps every POST parameter name to its list of values, blank ones included
    (`dict(request.POST.lists())`; a plain str counts as one value). A URL carrying
    `bodySHA256` (Twilio's JSON-body variant) is refused, because this check does not
    cover such a body.
    """
    if not (isinstance(auth_token, str) and auth_token and isinstance(url, str)):
        return False
    if not (isinstance(signature, str) and signature and signature.isascii()):
        return False
    if _has_body_hash(url):
        return False
    try:
        key = auth_token.encode("utf-8")
        signed_params = _twilio_signed_params(params).encode("utf-8")
        candidates = [
            _twilio_signature(key, variant.encode("utf-8") + signed_params)
            for variant in _twilio_url_variants(url)
        ]
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError.
        # Non-text parameters, or lone surrogates that Twilio cannot have sent as UTF-8.
        return False
    return any([hmac.compare_digest(candidate, signature) for candidate in candidates])


def android_gateway_signature_is_valid(
    signing_key: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    now: float,
    tolerance_seconds: int = 300,
) -> bool:
    """Return True if `signature` (X-Signature) signs `body` and `timestamp` (X-Timestamp).

    Also return False if the timestamp is not a whole number of unix seconds within
    `tolerance_seconds` of `now`. The app sends lowercase hex, so only lowercase hex is
    accepted: one spelling per message, nothing to normalise.
    """
    if not (isinstance(signing_key, str) and signing_key and isinstance(body, bytes)):
        return False
    if not (isinstance(timestamp, str) and _UNIX_SECONDS.fullmatch(timestamp)):
        return False
    if not (isinstance(signature, str) and _HEX_SHA256.fullmatch(signature)):
        return False
    # Written so that a NaN `now` fails the check instead of passing it.
    if not abs(now - int(timestamp)) <= tolerance_seconds:
        return False
    try:
        key = signing_key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    expected = hmac.new(key, body + timestamp.encode("ascii"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def telegram_secret_is_valid(expected: str, received: str) -> bool:
    """Return True if `received` (X-Telegram-Bot-Api-Secret-Token) equals `expected`.

    If either value is not 1-256 characters of A-Za-z0-9_-, return False. So an empty
    `expected` (a bot with no secret set up) matches nothing.
    """
    for value in (expected, received):
        if not (isinstance(value, str) and _TELEGRAM_SECRET.fullmatch(value)):
            return False
    return hmac.compare_digest(expected, received)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """Return the X-Twilio-Signature Twilio would send (for tests and the benchmark).

    The published test vectors check it against twilio_signature_is_valid's scheme.
    """
    message = url.encode("utf-8") + _twilio_signed_params(params).encode("utf-8")
    return _twilio_signature(auth_token.encode("utf-8"), message)


def android_gateway_signature(signing_key: str, body: bytes, timestamp: str) -> str:
    """Return the X-Signature the Android gateway would send (for tests and the benchmark)."""
    message = body + timestamp.encode("ascii")
    return hmac.new(signing_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def new_telegram_secret() -> str:
    """Return a fresh secret for setWebhook: 43 characters of A-Za-z0-9_- (256 bits)."""
    return secrets.token_urlsafe(32)


def _twilio_signed_params(params: Mapping[str, Sequence[str]]) -> str:
    parts: list[str] = []
    for name in sorted(params):
        values = params[name]
        if isinstance(values, str):
            values = [values]
        # sorted(set(...)) as in Twilio's libraries: a value repeated under one name
        # is signed once.
        parts.extend(name + value for value in sorted(set(values)))
    return "".join(parts)


def _twilio_signature(key: bytes, message: bytes) -> str:
    digest = hmac.new(key, message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _twilio_url_variants(url: str) -> list[str]:
    """Return `url` as given, then without its port, or else with the default port.

    Only the host part changes. The rest stays byte for byte as given, because
    urlunsplit() would tidy the rest (an empty `?`, tabs) and break the signature.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # An invalid port, or a malformed IPv6 host.
        return [url]
    start = url.find("//") + 2
    netloc = parts.netloc
    if not netloc or start < 2 or url[start : start + len(netloc)] != netloc:
        return [url]
    before, after = url[:start], url[start + len(netloc) :]
    if port is not None:
        other = netloc.rpartition(":")[0]
    else:
        other = f"{netloc}:{443 if parts.scheme == 'https' else 80}"
    return [url, before + other + after]


def _has_body_hash(url: str) -> bool:
    try:
        query = urlsplit(url).query
    except ValueError:
        return False
    return any(name == "bodySHA256" for name, _ in parse_qsl(query, keep_blank_values=True))
