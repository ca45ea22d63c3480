# The claim models now belong to certification (its 0001 takes them over, rows and all): they
# leave verification's state only; the tables stay, for certification 0002 to rename.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0007_sample_referred_index'),
        ('certification', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ClaimLine'),
                migrations.DeleteModel(name='ClaimBatch'),
                migrations.DeleteModel(name='ClaimHold'),
            ],
            database_operations=[],
        ),
    ]
