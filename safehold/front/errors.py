"""Error pages that explain what to do and show no detail of what went wrong."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "front/errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "front/errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The same page for "does not exist" and "not yours": see the gatekeepers.
    return render(request, "front/errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may lie in the database or a context processor.
    return HttpResponse(loader.get_template("front/errors/500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form (expired page or foreign site) without echoing the reason."""
    return render(request, "front/errors/csrf.html", status=403)
