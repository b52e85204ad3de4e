"""The practice's models now belong to the practice app (practice 0001): the tables stay,
only Django's state forgets them here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("signals", "0012_self_care"),
        ("practice", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel("SelfCare"),
                migrations.DeleteModel("Ask"),
                migrations.DeleteModel("Assessment"),
                migrations.DeleteModel("CheckIn"),
                migrations.DeleteModel("JournalEntry"),
            ],
        ),
    ]
