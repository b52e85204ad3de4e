from django.apps import AppConfig


class RhythmsConfig(AppConfig):
    name = "rhythms"
    verbose_name = "Connection and autonomy time, previews and reunions"
