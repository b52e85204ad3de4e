"""The floor: a bare ASGI websocket relay under the same server. /relay/<room>/: every
text frame goes to the room's other sockets. No Django, no broker, one process."""

import collections

rooms: dict[str, set] = collections.defaultdict(set)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    room = scope["path"].strip("/").split("/")[-1]
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    rooms[room].add(send)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            for other in list(rooms[room]):
                if other is not send:
                    await other({"type": "websocket.send", "text": message.get("text") or ""})
    finally:
        rooms[room].discard(send)
