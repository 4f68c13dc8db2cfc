from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Channels, escalation policies, alerts, the notification outbox and the worker."""

    name = "safehold.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"
