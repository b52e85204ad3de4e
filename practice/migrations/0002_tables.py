from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('practice', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelTable(
            name='ask',
            table=None,
        ),
        migrations.AlterModelTable(
            name='assessment',
            table=None,
        ),
        migrations.AlterModelTable(
            name='checkin',
            table=None,
        ),
        migrations.AlterModelTable(
            name='journalentry',
            table=None,
        ),
        migrations.AlterModelTable(
            name='selfcare',
            table=None,
        ),
    ]
