import logging
import re

SECRETS = [
    (re.compile(r"ticket=[^&\s\"']+"), "ticket=…"),
    (re.compile(r"/cal/[^/\s\"'?]+\.ics"), "/cal/….ics"),
]


def _redacted(text: str) -> str:
    for secret, blank in SECRETS:
        text = secret.sub(blank, text)
    return text


class RedactSecrets(logging.Filter):
    """Servers log request URLs; a websocket ticket or a calendar feed's secret in one is
    a credential, so blank it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_redacted(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _redacted(record.msg)
        return True
