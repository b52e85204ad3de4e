import logging

from couples.logs import RedactSecrets


def test_it_blanks_tickets_in_server_log_lines():
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws/?ticket=SECRETsecret-_1&after=4"),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line
    assert "after=4" in line


def test_it_blanks_a_calendar_feeds_secret_in_server_log_lines():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/cal/SECRETsecret-_1.ics", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line
    assert "/cal/….ics" in line
