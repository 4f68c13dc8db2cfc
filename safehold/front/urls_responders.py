"""URLs of the responder profiles and the playbook editor (included by safehold.urls)."""

from __future__ import annotations

from django.urls import path

from safehold.front.views import playbooks, responders

urlpatterns = [
    # The signed-in member's own responder profile
    path("account/responder/", responders.my_responder_profile, name="my_responder_profile"),
    path(
        "account/responder/availability/",
        responders.my_availability,
        name="my_availability",
    ),
    # The organisation's responders, for its coordinators and admins
    path("responders/", responders.responder_list, name="responder_list"),
    path("responders/<uuid:member_id>/", responders.responder_edit, name="responder_edit"),
    # Playbooks, one per kind of incident
    path("playbooks/", playbooks.playbook_list, name="playbook_list"),
    path("playbooks/<str:kind>/", playbooks.playbook_edit, name="playbook_edit"),
    path("playbooks/<str:kind>/name/", playbooks.playbook_rename, name="playbook_rename"),
]
