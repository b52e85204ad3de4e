"""A look at a PostgreSQL connection without a round trip, for the database backend
(config/postgresql) and the event loop's own connection (signals.inloop) alike."""

import select


def connection_ended(conn) -> bool:
    """Has the server ended this connection, between queries? An idle connection has
    nothing to say, so a socket with something to read means the server ended it (a
    restart: its farewell, then the close). No round trip. One that died without a word
    (a network cut) passes, and its next query fails, as it would have after a ping.
    poll, not select: a worker with a thousand sockets has descriptors past select's
    limit."""
    if conn.closed or conn.broken:
        return True
    idle = select.poll()
    idle.register(conn.fileno(), select.POLLIN)
    return bool(idle.poll(0))
