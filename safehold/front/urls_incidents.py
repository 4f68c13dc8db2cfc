"""URLs of the incident pages: incidents, their tasks, dispatch, evidence and timeline.

Every route needs a signed-in member; records are addressed by UUID only.
"""

from __future__ import annotations

from django.urls import path

from safehold.front.views import incident_work, incidents

urlpatterns = [
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new/", incidents.incident_create, name="incident_create"),
    path("incidents/statistics/", incidents.incident_stats, name="incident_stats"),
    path(
        "alerts/<uuid:alert_id>/incident/",
        incidents.incident_from_alert,
        name="incident_from_alert",
    ),
    path("incidents/<uuid:incident_id>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<uuid:incident_id>/note/", incidents.incident_note, name="incident_note"),
    path("incidents/<uuid:incident_id>/move/", incidents.incident_move, name="incident_move"),
    path("incidents/<uuid:incident_id>/close/", incidents.incident_close, name="incident_close"),
    path(
        "incidents/<uuid:incident_id>/tasks/<uuid:task_id>/done/",
        incidents.incident_task_done,
        name="incident_task_done",
    ),
    path(
        "incidents/<uuid:incident_id>/dispatch/",
        incident_work.incident_dispatch,
        name="incident_dispatch",
    ),
    path(
        "incidents/<uuid:incident_id>/dispatch/<uuid:dispatch_id>/on-site/",
        incident_work.incident_on_site,
        name="incident_on_site",
    ),
    path(
        "incidents/<uuid:incident_id>/evidence/",
        incident_work.incident_evidence_add,
        name="incident_evidence_add",
    ),
    path(
        "incidents/<uuid:incident_id>/evidence/<uuid:item_id>/download/",
        incident_work.incident_evidence_download,
        name="incident_evidence_download",
    ),
    path(
        "incidents/<uuid:incident_id>/evidence/<uuid:item_id>/verify/",
        incident_work.incident_evidence_verify,
        name="incident_evidence_verify",
    ),
    path(
        "incidents/<uuid:incident_id>/export/",
        incident_work.incident_export,
        name="incident_export",
    ),
    path("dispatches/<uuid:dispatch_id>/", incident_work.dispatch_page, name="dispatch_page"),
]
