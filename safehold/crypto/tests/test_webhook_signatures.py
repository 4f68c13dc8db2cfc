"""Inbound webhook checks: known vectors pass; anything altered, stale or malformed is refused.

Twilio vectors: Twilio's published example and twilio-python's unit tests (9.13.0),
recomputed with Twilio's own RequestValidator. SMS Gateway vectors: computed with the
app's algorithm (HMAC-SHA256 over body + timestamp, lowercase hex).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from safehold.crypto.webhooks import (
    android_gateway_signature_is_valid,
    new_telegram_secret,
    telegram_secret_is_valid,
    twilio_signature_is_valid,
)

# --- Twilio --------------------------------------------------------------------------

TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
# Twilio's published example.
PUBLISHED_PARAMS = {
    "CallSid": ["CA1234567890ABCDE"],
    "Caller": ["+12349013030"],
    "Digits": ["1234"],
    "From": ["+12349013030"],
    "To": ["+18005551212"],
}
PUBLISHED_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
# twilio-python's unit tests: the same request from +14158675309.
LIBRARY_PARAMS = {**PUBLISHED_PARAMS, "Caller": ["+14158675309"], "From": ["+14158675309"]}

CYRILLIC_TOKEN = "0123456789abcdef0123456789abcdef"
CYRILLIC_URL = "https://example.org/hooks/twilio/sms"
# A real incoming-SMS body (nyaruka/courier's fixture) whose Body is "SOS, help" in
# Russian, in Cyrillic. It has blank fields (ToCity=, ToZip=), which count.
CYRILLIC_BODY = (
    "ToCountry=US&ToState=District+Of+Columbia&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b"
    "&NumMedia=0&ToCity=&FromZip=01022&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&FromState=MA"
    "&SmsStatus=received&FromCity=CHICOPEE&Body=%D0%A1%D0%9E%D0%A1+%D0%BF%D0%BE%D0%BC%D0%BE"
    "%D0%B3%D0%B8%D1%82%D0%B5&FromCountry=US&To=%2B12028831111&ToZip=&NumSegments=1"
    "&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=acctid&From=%2B14133881111"
    "&ApiVersion=2010-04-01"
)
CYRILLIC_SIGNATURE = "d32S9dUp3SpjlZMlhuaTg/dAlQY="


def form(body: str) -> dict[str, list[str]]:
    """Decode a form body the way the webhook view will: request.POST.lists()."""
    return dict(QueryDict(body).lists())


def reference_twilio_signature(token: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """Twilio's scheme, written out plainly, for inputs no published vector covers."""
    text = url + "".join(n + v for n in sorted(params) for v in sorted(set(params[n])))
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_twilios_published_example_is_valid() -> None:
    assert twilio_signature_is_valid(
        TWILIO_TOKEN, TWILIO_URL, PUBLISHED_PARAMS, PUBLISHED_SIGNATURE
    )


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        pytest.param(TWILIO_URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", id="as-given"),
        pytest.param(TWILIO_URL, "kvajT1Ptam85bY51eRf/AJRuM3w=", id="signed-with-443"),
        pytest.param(
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            id="signed-without-443",
        ),
        pytest.param(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4=",
            id="signed-with-80",
        ),
        pytest.param(
            "http://mycompany.com:80/myapp.php?foo=1&bar=2",
            "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=",
            id="signed-without-80",
        ),
        pytest.param(
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
            id="other-port-as-given",
        ),
        pytest.param(
            "https://mycompany.com:8000/myapp.php?foo=1&bar=2",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            id="other-port-signed-without",
        ),
    ],
)
def test_it_accepts_the_url_with_or_without_its_port(url: str, signature: str) -> None:
    assert twilio_signature_is_valid(TWILIO_TOKEN, url, LIBRARY_PARAMS, signature)


