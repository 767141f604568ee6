"""A generic county CMS: ``?page=N`` pagers with plain links, /info/<col>/<id>.htm details, some DOCX
attachments, and old ``/show.asp?id=N`` links that 301 to the current URL."""

from __future__ import annotations

from simulator.sites.base import Page, Site
from simulator.world import Item


class GenericSite(Site):
    family = "generic"
    body_container = ('<div class="xxgk_content">', "</div>")

    def list_link(self, item: Item) -> str:
        if item.id in self.p.redirected_ids:
            return f"/show.asp?id={item.id}"
        return self.item_url(item)

    def dynamic(self, method: str, path: str, query: dict[str, str]) -> Page | None:
        if path == "/show.asp":
            item = self.p.items.get(int(query["id"])) if query.get("id", "").isdigit() else None
            if item is None or item.kind == "dead":
                return None
            return Page("", status=301, headers={"Location": self.p.base_url + self.item_url(item)})
        return None
