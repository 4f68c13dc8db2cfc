from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "safehold.incidents"
    label = "incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The worker lives below this app; it runs these passes on every tick.
        from safehold.alerts.worker import register_pass
        from safehold.incidents.dispatch import move_on_unanswered
        from safehold.incidents.overdue import escalate_overdue_tasks

        register_pass("tasks_overdue", escalate_overdue_tasks)
        register_pass("dispatch_moved_on", move_on_unanswered)
