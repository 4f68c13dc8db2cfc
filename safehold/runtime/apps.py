from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """Commands that run or seed a whole installation: `serve`, `demo`."""

    name = "safehold.runtime"
    label = "runtime"
