from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "safehold.inbound"
    label = "inbound"
    default_auto_field = "django.db.models.BigAutoField"
