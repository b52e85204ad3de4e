from django.db import migrations


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS porchlight_light_set(bigint, text, text, timestamptz, jsonb, text)")


class Migration(migrations.Migration):
    dependencies = [("signals", "0006_light_set_function")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
