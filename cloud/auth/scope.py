"""The set of properties a request may see, as a dependency for list and stream routes.

    @router.get("/things")
    def things(scope: SiteScopeDep, site: str | None = None):
        return query(sites=scope.narrow(site))      # 403 when ``site`` is not visible

Convention (as in the guest and reservation routes): a ``site`` the caller names and may not
see is refused with 403; a record found by its id that belongs to another property is
answered 404, so ids cannot be probed across properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import CurrentUser
from cloud.auth.errors import Forbidden
from cloud.auth.roles import Principal
from cloud.core.deps import DbSession


@dataclass(frozen=True, slots=True)
class SiteScope:
    principal: Principal
    sites: frozenset[str]

    def sees(self, site: str | None) -> bool:
        return site is not None and site in self.sites

    def narrow(self, site: str | None = None) -> list[str]:
        """Every visible site, or just ``site`` (refused when it is not visible)."""
        if site is None:
            return sorted(self.sites)
        self.check(site)
        return [site]

    def check(self, site: str) -> None:
        if site not in self.sites:
            raise Forbidden(f"you have no access to property {site!r}")


def site_scope(principal: CurrentUser, db: DbSession) -> SiteScope:
    scope = SiteScope(principal, frozenset(visible_sites(db, principal)))
    db.commit()  # leave no transaction open: handlers may ``with session.begin():``
    return scope


SiteScopeDep = Annotated[SiteScope, Depends(site_scope)]
