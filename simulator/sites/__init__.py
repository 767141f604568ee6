"""CMS families of the simulated portals; ``make_site`` picks the implementation for a portal."""

from __future__ import annotations

from simulator.sites.base import Page, Site


def make_site(portal) -> Site:
    from simulator.sites.anhui import AnhuiSite
    from simulator.sites.generic import GenericSite
    from simulator.sites.gkmlpt import GkmlptSite
    from simulator.sites.hanweb import HanwebSite
    from simulator.sites.jiangsu import JiangsuSite
    from simulator.sites.trs import TrsSite

    classes = {"trs": TrsSite, "hanweb": HanwebSite, "gkmlpt": GkmlptSite, "anhui": AnhuiSite,
               "jiangsu": JiangsuSite, "generic": GenericSite}
    return classes[portal.family](portal)


__all__ = ["Page", "Site", "make_site"]
