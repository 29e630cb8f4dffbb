"""Who may administer the organisation: the one place that rule is written.

Pages, the JSON API and the services all ask `may_administer` / `require_org_admin`, so the
rule changes here and nowhere else (for example to a separate system administrator role).
"""

from sqlalchemy.orm import Session

from ..errors import PermissionDenied
from ..organisation import ROLE_LABELS, SYSTEM, require_user

ORG_ADMIN_ROLES = ("admin",)


def _role_names(user) -> set[str]:
    # A database User holds UserRole rows; the web's logged-in person holds role names.
    return {getattr(r, "role", r) for r in user.roles}


def may_administer(user) -> bool:
    """Whether `user` (a User, or the web's logged-in person) may change the organisation."""
    return bool(_role_names(user) & set(ORG_ADMIN_ROLES))


def require_org_admin(user) -> None:
    """Raises PermissionDenied unless `user` may change the organisation."""
    if not may_administer(user):
        wanted = "、".join(ROLE_LABELS.get(r, r) for r in ORG_ADMIN_ROLES)
        raise PermissionDenied(f"只有{wanted}可以管理组织机构")


def authorise(session: Session, by: str) -> str:
    """`by` if that person may change the organisation; the command line acts as SYSTEM.

    Raises PermissionDenied for an unknown, inactive or unauthorised person.
    """
    if by != SYSTEM:
        require_org_admin(require_user(session, by))
    return by