def test_it_adds_only_the_default_port() -> None:
    signed_with_8000 = "XZo7oH3w2N25S/8ZBMhFRkaKz2c="
    assert twilio_signature_is_valid(
        TWILIO_TOKEN, "https://mycompany.com:8000/myapp.php?foo=1&bar=2", LIBRARY_PARAMS,
        signed_with_8000,
    )  # fmt: skip

    assert not twilio_signature_is_valid(TWILIO_TOKEN, TWILIO_URL, LIBRARY_PARAMS, signed_with_8000)


@pytest.mark.parametrize(
    "body",
    [
        "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234",
        "Digits=1234&SidAccount=AC123&Digits=5678&Sid=CA123",
    ],
)
def test_repeated_names_sign_every_value_sorted(body: str) -> None:
    assert twilio_signature_is_valid(
        TWILIO_TOKEN, TWILIO_URL, form(body), "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )


def test_a_cyrillic_message_with_blank_fields_is_valid() -> None:
    assert twilio_signature_is_valid(
        CYRILLIC_TOKEN, CYRILLIC_URL, form(CYRILLIC_BODY), CYRILLIC_SIGNATURE
    )


def test_a_plain_string_value_counts_as_one_value() -> None:
    params = {name: values[0] for name, values in PUBLISHED_PARAMS.items()}

    assert twilio_signature_is_valid(TWILIO_TOKEN, TWILIO_URL, params, PUBLISHED_SIGNATURE)


def test_the_url_is_signed_exactly_as_given() -> None:
    # urlunsplit() would drop the empty "?", so a rebuilt URL would not match.
    url = "https://example.org/hooks/twilio/sms?"
    signature = reference_twilio_signature(CYRILLIC_TOKEN, url, {"Body": ["x"]})

    assert twilio_signature_is_valid(CYRILLIC_TOKEN, url, {"Body": ["x"]}, signature)
    assert not twilio_signature_is_valid(CYRILLIC_TOKEN, url[:-1], {"Body": ["x"]}, signature)


@pytest.mark.parametrize(
    ("token", "url", "params"),
    [
        pytest.param(
            TWILIO_TOKEN, TWILIO_URL, {**PUBLISHED_PARAMS, "Digits": ["1235"]}, id="value"
        ),
        pytest.param(
            TWILIO_TOKEN,
            TWILIO_URL,
            {**PUBLISHED_PARAMS, "Digits": ["1234", "1"]},
            id="extra-value",
        ),
        pytest.param(
            TWILIO_TOKEN, TWILIO_URL, {**PUBLISHED_PARAMS, "Body": [""]}, id="added-blank"
        ),
        pytest.param(
            TWILIO_TOKEN,
            TWILIO_URL,
            {k: v for k, v in PUBLISHED_PARAMS.items() if k != "To"},
            id="dropped",
        ),
        pytest.param(
            TWILIO_TOKEN,
            TWILIO_URL,
            {"callsid" if k == "CallSid" else k: v for k, v in PUBLISHED_PARAMS.items()},
            id="name-case",
        ),
        pytest.param(
            TWILIO_TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", PUBLISHED_PARAMS, id="http"
        ),
        pytest.param(
            TWILIO_TOKEN,
            "https://mycompany.com/myapp.php?bar=2&foo=1",
            PUBLISHED_PARAMS,
            id="query",
        ),
        pytest.param(
            TWILIO_TOKEN, "https://mycompany.com/myapp.php", PUBLISHED_PARAMS, id="no-query"
        ),
        pytest.param(
            TWILIO_TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=2", {}, id="no-params"
        ),
        pytest.param("12346", TWILIO_URL, PUBLISHED_PARAMS, id="token"),
    ],
)
def test_it_refuses_an_altered_request(
    token: str, url: str, params: Mapping[str, Sequence[str]]
) -> None:
    assert not twilio_signature_is_valid(token, url, params, PUBLISHED_SIGNATURE)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        pytest.param(CYRILLIC_URL, CYRILLIC_BODY.replace("&ToCity=", ""), id="blank-dropped"),
        pytest.param(CYRILLIC_URL.replace("https:", "http:"), CYRILLIC_BODY, id="http"),
        pytest.param(CYRILLIC_URL + "/", CYRILLIC_BODY, id="trailing-slash"),
        pytest.param(CYRILLIC_URL, CYRILLIC_BODY.replace("%D1%82", "t"), id="latin-t"),
    ],
)
def test_it_refuses_a_cyrillic_message_that_was_altered(url: str, body: str) -> None:
    assert not twilio_signature_is_valid(CYRILLIC_TOKEN, url, form(body), CYRILLIC_SIGNATURE)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "garbage",
        "!!!!",
        PUBLISHED_SIGNATURE[:-1],  # padding dropped
        PUBLISHED_SIGNATURE + "=",
        PUBLISHED_SIGNATURE + " ",
        " " + PUBLISHED_SIGNATURE,
        PUBLISHED_SIGNATURE.lower(),
        PUBLISHED_SIGNATURE.replace("/", "_"),  # URL-safe alphabet
        PUBLISHED_SIGNATURE + "\x00",
        PUBLISHED_SIGNATURE + "é",
        PUBLISHED_SIGNATURE.replace("C", "\u0421"),  # Cyrillic capital Es
        "\ud800",
        PUBLISHED_SIGNATURE * 1000,
    ],
)
def test_it_refuses_a_malformed_signature(signature: str) -> None:
    assert not twilio_signature_is_valid(TWILIO_TOKEN, TWILIO_URL, PUBLISHED_PARAMS, signature)


