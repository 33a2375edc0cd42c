"""A shot's start timecode (from the plate's metadata, or set on the shot): the player shows and accepts it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0011_variant_versions_range_approvals"),
    ]

    operations = [
        migrations.AddField(
            model_name="shot",
            name="start_timecode",
            field=models.CharField(
                blank=True, max_length=11,
                help_text="timecode of the first frame, HH:MM:SS:FF (HH:MM:SS;FF drop-frame at 29.97/59.94); "
                          "taken from the plate's metadata when it has one; empty counts from 00:00:00:00"),
        ),
    ]
