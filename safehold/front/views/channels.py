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
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from safehold.accounts.models import Member
from safehold.alerts.channel_actions import (
    MAX_CHANNELS,
    add_channel,
    move_channel,
    remove_channel,
)
from safehold.alerts.models import Channel
from safehold.front.forms.alerts import ChannelForm, MoveChannelForm
from safehold.front.helpers import MASK, current_member, show_action_errors


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
