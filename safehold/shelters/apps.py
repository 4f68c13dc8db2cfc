from django.apps import AppConfig


class SheltersConfig(AppConfig):
    name = "safehold.shelters"
    label = "shelters"
    default_auto_field = "django.db.models.BigAutoField"
