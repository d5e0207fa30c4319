"""factory_boy factories for listings. Taxonomy rows come from the real fixtures."""

import factory
from django.utils import timezone

from directory.models import Initiative, Organization, Scope, Source, Status


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

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(extracted)

    @factory.post_generation
    def goals(self, create, extracted, **kwargs):
        if create and extracted:
            self.goals.set(extracted)


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

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(extracted)

    @factory.post_generation
    def goals(self, create, extracted, **kwargs):
        if create and extracted:
            self.goals.set(extracted)
