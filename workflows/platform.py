"""The product assembled: database, engine, lane resolution and deploy checks, from one URL."""

import os
from datetime import date
from pathlib import Path

from engine import Database, Engine
from engine.clock import utcnow
from engine.db import DEFAULT_URL
from engine.schema import upgrade

from .calendar import LOCAL_TZ
from .forms import FORMS_DIR, check_forms, load_shipped_forms
from .lanes import assign_lane, check_lanes
from .organisation import load_organisation, offered_to_active
from .task_settings import check_settings

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
SHIPPED = ("policy_measure", "rectification")


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


class Platform:
    """Everything a command or a web request needs; holds no state beyond caches of immutable specs."""

    def __init__(self, url: str | None = None, clock=utcnow):
        url = url or database_url()
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(url)
        self.clock = clock
        self.engine = Engine(self.db, assigner=offered_to_active(assign_lane), clock=clock)
        self.engine.checks.extend([check_lanes, check_forms, check_settings])

    def at(self, clock) -> "Platform":
        """The same platform seen from another clock (tests, and the demo's older cases)."""
        other = object.__new__(Platform)
        other.db, other.clock = self.db, clock
        other.engine = Engine(self.db, assigner=self.engine.assigner, clock=clock)
        other.engine.checks, other.engine.specs = self.engine.checks, self.engine.specs
        other.engine.live = self.engine.live
        return other

    def today(self) -> date:
        """Today in China, where deadlines are counted."""
        return self.clock().astimezone(LOCAL_TZ).date()

    def init_db(self) -> None:
        """Bring the schema up to date, load the organisation and deploy changed shipped flows."""
        upgrade(self.db)
        with self.db.transaction() as session:
            load_organisation(session)
            self.deploy_shipped(session)

    def deploy_shipped(self, session, deployed_by: str = "system"):
        """Deploy each shipped diagram with its forms unless that exact version is deployed already."""
        return [
            self.engine.deploy(session, (BPMN_DIR / f"{key}.bpmn").read_bytes(),
                               forms=load_shipped_forms(key, FORMS_DIR), deployed_by=deployed_by,
                               skip_if_unchanged=True)
            for key in SHIPPED
        ]