def test_an_empty_auth_token_validates_nothing() -> None:
    signature = reference_twilio_signature("", TWILIO_URL, PUBLISHED_PARAMS)

    assert not twilio_signature_is_valid("", TWILIO_URL, PUBLISHED_PARAMS, signature)


def test_a_json_body_request_is_refused_because_its_body_is_not_covered() -> None:
    # twilio-python's vector: this signature covers the URL only; the body is bound by
    # the bodySHA256 hash, which this function does not check.
    url = (
        TWILIO_URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    )

    assert not twilio_signature_is_valid(TWILIO_TOKEN, url, {}, "a9nBmqA0ju/hNViExpshrM61xv4=")


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("https://[::1/x", PUBLISHED_PARAMS),
        ("https://mycompany.com:99999/x", PUBLISHED_PARAMS),
        ("https://mycompany.com:port/x", PUBLISHED_PARAMS),
        ("", PUBLISHED_PARAMS),
        (TWILIO_URL, {"Body": [None]}),
        (TWILIO_URL, {"Body": [["nested"]]}),
        (TWILIO_URL, {1: ["x"], "a": ["y"]}),
        (TWILIO_URL, {"Body": ["\ud800"]}),
        (TWILIO_URL, None),
    ],
)
def test_malformed_input_is_refused_without_raising(url: str, params: object) -> None:
    assert twilio_signature_is_valid(TWILIO_TOKEN, url, params, PUBLISHED_SIGNATURE) is False  # type: ignore[arg-type]


# --- SMS Gateway for Android ------------------------------------------------------------

GATEWAY_KEY = "my-signing-key"
GATEWAY_TIMESTAMP = "1719046000"
GATEWAY_NOW = 1_719_046_000.0
GATEWAY_BODY = (
    b'{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received",'
    b'"id":"Ey6ECgOkVVFjz3CL48B8C","payload":{"messageId":"abc123",'
    b'"message":"Android is always a sweet treat!","phoneNumber":"6505551212",'
    b'"simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},"webhookId":"wh-1"}'
)
GATEWAY_SIGNATURE = "636492b5c5ee99d6b74e0d310cef29d4aedd109cde6b10eb3f13b1f02b989450"
GATEWAY_CYRILLIC_BODY = '{"event":"sms:received","payload":{"message":"помогите"}}'.encode()
GATEWAY_CYRILLIC_SIGNATURE = "9ba7bebddaafe2b5889abbcde312f0ea70f8b153ce089c5ae28d793013ad7933"


