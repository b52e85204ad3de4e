from django.apps import AppConfig


class CouplesConfig(AppConfig):
    name = "couples"
    verbose_name = "People, pairs and their shared event log"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from couples.services import auth_key_for_session, user_logged_out as close_login_sockets

        def close_sockets_of_session(sender, request, user, **kwargs):
            # Logging out does not reach an open socket by itself: its scope keeps the
            # session it started with.
            if user is not None and request is not None:
                auth_key = auth_key_for_session(request.session.session_key)
                close_login_sockets(user=user, auth_key=auth_key)

        user_logged_out.connect(close_sockets_of_session, dispatch_uid="porchlight_logout_sockets")
