"""Full-text search on PostgreSQL: weighted vectors kept current by triggers, GIN-indexed.

Doing it in the database means every write path (ORM, admin, bulk update, imports, raw SQL)
keeps the vector right. SQLite has no tsvector; there the search falls back to LIKE and this
migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION directory_organization_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER directory_organization_search
  BEFORE INSERT OR UPDATE OF name, summary, description ON directory_organization
  FOR EACH ROW EXECUTE FUNCTION directory_organization_search_update();

CREATE OR REPLACE FUNCTION directory_initiative_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(
      (SELECT o.name FROM directory_organization o WHERE o.id = NEW.organization_id), '')), 'C');
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER directory_initiative_search
  BEFORE INSERT OR UPDATE OF title, summary, description, organization_id ON directory_initiative
  FOR EACH ROW EXECUTE FUNCTION directory_initiative_search_update();

-- A renamed organization re-indexes its initiatives (touching title fires their trigger).
CREATE OR REPLACE FUNCTION directory_organization_rename() RETURNS trigger AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name THEN
    UPDATE directory_initiative SET title = title WHERE organization_id = NEW.id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER directory_organization_rename
  AFTER UPDATE OF name ON directory_organization
  FOR EACH ROW EXECUTE FUNCTION directory_organization_rename();

CREATE INDEX directory_organization_search_gin ON directory_organization USING gin (search_vector);
CREATE INDEX directory_initiative_search_gin ON directory_initiative USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS directory_initiative_search_gin;
DROP INDEX IF EXISTS directory_organization_search_gin;
DROP TRIGGER IF EXISTS directory_organization_rename ON directory_organization;
DROP TRIGGER IF EXISTS directory_initiative_search ON directory_initiative;
DROP TRIGGER IF EXISTS directory_organization_search ON directory_organization;
DROP FUNCTION IF EXISTS directory_organization_rename();
DROP FUNCTION IF EXISTS directory_initiative_search_update();
DROP FUNCTION IF EXISTS directory_organization_search_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
