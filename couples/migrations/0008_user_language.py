from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0007_user_email_verified_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("zh-hans", "简体中文")], default="en", max_length=8
            ),
        ),
    ]
