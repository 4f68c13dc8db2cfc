"""Webhooks the SMS and Telegram gateways call with every message a person sends.

Each proves its origin before anything else is read: Twilio's X-Twilio-Signature, the
Android gateway's HMAC over body and timestamp, Telegram's secret-token header. A
request that proves nothing gets 403; a proven one that is malformed gets 400; none
gets a 500. The log says which gateway kind answered how, never a number or a word of
the message. A provider's retry of a delivery changes nothing (see inbound.service).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from safehold.crypto.webhooks import (
    android_gateway_signature_is_valid,
    telegram_secret_is_valid,
    twilio_signature_is_valid,
)
from safehold.inbound.models import Gateway, GatewayKind
from safehold.inbound.service import Delivery, receive
from safehold.lib.geo import checked_location

log = logging.getLogger("safehold.hooks")

MAX_BODY = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _gateways(kind: str) -> Iterable[Gateway]:
    return Gateway.objects.filter(kind=kind, is_active=True).select_related(
        "organisation", "intake_compartment"
    )


def _refuse(kind: str, status: int, why: str) -> HttpResponse:
    log.warning("hook %s: %s (%s)", kind, status, why)
    return HttpResponse(status=status)


def _accepted(kind: str, delivery: Delivery) -> None:
    received = receive(delivery)
    log.info(
        "hook %s: 200 (%s%s)", kind, received.handling, ", repeat" if received.is_repeat else ""
    )


@csrf_exempt  # the provider's signature is the credential
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return _refuse("twilio", 413, "too large")
    signature = request.headers.get("X-Twilio-Signature", "")
    params = dict(request.POST.lists())
    gateway = next(
        (
            g
            for g in _gateways(GatewayKind.TWILIO)
            if twilio_signature_is_valid(g.secret, _signed_url(g, request), params, signature)
        ),
        None,
    )
    if gateway is None:
        return _refuse("twilio", 403, "signature")
    sid, sender, body = (request.POST.get(k, "") for k in ("MessageSid", "From", "Body"))
    if not sid or not sender:
        return _refuse("twilio", 400, "fields")
    _accepted(
        "twilio",
        Delivery(gateway, sid, sender, body, timezone.now()),
    )
    # Replies leave through the outbox (Apprise), so the answer here is always empty.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")


def _signed_url(gateway: Gateway, request: HttpRequest) -> str:
    # Twilio signs the URL configured in its console; behind a proxy ours may differ.
    query = request.META.get("QUERY_STRING", "")
    base = gateway.public_url or request.build_absolute_uri(request.path)
    return f"{base}?{query}" if query else base


@csrf_exempt
@require_POST
def android_sms(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return _refuse("android", 413, "too large")
    body = request.body
    timestamp = request.headers.get("X-Timestamp", "")
    signature = request.headers.get("X-Signature", "")
    now = time.time()
    gateway = next(
        (
            g
            for g in _gateways(GatewayKind.ANDROID)
            if android_gateway_signature_is_valid(g.secret, body, timestamp, signature, now=now)
        ),
        None,
    )
    if gateway is None:
        return _refuse("android", 403, "signature")
    event = _json(body)
    if not isinstance(event, dict) or not isinstance(event.get("payload"), dict):
        return _refuse("android", 400, "not an event")
    if event.get("event") != "sms:received":
        return HttpResponse(status=204)  # other events are not for us; no retry wanted
    payload = event["payload"]
    # messageId is derived from the text and not unique: two identical cries for help
    # are two messages. The event's own id is what a retry repeats.
    event_id = event.get("id")
    sender = payload.get("sender") or payload.get("phoneNumber")
    text = payload.get("message")
    if not (isinstance(event_id, str) and event_id and isinstance(sender, str) and sender):
        return _refuse("android", 400, "fields")
    if not isinstance(text, str):
        return _refuse("android", 400, "fields")
    _accepted("android", Delivery(gateway, event_id, sender, text, timezone.now()))
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def telegram(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return _refuse("telegram", 413, "too large")
    received = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    gateway = next(
        (
            g
            for g in _gateways(GatewayKind.TELEGRAM)
            if telegram_secret_is_valid(g.secret, received)
        ),
        None,
    )
    if gateway is None:
        return _refuse("telegram", 403, "secret")
    update = _json(request.body)
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return _refuse("telegram", 400, "not an update")
    message = update.get("message")
    if not isinstance(message, dict):
        return JsonResponse({})  # edits, channel posts and the like: nothing to do
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return _refuse("telegram", 400, "fields")
    text = message.get("text") or message.get("caption") or ""
    latitude, longitude = _location(message.get("location"))
    if not isinstance(text, str):
        return _refuse("telegram", 400, "fields")
    _accepted(
        "telegram",
        Delivery(
            gateway,
            str(update["update_id"]),
            str(chat_id),
            text,
            timezone.now(),
            latitude=latitude,
            longitude=longitude,
        ),
    )
    return JsonResponse({})


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _location(value: object) -> tuple[float | None, float | None]:
    # A location that does not make sense is dropped; the message itself still counts.
    if not isinstance(value, dict):
        return None, None
    try:
        location = checked_location(value.get("latitude"), value.get("longitude"))
    except ValueError:
        return None, None
    return location if location is not None else (None, None)
