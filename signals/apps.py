from django.apps import AppConfig


class SignalsConfig(AppConfig):
    name = "signals"
    verbose_name = "Need lights, the live socket and the couple snapshot"

    def ready(self):
        from couples.bell import bell_on_back
        from signals.sockets import resync_all

        # Rings lost while Redis was away: every socket here catches up from the log.
        bell_on_back(resync_all)
