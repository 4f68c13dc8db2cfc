"""URLs of the web interface. Records are addressed by UUID only, never by name."""

from __future__ import annotations

from django.urls import include, path

from safehold.front.views import (
    auth,
    board,
    documents,
    home,
    hooks,
    person_parts,
    persons,
    placements,
    public,
    safe_houses,
)

handler400 = "safehold.front.errors.bad_request"
handler403 = "safehold.front.errors.permission_denied"
handler404 = "safehold.front.errors.page_not_found"
handler500 = "safehold.front.errors.server_error"

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/live/", home.home_live, name="home_live"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/password/", auth.password_change, name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public: the person's secret check-in link, the check-in API, one-tap acknowledgement.
    path("c/<str:token>/", public.checkin_page, name="checkin_page"),
    # The panic button now posts to the page's own URL; this address only answers pages
    # loaded before that change, so none of them fails to call for help.
    path("c/<str:token>/sos/", public.checkin_sos, name="checkin_sos"),
    path("api/v1/checkin", public.checkin_api, name="checkin_api"),
    path("api/v1/panic", public.panic_api, name="panic_api"),
    path("a/<str:token>/", public.alert_ack_link, name="alert_ack_link"),
    path("api/v1/ack", public.alert_ack_api, name="alert_ack_api"),
    # Public: gateways delivering SMS and Telegram messages, each proving its origin.
    path("hooks/sms/twilio", hooks.twilio_sms, name="hook_twilio_sms"),
    path("hooks/sms/android", hooks.android_sms, name="hook_android_sms"),
    path("hooks/telegram", hooks.telegram, name="hook_telegram"),
    path("", include("safehold.front.urls_engine")),
    path("", include("safehold.front.urls_incidents")),
    path("", include("safehold.front.urls_responders")),
    # Persons
    path("persons/", persons.person_list, name="person_list"),
    path("board/", board.pipeline_board, name="pipeline_board"),
    path("persons/new/", persons.person_create, name="person_create"),
    path("persons/<uuid:person_id>/", persons.person_detail, name="person_detail"),
    path("persons/<uuid:person_id>/reveal/", persons.person_reveal, name="person_reveal"),
    path("persons/<uuid:person_id>/edit/", persons.person_edit, name="person_edit"),
    path(
        "persons/<uuid:person_id>/stage/", person_parts.person_move_stage, name="person_move_stage"
    ),
    path(
        "persons/<uuid:person_id>/phones/new/",
        person_parts.person_add_phone,
        name="person_add_phone",
    ),
    path(
        "persons/<uuid:person_id>/contacts/new/",
        person_parts.person_add_contact,
        name="person_add_contact",
    ),
    path(
        "persons/<uuid:person_id>/documents/new/",
        documents.document_create,
        name="document_create",
    ),
    path("documents/<uuid:document_id>/edit/", documents.document_edit, name="document_edit"),
    # Safe houses
    path("safe-houses/", safe_houses.safe_house_list, name="safe_house_list"),
    path("safe-houses/new/", safe_houses.safe_house_create, name="safe_house_create"),
    path(
        "safe-houses/<uuid:safe_house_id>/", safe_houses.safe_house_detail, name="safe_house_detail"
    ),
    path(
        "safe-houses/<uuid:safe_house_id>/reveal/",
        safe_houses.safe_house_reveal,
        name="safe_house_reveal",
    ),
    path(
        "safe-houses/<uuid:safe_house_id>/edit/",
        safe_houses.safe_house_edit,
        name="safe_house_edit",
    ),
    path(
        "safe-houses/<uuid:safe_house_id>/status/",
        safe_houses.safe_house_status,
        name="safe_house_status",
    ),
    path(
        "safe-houses/<uuid:safe_house_id>/place/",
        placements.placement_create,
        name="placement_create",
    ),
    path(
        "safe-houses/<uuid:safe_house_id>/placements/<uuid:placement_id>/end/",
        placements.placement_end,
        name="placement_end",
    ),
]
