"""Signing in and out."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safehold.accounts import throttle
from safehold.accounts.actions import set_password
from safehold.front.forms.auth import LoginForm
from safehold.front.helpers import current_member
from safehold.lib.net import client_address


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _render(request: HttpRequest, form: LoginForm, *, status: int = 200) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "front/auth/login.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Show the sign-in form; sign in, throttled per account and per address."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    if request.method != "POST":
        return _render(request, LoginForm())
    form = LoginForm(request.POST)
    if not form.is_valid():
        return _render(request, form)
    email = form.cleaned_data["email"]
    address = client_address(request)
    verdict = throttle.begin_attempt(email, address)
    if not verdict.allowed:
        response = render(
            request,
            "front/auth/throttled.html",
            {"seconds": verdict.retry_after_seconds},
            status=429,
        )
        response["Retry-After"] = str(verdict.retry_after_seconds)
        return response
    member = authenticate(request, username=email, password=form.cleaned_data["password"])
    if member is None:
        # One answer for a wrong password, an unknown address and a disabled account,
        # so the form cannot tell anyone who has an account. The attempt was charged.
        form.add_error(None, _("The e-mail address or the password is not right."))
        return _render(request, form)
    throttle.record_success(email, address)
    login(request, member)  # a new session key: a planted session id is useless
    return redirect(_next_url(request))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Let a member choose a new password; required after a one-time password."""
    member = current_member(request)
    form = PasswordChangeForm(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_password(member, form.cleaned_data["new_password1"], actor=member)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            update_session_auth_hash(request, member)  # stay signed in on this device only
            messages.success(request, _("Your password was changed."))
            return redirect("home")
    return render(
        request,
        "front/auth/password_change.html",
        {"form": form, "is_required": member.must_change_password},
    )
