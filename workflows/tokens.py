"""Bearer tokens for the JSON API: issued by the command line, stored only as hashes."""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiToken, User
from .organisation import require_user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, username: str, now) -> str:
    """A new token for `username`; the plain value is returned once and never stored."""
    user = require_user(session, username)
    token = "ysf_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now, revoked=False))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                 ApiToken.revoked.is_(False))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
