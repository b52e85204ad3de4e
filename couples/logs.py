import logging
import re

TICKET = re.compile(r"ticket=[^&\s\"']+")


class RedactTickets(logging.Filter):
    """Servers log the websocket URL; a ticket in it is a credential, so blank it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(TICKET.sub("ticket=…", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = TICKET.sub("ticket=…", record.msg)
        return True
