"""Once a PostgreSQL function that set a light in one statement; a light is now written
through the ORM like every other event (signals.services.signal_set). Kept, empty, so
that databases which applied it keep a consistent migration history; 0007 drops the
function where it exists."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("signals", "0005_span_ending_index"),
        ("couples", "0004_history"),
    ]

    operations = []
