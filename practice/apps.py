from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "The personal method: self-assessment, practices, asks and check-ins"
