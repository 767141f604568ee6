"""The researchers' web UI: Datasette over the read-only archive, plus nianbao's own pages.

- metadata.py: labels, facets, descriptions and the canned (read-only) queries;
- plugin.py: Datasette hooks: the raw-capture route, the provenance page, the codebook page, links;
- database.py: a Datasette Database that can only ever open the file read-only;
- templates/: the provenance and codebook pages.
"""