def gateway_is_valid(
    body: bytes = GATEWAY_BODY,
    timestamp: str = GATEWAY_TIMESTAMP,
    signature: str = GATEWAY_SIGNATURE,
    *,
    key: str = GATEWAY_KEY,
    now: float = GATEWAY_NOW,
) -> bool:
    return android_gateway_signature_is_valid(key, body, timestamp, signature, now=now)


def test_the_gateway_example_is_valid() -> None:
    assert len(GATEWAY_BODY) == 282
    assert gateway_is_valid()


def test_a_cyrillic_gateway_message_is_valid() -> None:
    assert gateway_is_valid(GATEWAY_CYRILLIC_BODY, signature=GATEWAY_CYRILLIC_SIGNATURE)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_a_timestamp_within_five_minutes_of_now_is_accepted(offset: int) -> None:
    assert gateway_is_valid(now=GATEWAY_NOW + offset)


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_a_stale_or_future_timestamp_is_refused(offset: int) -> None:
    assert not gateway_is_valid(now=GATEWAY_NOW + offset)


def test_the_tolerance_can_be_narrowed() -> None:
    late = GATEWAY_NOW + 31
    assert not android_gateway_signature_is_valid(
        GATEWAY_KEY, GATEWAY_BODY, GATEWAY_TIMESTAMP, GATEWAY_SIGNATURE, now=late,
        tolerance_seconds=30,
    )  # fmt: skip


def test_a_clock_that_is_not_a_number_refuses_everything() -> None:
    assert not gateway_is_valid(now=float("nan"))


@pytest.mark.parametrize("position", [0, 141, 281])
def test_a_body_altered_by_one_byte_is_refused(position: int) -> None:
    body = bytearray(GATEWAY_BODY)
    body[position] ^= 0x01

    assert not gateway_is_valid(bytes(body))


@pytest.mark.parametrize(
    "body",
    [GATEWAY_BODY + b"\n", GATEWAY_BODY[:-1], b"", GATEWAY_CYRILLIC_BODY],
)
def test_another_body_is_refused(body: bytes) -> None:
    assert not gateway_is_valid(body)


def test_the_signature_is_bound_to_its_timestamp() -> None:
    assert not gateway_is_valid(timestamp="1719046001")


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        " 1719046000",
        "1719046000 ",
        "1719046000\n",
        "+1719046000",
        "1719046000.0",
        "1_719_046_000",
        "\u0661\u0667\u0661\u0669\u0660\u0664\u0666\u0660\u0660\u0660",  # Arabic-Indic digits
        "0" * 12 + "1719046000",
        "9" * 5000,  # int() refuses this many digits
        "abc",
    ],
)
def test_a_malformed_or_missing_timestamp_is_refused(timestamp: str) -> None:
    assert not gateway_is_valid(timestamp=timestamp)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        GATEWAY_SIGNATURE.upper(),
        "sha256=" + GATEWAY_SIGNATURE,
        GATEWAY_SIGNATURE[:-1],
        GATEWAY_SIGNATURE + "0",
        GATEWAY_SIGNATURE + "\n",
        "z" * 64,
        "0" * 64,
        GATEWAY_SIGNATURE[:-1] + "é",
        base64.b64encode(bytes.fromhex(GATEWAY_SIGNATURE)).decode(),
    ],
)
def test_a_malformed_or_missing_signature_is_refused(signature: str) -> None:
    assert not gateway_is_valid(signature=signature)


@pytest.mark.parametrize("key", ["my-signing-keY", "my-signing-key ", "\ud800"])
def test_another_key_is_refused(key: str) -> None:
    assert not gateway_is_valid(key=key)


