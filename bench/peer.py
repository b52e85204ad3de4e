"""The peer: the way most Channels apps are written (the Channels tutorial's chat
consumer): join a group per room, write each message to the database, group_send it.
Run with DJANGO_SETTINGS_MODULE=bench.peer_settings."""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peer_settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402

urlpatterns = []


@database_sync_to_async
def save(room: str, body: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_message (room, body) VALUES (%s, %s)", [room, body])


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room = self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(f"chat_{self.room}", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(f"chat_{self.room}", self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        message = json.loads(text_data)["message"]
        await save(self.room, message)
        await self.channel_layer.group_send(f"chat_{self.room}", {"type": "chat.message", "message": message})

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({"message": event["message"]}))


application = ProtocolTypeRouter(
    {"http": django_app, "websocket": URLRouter([path("ws/chat/<str:room>/", ChatConsumer.as_asgi())])}
)
