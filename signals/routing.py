from django.urls import path

from signals.consumers import CoupleConsumer

websocket_urlpatterns = [path("ws/", CoupleConsumer.as_asgi())]
