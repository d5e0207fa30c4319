"""The visible initiatives' keys by state, in key order.

A list or an API list filtered by a state and a link (a goal, a role) counts its matches up to
a cap. With the keys of the state's visible initiatives in key order, PostgreSQL merges them
with the link's keys (also in key order) and stops at the cap; before, it hashed every visible
key of the state first. At a million initiatives, goal + CA counted its first 10,001 matches in
26–38 ms instead of 92 ms.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0024_visible_id_index'),
        ('goals', '0002_translations'),
        ('roles', '0003_translations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='initiative',
            index=models.Index(condition=models.Q(('visible', True)), fields=['state', 'id'], name='ini_visible_state_id'),
        ),
    ]
