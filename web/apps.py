from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "The phone app: its pages, scripts and service worker"
