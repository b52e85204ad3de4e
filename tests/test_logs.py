import logging

from couples.logs import RedactTickets


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
    RedactTickets().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line
    assert "after=4" in line
