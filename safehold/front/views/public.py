"""Pages reached without signing in: the person's check-in link, the check-in API and
the responder's one-tap acknowledgement link. Each is named in `front.public`.

They set no cookies, need no JavaScript, and answer a wrong or expired link with the
same neutral "not found" as any missing page. The person's page wears the disguise a
coordinator chose (`checkins.disguises`) and never names Safehold or its purpose.
"""

from __future__ import annotations

import json
import secrets
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from safehold.alerts.actions import PanicReport, acknowledge_alert, open_panic
from safehold.alerts.links import notification_id_from
from safehold.alerts.messages import kind_words
from safehold.alerts.models import AlertKind, Notification
from safehold.alerts.worker import wake_workers
from safehold.cases.models import Person
from safehold.checkins.disguises import Disguise, disguise_for, language_for
from safehold.checkins.models import Channel as CheckinChannel
from safehold.checkins.models import CheckinSecret
from safehold.checkins.service import CheckinResult, check_in, find_secret_by_link
from safehold.front.alert_facts import alert_report, next_steps
from safehold.incidents.dispatch import accept_dispatch, decline_dispatch
from safehold.incidents.models import Dispatch
from safehold.lib.geo import checked_location

MAX_PIN_LENGTH = 32
MAX_BODY = 4096


# The panic button's name on the personal page. It travels in the POST body to the
# page's own URL, so neither the address bar nor the history ever names its purpose.
SEND_BUTTON = "send"
# What the personal page says above its forms: nothing, saved, try again, wait.
Notice = Literal["", "done", "retry", "wait"]


def _new_request_id() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class _PageLook:
    disguise: Disguise
    language: str | None  # None: the browser's language, as the middleware chose it


def _look_of(secret: CheckinSecret) -> _PageLook:
    # `find_secret_by_link` reads ids only (the check-in's hot path); the page's face
    # costs one more primary-key read, and only here.
    row = (
        CheckinSecret.objects.filter(pk=secret.pk).values_list("disguise", "page_language").first()
    )
    disguise, language = row if row is not None else ("", "")
    return _PageLook(disguise_for(disguise), language_for(language))


def _notice_of(result: CheckinResult) -> Notice:
    # Both PINs give "accepted", so the duress PIN gets the very same page.
    notices: dict[str, Notice] = {"accepted": "done", "wrong_pin": "retry", "slow_down": "wait"}
    return notices[result.status]


def _personal_page(
    request: HttpRequest, secret: CheckinSecret, *, notice: Notice = "", wait_seconds: int = 0
) -> HttpResponse:
    """Render the person's disguised page with `notice` above its forms.

    Only the disguise, the notice and a fresh request id shape it: a check-in with either
    PIN and a press of the panic button all read "done" and look the same.
    """
    look = _look_of(secret)
    chosen = translation.override(look.language) if look.language else nullcontext()
    with chosen:
        response = render(
            request,
            "front/public/checkin.html",
            {
                "disguise": look.disguise,
                "notice": notice,
                "wait_seconds": wait_seconds,
                "request_id": _new_request_id(),
                "send_button": SEND_BUTTON,
            },
        )
        # LocaleMiddleware would otherwise name the browser's language, not the page's.
        response["Content-Language"] = translation.get_language()
    # The secret link must never leave in a Referer, even to this site's other pages.
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # the PIN is the credential; a cookie a cheap phone drops must not silence it
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_page(request: HttpRequest, token: str) -> HttpResponse:
    """The person's secret page: a PIN box and the panic button, without JavaScript.

    Both forms post here, so the browser's history holds one neutral address; the panic
    button is told apart by its name in the body.
    """
    secret = find_secret_by_link(token)
    if secret is None:
        raise Http404
    if request.method != "POST":
        return _personal_page(request, secret)
    if SEND_BUTTON in request.POST:
        # Checked first: a body that somehow carries a PIN too still calls for help.
        _panic(secret.person_id, CheckinChannel.WEB, request.POST.get("text", ""))
        return _personal_page(request, secret, notice="done")
    pin = request.POST.get("pin", "")[:MAX_PIN_LENGTH]
    request_id = request.POST.get("request_id", "")[:64] or _new_request_id()
    result = check_in(
        secret, pin, channel=CheckinChannel.WEB, request_id=request_id, now=timezone.now()
    )
    return _personal_page(
        request, secret, notice=_notice_of(result), wait_seconds=result.retry_after_seconds
    )


@csrf_exempt  # as the check-in page: nothing but the secret link is needed
@require_POST
def checkin_sos(request: HttpRequest, token: str) -> HttpResponse:
    """The panic button's former address: a panic at once, no PIN asked.

    The page now posts its panic button to its own URL (no "sos" in any history); this
    route stays so that a page loaded before that change still calls for help. The
    answer is the same neutral page as after a check-in.
    """
    secret = find_secret_by_link(token)
    if secret is None:
        raise Http404
    _panic(secret.person_id, CheckinChannel.WEB, request.POST.get("text", ""))
    return _personal_page(request, secret, notice="done")


def _panic(
    person_id: uuid.UUID, channel: str, text: str, location: tuple[float, float] | None = None
) -> None:
    person = Person.objects.get(pk=person_id)
    report = PanicReport(
        channel=channel,
        received_at=timezone.now(),
        text=text[:1000] if isinstance(text, str) else "",
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
    )
    open_panic(person, report)
    transaction.on_commit(wake_workers)


