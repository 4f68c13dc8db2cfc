"""The signed-in member's own notification channels, tried in order when an alert
calls them. Nobody sees or changes another member's channels: those are 404.

Channel addresses hold phone numbers, e-mail addresses and tokens, so lists show only
the kind (the Apprise scheme) and the member's own label.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from safehold.accounts.models import Member
from safehold.alerts.channel_actions import (
    MAX_CHANNELS,
    add_channel,
    move_channel,
    remove_channel,
    send_test_message,
)
from safehold.alerts.models import Channel
from safehold.front.forms.alerts import ChannelForm, MoveChannelForm
from safehold.front.helpers import MASK, current_member, show_action_errors
from safehold.transports.base import FailureKind

# What a member can do about each way a test message fails, in words for them.
TEST_FAILURE_MESSAGES = {
    FailureKind.BAD_URL: gettext_lazy(
        "Safehold cannot use this channel's address. Remove the channel and add it again "
        "with a corrected address."
    ),
    FailureKind.REJECTED: gettext_lazy(
        "The service refused the message. Check the address, user name, password or "
        "token in the channel's address."
    ),
    FailureKind.REFUSED: gettext_lazy(
        "Nothing answered at the channel's server: the connection was refused. Check the "
        "server name and port in the address, or try again later."
    ),
    FailureKind.UNREACHABLE: gettext_lazy(
        "The channel's server could not be found or reached. Check the server name in "
        "the address, or try again later."
    ),
    FailureKind.TIMEOUT: gettext_lazy(
        "The service did not answer in time. The message may still arrive; if it does "
        "not, try again later."
    ),
    FailureKind.UNAVAILABLE: gettext_lazy(
        "The service is overloaded or down at the moment. Try again later."
    ),
    FailureKind.TLS: gettext_lazy(
        "A secure connection to the service could not be set up: its certificate or "
        "encryption was not accepted."
    ),
    FailureKind.FAILED: gettext_lazy(
        "Try again later; if it keeps failing, check the channel's address."
    ),
}


def own_channel(member: Member, channel_id: Any) -> Channel:
    """Return one of `member`'s channels, or raise Http404 alike for anyone else's."""
    try:
        return Channel.objects.select_related("member").get(pk=channel_id, member=member)
    except (Channel.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def masked_url(channel: Channel) -> str:
    """Return how a channel's address is shown: its scheme, nothing of the rest."""
    return f"{channel.scheme}://{MASK}"


def _page(request: HttpRequest, form: ChannelForm | None = None) -> HttpResponse:
    member = current_member(request)
    channels = list(Channel.objects.filter(member=member).order_by("position"))
    context = {
        "rows": [(channel, masked_url(channel)) for channel in channels],
        "form": form or ChannelForm(),
        "is_full": len(channels) >= MAX_CHANNELS,
        "has_active": any(channel.is_active for channel in channels),
    }
    return render(request, "front/channels/list.html", context)


@require_safe
def channel_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@sensitive_variables("form")
@sensitive_post_parameters("url")
@require_POST
def channel_add(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    form = ChannelForm(request.POST)
    if form.is_valid():
        try:
            add_channel(member, form.cleaned_data["url"], form.cleaned_data["label"], actor=member)
        except ValidationError as error:
            show_action_errors(form, error, default_field="url")
        else:
            messages.success(request, _("The channel was added."))
            return redirect("channel_list")
    return _page(request, form)


@require_POST
def channel_remove(request: HttpRequest, channel_id: Any) -> HttpResponse:
    member = current_member(request)
    remove_channel(own_channel(member, channel_id), actor=member)
    messages.success(request, _("The channel was removed."))
    return redirect("channel_list")


@require_POST
def channel_move(request: HttpRequest, channel_id: Any) -> HttpResponse:
    member = current_member(request)
    channel = own_channel(member, channel_id)
    form = MoveChannelForm(request.POST)
    if form.is_valid():
        move_channel(channel, up=form.cleaned_data["direction"] == "up", actor=member)
    else:
        messages.error(request, _("Choose whether to move the channel up or down."))
    return redirect("channel_list")


@require_POST
def channel_test(request: HttpRequest, channel_id: Any) -> HttpResponse:
    member = current_member(request)
    result = send_test_message(own_channel(member, channel_id), actor=member)
    if result.is_sent:
        messages.success(
            request, _("The test message was handed to the service. Check that it arrived.")
        )
    elif result.is_too_soon:
        messages.info(
            request,
            ngettext(
                "This channel was tested a moment ago. Wait %(count)s second before "
                "testing it again.",
                "This channel was tested a moment ago. Wait %(count)s seconds before "
                "testing it again.",
                result.retry_in_seconds,
            )
            % {"count": result.retry_in_seconds},
        )
    else:
        explanation = TEST_FAILURE_MESSAGES[result.failure or FailureKind.FAILED]
        messages.error(
            request,
            _("The test message could not be sent. %(explanation)s") % {"explanation": explanation},
        )
    return redirect("channel_list")
