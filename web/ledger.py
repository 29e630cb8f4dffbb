"""整改台账: the rectification cases a person may see, filtered, with statistics and an Excel export."""

from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.deadlines import ESCALATION_LABELS
from workflows.export import ledger_stats, ledger_workbook
from workflows.organisation import form_options, group_names, require_user, unit_names, user_names
from workflows.rectification import OVERSEERS, SOURCE_LABELS, STATUS_LABELS, LedgerFilter, case_deadline, ledger

from .platform import get_platform

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def N_(message: str) -> str:
    """Mark a literal for extraction only; templates translate it with _() when they show it."""
    return message


# The domain keeps its labels in Chinese; naming them here puts them in the translation catalogue.
DOMAIN_LABELS = (N_("督查"), N_("明察暗访"), N_("第三方评价"), N_("12345热线"), N_("监测点"),
                 N_("整改中"), N_("待核查"), N_("已销号"), N_("政策举措报批备案"), N_("问题整改"))


def ledger_filter(args, size: int) -> tuple[LedgerFilter, int]:
    """The filter and page number that query arguments ask for; unknown values are ignored."""
    page = max(args.get("page", 1, type=int) or 1, 1)
    flt = LedgerFilter(
        unit=args.get("unit") or None,
        source=args.get("source") if args.get("source") in SOURCE_LABELS else None,
        indicator=args.get("indicator") or None,
        status=args.get("status") if args.get("status") in STATUS_LABELS else None,
        overdue=args.get("overdue") in ("1", "true", "on"),
        limit=size, offset=(page - 1) * size,
    )
    return flt, page


@bp.route("/")
@login_required
def index():
    """The ledger page: filters, statistics, one page of cases with their deadline marks."""
    platform = get_platform()
    size = int(current_app.config.get("PAGE_SIZE", 20))
    flt, page = ledger_filter(request.args, size)
    today = platform.today()
    with platform.db.reading() as session:
        user = require_user(session, current_user.username)
        cases, total = ledger(session, user, flt, today)
        stats = ledger_stats(session, user, flt, today)
        options = form_options(session)
        names = {"units": unit_names(session), "groups": group_names(session), "people": user_names(session)}
    rows = [(case, case_deadline(case, today)) for case in cases]
    return render_template("ledger/index.html", rows=rows, total=total, page=page, size=size, flt=flt,
                           stats=stats, names=names, sources=SOURCE_LABELS, statuses=STATUS_LABELS,
                           escalations=ESCALATION_LABELS,
                           units=options["responsible_units"], indicators=options["indicator_groups"],
                           oversees=current_user.has_role(*OVERSEERS))


@bp.route("/export.xlsx")
@login_required
def export():
    """The filtered ledger, every page of it, as an Excel workbook."""
    platform = get_platform()
    flt, _page = ledger_filter(request.args, 1)
    today = platform.today()
    with platform.db.reading() as session:
        user = require_user(session, current_user.username)
        content = ledger_workbook(session, user, flt, today)
    stem = f"{today:%Y%m%d}.xlsx"
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"rectification-ledger-{stem}\"; "
        f"filename*=UTF-8''{quote(_('整改台账') + '-' + stem)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
