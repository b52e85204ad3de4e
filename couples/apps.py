from django.apps import AppConfig


class CouplesConfig(AppConfig):
    name = "couples"
    verbose_name = "People, pairs and their shared event log"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from couples.fields import framework_words, strict_json_types
        from couples.services import session_logged_out

        strict_json_types()
        framework_words()
        user_logged_out.connect(session_logged_out, dispatch_uid="porchlight_logout_sockets")
