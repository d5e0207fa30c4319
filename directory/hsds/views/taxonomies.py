"""The HSDS endpoints of our taxonomies: goals and roles (role groups are parent terms)."""

from drf_spectacular.utils import OpenApiParameter

from directory.hsds import mapping
from directory.hsds.queries import all_terms
from directory.hsds.views.base import HSDSView
from directory.hsds.views.schema import (
    ID_FORMAT,
    PAGE_PARAMETERS,
    TAXONOMY,
    TAXONOMY_TERM,
    detail_schema,
    list_schema,
)


class TaxonomyListView(HSDSView):
    @list_schema("HSDS: taxonomies (our goals and roles)", "hsds_taxonomies_list", TAXONOMY)
    def get(self, request):
        text = self.text("search").lower()
        found = [
            t
            for t in mapping.taxonomies(self.base)
            if not text or text in t["name"].lower() or text in t["description"].lower()
        ]
        return self.page(found, lambda t: t)


class TaxonomyDetailView(HSDSView):
    @detail_schema("HSDS: one taxonomy", "hsds_taxonomies_retrieve", TAXONOMY)
    def get(self, request, id):
        return self.document_by_id(mapping.taxonomies(self.base), id)


class TaxonomyTermListView(HSDSView):
    @list_schema(
        "HSDS: taxonomy terms (goals, role groups and roles)",
        "hsds_taxonomy_terms_list",
        TAXONOMY_TERM,
        [
            *PAGE_PARAMETERS,
            OpenApiParameter("taxonomy_id", ID_FORMAT, description="Terms of this taxonomy."),
            OpenApiParameter("top_only", bool, description="Only terms without a parent."),
            OpenApiParameter("parent_id", ID_FORMAT, description="Only the children of this term."),
        ],
    )
    def get(self, request):
        taxonomy_id, parent_id = self.uuid_param("taxonomy_id"), self.uuid_param("parent_id")
        top_only, text = self.flag("top_only"), self.text("search").lower()
        found = [
            term
            for term in all_terms(self.base)
            if (not taxonomy_id or term["taxonomy_id"] == taxonomy_id)
            and (not parent_id or term.get("parent_id") == parent_id)
            and (not top_only or "parent_id" not in term)
            and (not text or any(text in term[k].lower() for k in ("name", "code", "description")))
        ]
        return self.page(found, lambda t: t)


class TaxonomyTermDetailView(HSDSView):
    @detail_schema("HSDS: one taxonomy term", "hsds_taxonomy_terms_retrieve", TAXONOMY_TERM)
    def get(self, request, id):
        return self.document_by_id(all_terms(self.base), id)
