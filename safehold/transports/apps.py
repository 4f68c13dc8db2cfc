from django.apps import AppConfig


class TransportsConfig(AppConfig):
    name = "safehold.transports"
    label = "transports"
    verbose_name = "Transports"
