"""factory_boy factories for listings. Taxonomy rows come from the real fixtures."""

import factory
from django.utils import timezone

from directory.models import Initiative, Organization, Scope, Source, Status


def set_m2m(field: str):
    """A post-generation hook: ``Factory(roles=[...])`` sets the many-to-many field."""

    def hook(obj, create, extracted, **kwargs):
        if create and extracted:
            getattr(obj, field).set(extracted)

    return hook


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Civic Group {n}")
    slug = factory.Sequence(lambda n: f"civic-group-{n}")
    summary = "Brings neighbours together to talk about local decisions."
    scope = Scope.LOCAL
    status = Status.PUBLISHED
    source = Source.CURATOR
    published_at = factory.LazyFunction(timezone.now)

    roles = factory.PostGeneration(set_m2m("roles"))
    goals = factory.PostGeneration(set_m2m("goals"))
    languages = factory.PostGeneration(set_m2m("languages"))


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Community project {n}")
    slug = factory.Sequence(lambda n: f"community-project-{n}")
    summary = "A project that helps people take part in civic life."
    scope = Scope.LOCAL
    status = Status.PUBLISHED
    source = Source.CURATOR
    published_at = factory.LazyFunction(timezone.now)

    roles = factory.PostGeneration(set_m2m("roles"))
    goals = factory.PostGeneration(set_m2m("goals"))
    languages = factory.PostGeneration(set_m2m("languages"))
