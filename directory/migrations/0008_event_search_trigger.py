"""Full-text search for events on PostgreSQL (as 0002 does for initiatives)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION directory_event_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(
      (SELECT o.name FROM directory_organization o WHERE o.id = NEW.organization_id), '')), 'C');
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER directory_event_search
  BEFORE INSERT OR UPDATE OF title, summary, description, organization_id ON directory_event
  FOR EACH ROW EXECUTE FUNCTION directory_event_search_update();

CREATE INDEX directory_event_search_gin ON directory_event USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS directory_event_search_gin;
DROP TRIGGER IF EXISTS directory_event_search ON directory_event;
DROP FUNCTION IF EXISTS directory_event_search_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_events")]

    operations = [migrations.RunPython(forward, backward)]