def test_an_empty_key_validates_nothing() -> None:
    # Not even a signature made with the empty key: no key configured means no trust.
    signature = hmac.new(b"", GATEWAY_BODY + b"1719046000", hashlib.sha256).hexdigest()

    assert not gateway_is_valid(key="", signature=signature)


def test_a_body_that_is_not_bytes_is_refused() -> None:
    assert not gateway_is_valid(GATEWAY_BODY.decode())  # type: ignore[arg-type]


# --- Telegram ---------------------------------------------------------------------------

TELEGRAM_SECRET = "Abc_123-xyz"


def test_a_new_secret_has_the_format_telegram_accepts() -> None:
    secret = new_telegram_secret()

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    assert telegram_secret_is_valid(secret, secret)
    assert new_telegram_secret() != secret


@pytest.mark.parametrize("secret", [TELEGRAM_SECRET, "a", "-", "Z" * 256])
def test_the_same_secret_is_valid(secret: str) -> None:
    assert telegram_secret_is_valid(secret, secret)


@pytest.mark.parametrize(
    "received",
    [
        "",
        "Abc_123-xyZ",
        "abc_123-xyz",
        "Abc_123-xy",
        "Abc_123-xyzz",
        " Abc_123-xyz",
        "Abc_123-xyz\n",
        "Abc_123-xyz=",
        "\u0410bc_123-xyz",  # Cyrillic capital A
        "Abc_123-xyz\x00",
        "\ud800",
        "A" * 257,
    ],
)
def test_another_secret_is_refused(received: str) -> None:
    assert not telegram_secret_is_valid(TELEGRAM_SECRET, received)


@pytest.mark.parametrize(
    ("expected", "received"),
    [("", ""), ("", "a"), ("a b", "a b"), ("é", "é"), ("A" * 257, "A" * 257)],
)
def test_a_secret_telegram_would_not_accept_validates_nothing(expected: str, received: str) -> None:
    assert not telegram_secret_is_valid(expected, received)


# --- Random input never raises ------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
ANY_PARAMS = st.dictionaries(ANY_TEXT, st.lists(ANY_TEXT, max_size=4), max_size=6)


@settings(max_examples=300, deadline=None)
@given(url=ANY_TEXT | st.just(TWILIO_URL), params=ANY_PARAMS, signature=ANY_TEXT)
def test_random_twilio_requests_are_refused_without_raising(
    url: str, params: dict[str, list[str]], signature: str
) -> None:
    assert twilio_signature_is_valid(TWILIO_TOKEN, url, params, signature) is False


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=2000) | st.just(GATEWAY_BODY),
    timestamp=ANY_TEXT | st.integers(0, 10**12).map(str) | st.just(GATEWAY_TIMESTAMP),
    signature=ANY_TEXT | st.text("0123456789abcdef", min_size=64, max_size=64),
    now=st.floats(allow_nan=True, allow_infinity=True) | st.just(GATEWAY_NOW),
)
def test_random_gateway_requests_are_refused_without_raising(
    body: bytes, timestamp: str, signature: str, now: float
) -> None:
    result = android_gateway_signature_is_valid(GATEWAY_KEY, body, timestamp, signature, now=now)
    assert result is False


@settings(max_examples=300, deadline=None)
@given(expected=ANY_TEXT, received=ANY_TEXT)
def test_random_telegram_secrets_never_raise(expected: str, received: str) -> None:
    assert telegram_secret_is_valid(expected, received) is (
        expected == received and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", expected) is not None
    )


def test_the_signing_helpers_produce_the_published_signatures() -> None:
    from safehold.crypto.webhooks import android_gateway_signature, twilio_signature

    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    body = b'{"event":"sms:received","payload":{"message":"\\xd0\\xbf"}}'
    signature = android_gateway_signature("my-signing-key", body, "1719046000")
    assert android_gateway_signature_is_valid(
        "my-signing-key", body, "1719046000", signature, now=1719046000
    )
