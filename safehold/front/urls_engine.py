"""URLs of the check-in, alert, channel and escalation pages (included by safehold.urls).

Every route needs a signed-in member; records are addressed by UUID only. Changes are
POSTs to their own URL, answered with a redirect back to the page.
"""

from __future__ import annotations

from django.urls import path

from safehold.front.views import alerts, channels, escalation, inbound, schedules

urlpatterns = [
    # A person's check-ins
    path(
        "persons/<uuid:person_id>/checkins/",
        schedules.person_checkins,
        name="person_checkins",
    ),
    path(
        "persons/<uuid:person_id>/checkins/schedule/",
        schedules.person_checkins_schedule,
        name="person_checkins_schedule",
    ),
    path(
        "persons/<uuid:person_id>/checkins/pins/",
        schedules.person_checkins_pins,
        name="person_checkins_pins",
    ),
    path(
        "persons/<uuid:person_id>/checkins/link/",
        schedules.person_checkins_link,
        name="person_checkins_link",
    ),
    path(
        "persons/<uuid:person_id>/checkins/disguise/",
        schedules.person_checkins_disguise,
        name="person_checkins_disguise",
    ),
    path(
        "persons/<uuid:person_id>/checkins/pause/",
        schedules.person_checkins_pause,
        name="person_checkins_pause",
    ),
    path(
        "persons/<uuid:person_id>/checkins/resume/",
        schedules.person_checkins_resume,
        name="person_checkins_resume",
    ),
    path(
        "persons/<uuid:person_id>/checkins/heightened/",
        schedules.person_checkins_heightened,
        name="person_checkins_heightened",
    ),
    # A person's own words and Telegram accounts
    path(
        "persons/<uuid:person_id>/checkins/sms-telegram/",
        inbound.person_inbound,
        name="person_inbound",
    ),
    path(
        "persons/<uuid:person_id>/checkins/sms-telegram/words/",
        inbound.person_inbound_words,
        name="person_inbound_words",
    ),
    path(
        "persons/<uuid:person_id>/checkins/sms-telegram/link-code/",
        inbound.person_inbound_link_code,
        name="person_inbound_link_code",
    ),
    path(
        "persons/<uuid:person_id>/checkins/sms-telegram/unlink/",
        inbound.person_inbound_unlink,
        name="person_inbound_unlink",
    ),
    path(
        "persons/<uuid:person_id>/alerts/new/",
        alerts.person_raise_alert,
        name="person_raise_alert",
    ),
    # Alerts
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/<uuid:alert_id>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<uuid:alert_id>/ack/", alerts.alert_ack, name="alert_ack"),
    path("alerts/<uuid:alert_id>/resolve/", alerts.alert_resolve, name="alert_resolve"),
    # Cries for help from unknown senders
    path("intake/", inbound.intake_list, name="intake_list"),
    # The signed-in member's notification channels
    path("account/channels/", channels.channel_list, name="channel_list"),
    path("account/channels/new/", channels.channel_add, name="channel_add"),
    path(
        "account/channels/<uuid:channel_id>/remove/",
        channels.channel_remove,
        name="channel_remove",
    ),
    path(
        "account/channels/<uuid:channel_id>/move/",
        channels.channel_move,
        name="channel_move",
    ),
    path(
        "account/channels/<uuid:channel_id>/test/",
        channels.channel_test,
        name="channel_test",
    ),
    # Escalation ladders and duty rosters
    path("escalation/", escalation.escalation_index, name="escalation_index"),
    path(
        "compartments/<uuid:compartment_id>/escalation/",
        escalation.escalation_policy,
        name="escalation_policy",
    ),
    path(
        "compartments/<uuid:compartment_id>/escalation/save/",
        escalation.escalation_save,
        name="escalation_save",
    ),
    path(
        "compartments/<uuid:compartment_id>/escalation/shifts/new/",
        escalation.escalation_shift_add,
        name="escalation_shift_add",
    ),
    path(
        "compartments/<uuid:compartment_id>/escalation/shifts/<uuid:shift_id>/remove/",
        escalation.escalation_shift_remove,
        name="escalation_shift_remove",
    ),
]
