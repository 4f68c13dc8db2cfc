"""A network with gateways, a person with a phone and PINs, and signed requests.

Requests go over real HTTP to the app served by pytest-django's live server; the
signatures are computed with the same published schemes the gateways use (their
test vectors are checked in safehold/crypto/tests/test_webhook_signatures.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from safehold.alerts.tests.helpers import DURESS_PIN, PIN, add_channel, watch
from safehold.crypto.webhooks import android_gateway_signature, twilio_signature
from safehold.inbound.models import AddressKind, Gateway, GatewayKind
from safehold.inbound.service import add_sender
from safehold.testing import World
from safehold.testing_servers import HttpReceiver

PERSON_PHONE = "+79161234567"
MEMBER_PHONE = "+79037654321"
STRANGER_PHONE = "+79991112233"
TWILIO_TOKEN = "twilio-auth-token-LEAKCHECK"
ANDROID_KEY = "android-signing-key-LEAKCHECK"
TELEGRAM_SECRET = "telegram_secret-LEAKCHECK"

__all__ = ["DURESS_PIN", "PIN", "Network", "Response", "build_network"]


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass
class Network:
    world: World
    base_url: str
    receiver: HttpReceiver
    twilio: Gateway
    android: Gateway
    telegram: Gateway
    link: str

    # --- Twilio ------------------------------------------------------------------
    def twilio_post(
        self, body: str, *, sender: str = PERSON_PHONE, sid: str = "SM1", forge: bool = False
    ) -> Response:
        params = {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body,
                  "NumMedia": "0", "ToCity": ""}  # fmt: skip
        url = self.base_url + "/hooks/sms/twilio"
        token = "wrong-token" if forge else TWILIO_TOKEN
        signature = twilio_signature(token, url, {k: [v] for k, v in params.items()})
        data = urllib.parse.urlencode(params).encode()
        return post(
            url,
            data,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )

    # --- SMS Gateway for Android -------------------------------------------------------
    def android_event(
        self, text: str, *, sender: str = PERSON_PHONE, event_id: str = "ev1"
    ) -> bytes:
        return json.dumps(
            {
                "deviceId": "ffffffffceb0b1db0000018e937c815b",
                "event": "sms:received",
                "id": event_id,
                "payload": {
                    # Derived from the text, so two equal cries share it.
                    "messageId": "same-for-equal-text",
                    "message": text,
                    "phoneNumber": sender,
                    "simNumber": 1,
                    "receivedAt": "2026-11-22T15:46:11.000+03:00",
                },
                "webhookId": "wh-1",
            },
            ensure_ascii=False,
        ).encode()

    def android_post(
        self, body: bytes, *, key: str = ANDROID_KEY, timestamp: int | None = None
    ) -> Response:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = android_gateway_signature(key, body, stamp)
        return post(
            self.base_url + "/hooks/sms/android",
            body,
            {"Content-Type": "application/json", "X-Signature": signature, "X-Timestamp": stamp},
        )

    # --- Telegram -----------------------------------------------------------------
    def telegram_post(
        self, update: dict[str, Any] | bytes, *, secret: str = TELEGRAM_SECRET
    ) -> Response:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        return post(
            self.base_url + "/hooks/telegram",
            body,
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
        )


def telegram_update(update_id: int, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    message = {
        "message_id": update_id,
        "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
        "chat": {"id": chat_id, "type": "private"},
        "date": int(time.time()),
        "text": text,
        **extra,
    }
    return {"update_id": update_id, "message": message}


def post(url: str, data: bytes, headers: dict[str, str]) -> Response:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Response(answer.status, answer.read(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(), dict(error.headers))


def build_network(world: World, base_url: str, receiver: HttpReceiver) -> Network:
    """Gateways for the world's organisation, replies to `receiver`, and the cast."""
    world.person.coordinator = world.coordinator
    world.person.save()
    link = watch(world.person, now=timezone.now())  # not overdue while a test runs
    # The world's person already has PERSON_PHONE on their case.
    add_channel(world.coordinator, receiver.url("/coordinator"))
    add_channel(world.responder, receiver.url("/responder-1"), position=1)
    add_channel(world.responder, receiver.url("/responder-2"), position=2)
    add_sender(kind=AddressKind.PHONE, address=MEMBER_PHONE, member=world.coordinator)

    def gateway(kind: str, secret: str, public_url: str = "") -> Gateway:
        return Gateway.objects.create(
            organisation=world.organisation,
            kind=kind,
            label=kind,
            secret=secret,
            public_url=public_url,
            reply_url=receiver.url(f"/replies/{kind}"),
            intake_compartment=world.compartment,
        )

    return Network(
        world=world,
        base_url=base_url,
        receiver=receiver,
        twilio=gateway(GatewayKind.TWILIO, TWILIO_TOKEN, base_url + "/hooks/sms/twilio"),
        android=gateway(GatewayKind.ANDROID, ANDROID_KEY),
        telegram=gateway(GatewayKind.TELEGRAM, TELEGRAM_SECRET),
        link=link,
    )
