"""Pages reached without signing in: the person's check-in link, the check-in API and
the responder's one-tap acknowledgement link. Each is named in `front.public`.

They set no cookies, need no JavaScript, and answer a wrong or expired link with the
same neutral "not found" as any missing page.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from safehold.alerts.actions import PanicReport, acknowledge_alert, open_panic
from safehold.alerts.links import notification_id_from
from safehold.alerts.messages import kind_words
from safehold.alerts.models import AlertKind, Notification
from safehold.alerts.worker import wake_workers
from safehold.cases.models import Person
from safehold.checkins.models import Channel as CheckinChannel
from safehold.checkins.service import CheckinResult, check_in, find_secret_by_link
from safehold.incidents.dispatch import accept_dispatch, decline_dispatch
from safehold.incidents.models import Dispatch
from safehold.lib.geo import checked_location

MAX_PIN_LENGTH = 32
MAX_BODY = 4096


def _new_request_id() -> str:
    return secrets.token_urlsafe(16)


def _checkin_answer(request: HttpRequest, result: CheckinResult | None, token: str) -> HttpResponse:
    # The same page and status for the normal and the duress PIN: only `result.status`
    # shapes it, and both PINs give "accepted".
    return render(
        request,
        "front/public/checkin.html",
        {"result": result, "token": token, "request_id": _new_request_id()},
    )


@csrf_exempt  # the PIN is the credential; a cookie a cheap phone drops must not silence it
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_page(request: HttpRequest, token: str) -> HttpResponse:
    """The person's secret check-in page: a PIN box that works without JavaScript."""
    secret = find_secret_by_link(token)
    if secret is None:
        raise Http404
    if request.method != "POST":
        return _checkin_answer(request, None, token)
    pin = request.POST.get("pin", "")[:MAX_PIN_LENGTH]
    request_id = request.POST.get("request_id", "")[:64] or _new_request_id()
    result = check_in(
        secret, pin, channel=CheckinChannel.WEB, request_id=request_id, now=timezone.now()
    )
    return _checkin_answer(request, result, token)


@csrf_exempt  # as the check-in page: nothing but the secret link is needed
@require_POST
def checkin_sos(request: HttpRequest, token: str) -> HttpResponse:
    """The SOS button on the person's page: a panic at once, no PIN asked.

    The page that follows says only "Saved.", as after a check-in, for whoever takes
    the phone next.
    """
    secret = find_secret_by_link(token)
    if secret is None:
        raise Http404
    _panic(secret.person_id, CheckinChannel.WEB, request.POST.get("text", ""))
    return render(
        request,
        "front/public/checkin.html",
        {"result": None, "sos_sent": True, "token": token, "request_id": _new_request_id()},
    )


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
    """A responder's one-tap page: what the alert is, and a button to acknowledge it.

    Opening the link changes nothing (mail scanners open links); the button does.
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
    return render(
        request,
        "front/public/ack.html",
        {
            "alert": alert,
            "notification": notification,
            "kind_words": kind_words(alert.kind),
            "acknowledged_now": acknowledged_now,
        },
    )


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
