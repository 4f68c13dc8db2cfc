from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "safehold.front"
    label = "front"
    default_auto_field = "django.db.models.BigAutoField"