@csrf_exempt
@require_POST
def panic_api(request: HttpRequest) -> JsonResponse:
    """POST {"link", optional "text", "latitude", "longitude"}: raise a panic at once."""
    payload = _json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    link, text = payload.get("link"), payload.get("text", "")
    if not isinstance(link, str) or not link or not isinstance(text, str):
        return _json_error(400, "link_required")
    try:
        location = checked_location(payload.get("latitude"), payload.get("longitude"))
    except ValueError:
        return _json_error(400, "bad_location")
    secret = find_secret_by_link(link)
    if secret is None:
        return _json_error(404, "unknown_link")
    _panic(secret.person_id, CheckinChannel.API, text, location)
    return JsonResponse({"status": "received"})


def _json_error(status: int, code: str) -> JsonResponse:
    return JsonResponse({"error": code}, status=status)


def _json_object(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """Return the request's JSON object, or the error response that refuses it."""
    if len(request.body) > MAX_BODY:
        return _json_error(413, "too_large")
    try:
        payload: Any = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, "not_json")
    if not isinstance(payload, dict):
        return _json_error(400, "not_an_object")
    return payload


@csrf_exempt
@require_POST
def checkin_api(request: HttpRequest) -> JsonResponse:
    """POST {"link", "pin", "request_id"}: check in. The duress PIN answers alike."""
    payload = _json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    link, pin, request_id = (payload.get(k) for k in ("link", "pin", "request_id"))
    if not (isinstance(link, str) and isinstance(pin, str) and isinstance(request_id, str)) or not (
        link and pin and request_id
    ):
        return _json_error(400, "link_pin_and_request_id_required")
    if len(request_id) > 64 or len(pin) > MAX_PIN_LENGTH or len(link) > 200:
        return _json_error(400, "too_long")
    secret = find_secret_by_link(link)
    if secret is None:
        return _json_error(404, "unknown_link")
    result = check_in(
        secret, pin, channel=CheckinChannel.API, request_id=request_id, now=timezone.now()
    )
    body: dict[str, Any] = {"status": result.status}
    if result.next_deadline is not None:
        body["next_deadline"] = result.next_deadline.isoformat()
    if result.status == "slow_down":
        response = JsonResponse(body | {"retry_after": result.retry_after_seconds}, status=429)
        response["Retry-After"] = str(result.retry_after_seconds)
        return response
    return JsonResponse(body, status=200 if result.status == "accepted" else 403)


def _notification_for(token: str) -> Notification:
    notification_id = notification_id_from(token)
    if notification_id is None:
        raise Http404
    try:
        return Notification.objects.select_related("alert", "alert__person", "member").get(
            pk=notification_id, member__is_active=True
        )
    except Notification.DoesNotExist as missing:
        raise Http404 from missing


@csrf_exempt  # the signed link is the credential, and it can do one thing only
@require_http_methods(["GET", "HEAD", "POST"])
def alert_ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """A responder's one-tap page: what the alert is, what this member may know about it,
    what to do next, and a button to acknowledge it.

    Opening the link changes nothing (mail scanners open links); the button does. The
    link speaks for its member only, so the page shows what the signed-in alert page
    would show that member (`front.alert_facts`).
    """
    notification = _notification_for(token)
    alert = notification.alert
    if alert.kind == AlertKind.DISPATCH:
        return _dispatch_answer(request, notification)
    acknowledged_now = False
    if request.method == "POST":
        acknowledged_now = acknowledge_alert(alert, actor=notification.member, via="link")
        if acknowledged_now:
            transaction.on_commit(wake_workers)
        alert.refresh_from_db()
    member = notification.member
    response = render(
        request,
        "front/public/ack.html",
        {
            "alert": alert,
            "notification": notification,
            # The notifications' words: a phone's screen may be seen by others, so a
            # duress check-in reads as any urgent alert here too.
            "kind_words": kind_words(alert.kind),
            "acknowledged_now": acknowledged_now,
            "acknowledged_by_you": alert.acknowledged_by_id == member.pk,
            "report": alert_report(alert, member),
            "next_steps": next_steps(alert),
        },
    )
    # The token is this member's credential: never hand it on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _dispatch_answer(request: HttpRequest, notification: Notification) -> HttpResponse:
    """A request to go, answered from the message: accept or decline. The address is
    never on this page: it waits behind the responder's login."""
    dispatch = Dispatch.objects.filter(alert=notification.alert).first()
    if dispatch is None or dispatch.responder_id != notification.member_id:
        raise Http404
    error = ""
    if request.method == "POST":
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                accept_dispatch(dispatch, actor=notification.member)
            elif answer == "decline":
                decline_dispatch(dispatch, actor=notification.member)
                transaction.on_commit(wake_workers)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        dispatch.refresh_from_db()
    return render(
        request,
        "front/public/dispatch_answer.html",
        {"dispatch": dispatch, "incident": dispatch.incident, "error": error},
    )


@csrf_exempt
@require_POST
def alert_ack_api(request: HttpRequest) -> JsonResponse:
    """POST {"token"}: acknowledge with the token of a notification's link (bots, apps)."""
    payload = _json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    token = payload.get("token")
    if not isinstance(token, str) or not token or len(token) > 200:
        return _json_error(400, "token_required")
    try:
        notification = _notification_for(token)
    except Http404:
        return _json_error(404, "unknown_or_expired")
    acknowledged = acknowledge_alert(notification.alert, actor=notification.member, via="api")
    if acknowledged:
        transaction.on_commit(wake_workers)
    notification.alert.refresh_from_db()
    return JsonResponse(
        {
            "code": notification.alert.code,
            "state": notification.alert.state,
            "acknowledged_now": acknowledged,
        }
    )
