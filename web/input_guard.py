"""One gate every request passes before its view: what cannot be right is refused here, for all routes.

- ids in paths (`<int:…>`) are ASCII digits from 1 to 2**31-1, the databases' range; others are 404;
- the URL is at most MAX_URL_BYTES (414), and the path, query string, headers and form fields are
  UTF-8 text without control characters or lone surrogates (400);
- numbers that name pages and versions in query strings and forms are ASCII digits in range (400);
- a body has a type the route takes (415), fits its size limit (413) and, for JSON, parses strictly
  (web.input_rules.loads_strict, 400).

Refusals raise `Refusal` (or werkzeug's 413), which web.errors answers with a message in Chinese.
"""

from urllib.parse import parse_qsl, quote

from flask import Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import LimitedStream

from .form_parser import StrictFormDataParser
from .input_rules import MAX_ID, JSONRefused, Refusal, bounded_int, check_text, loads_strict, shown

MAX_URL_BYTES = 4096
# Query parameters and form fields that are whole numbers wherever they appear: (least, most).
# Form fields drawn from a JSON Schema are checked against their schema instead (workflows.forms).
NUMBER_PARAMS = {"page": (1, MAX_ID), "per_page": (1, MAX_ID), "from": (1, MAX_ID), "to": (1, MAX_ID)}
NUMBER_FIELDS = {"expected_version": (0, MAX_ID), "extra_days": (1, MAX_ID)}
JSON, FORM, XML = "application/json", "multipart/form-data 或 application/x-www-form-urlencoded", "application/xml"
# The bodies each route takes; other routes take JSON under /api and forms elsewhere.
BODY_TYPES = {"admin.deploy": (JSON,), "admin.preview": (JSON,), "api_definitions.create": (XML, FORM),
              "api_org.import_": (FORM,)}
# Forms that carry evidence files: read in full so an oversized file comes back beside its field.
UPLOAD_ENDPOINTS = {"tasks.show"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IdConverter(IntegerConverter):
    """`<int:…>`: a database id, ASCII digits from 1 to 2**31-1 (werkzeug's `\\d` also takes "１")."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID,
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class GuardedRequest(Request):
    """Flask's request with the strict form parser, strict JSON and per-request upload limits."""

    form_data_parser_class = StrictFormDataParser
    file_limit: int | None = None
    read_limit: int | None = None
    upload_cut: tuple[str, str] | None = None
    too_long: tuple[str, ...] = ()

    def accept_uploads(self, file_limit: int, read_limit: int) -> None:
        """Read up to `read_limit` bytes, keeping each file to one byte past `file_limit`."""
        self.file_limit, self.read_limit = file_limit, read_limit
        self.max_content_length = None  # the read limit below bounds the stream instead

    def make_form_data_parser(self):
        parser = super().make_form_data_parser()
        parser.file_limit, parser.read_limit = self.file_limit, self.read_limit
        self._form_parser = parser
        return parser

    def _load_form_data(self) -> None:
        super()._load_form_data()
        parser = getattr(self, "_form_parser", None)
        if parser is not None:
            self.upload_cut, self.too_long = parser.cut, parser.too_long

    def _get_stream_for_parsing(self):
        if self.read_limit is None:
            return super()._get_stream_for_parsing()
        length = self.content_length
        if length is None and not self.environ.get("wsgi.input_terminated"):
            return super()._get_stream_for_parsing()
        return LimitedStream(self.environ["wsgi.input"], min(length, self.read_limit) if length is not None
                             else self.read_limit)

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:
            raise Refusal(415, _("请以 Content-Type: application/json 发送 JSON"))
        if isinstance(e, JSONRefused):
            raise Refusal(400, str(e))
        if isinstance(e, UnicodeDecodeError):
            raise Refusal(400, _("请求体不是有效的 UTF-8 文本"))
        where = f"（第 {e.lineno} 行第 {e.colno} 列）" if hasattr(e, "lineno") else ""
        raise Refusal(400, _("请求体不是有效的 JSON%(where)s", where=where))


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading as web.input_rules.loads_strict does, and writing keys in their order."""

    sort_keys = False  # key order carries meaning (a form's fields); JSON sent keeps it

    def loads(self, s, **kwargs):
        return loads_strict(s)


def init_app(app) -> None:
    """Install the gate. Call before any blueprint is registered (the `int` converter) and before
    CSRFProtect (so that a form is read here, strictly, before the CSRF check reads it)."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = GuardedRequest
    app.json = StrictJSONProvider(app)
    app.before_request(check_request)


def check_request() -> None:
    """Refuse what no view can take; see the module's docstring. Raises Refusal or a 413."""
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    try:
        raw_path = environ.get("PATH_INFO", "").encode("latin-1")  # WSGI carries the path's bytes as latin-1
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(raw_path) + "?" + query
        if len(target) > MAX_URL_BYTES:
            raise Refusal(414, _("请求地址过长（上限 %(n)s 字节）", n=MAX_URL_BYTES))
        check_text(raw_path.decode("utf-8"), _("请求路径"))
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeError:
        raise Refusal(400, _("请求地址不是有效的 UTF-8 文本")) from None
    for key, value in pairs:
        check_text(key + value, _("查询参数 %(name)s ", name=shown(key)))
        if key in NUMBER_PARAMS:
            bounded_int(value, _("查询参数 %(name)s ", name=key), *NUMBER_PARAMS[key])
    for name, value in request.headers.items():
        check_text(value.replace("\t", " "), _("请求头 %(name)s ", name=shown(name)))
    if request.method in BODY_METHODS and request.url_rule is not None and _has_body():
        _check_body()


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _check_body() -> None:
    kinds = BODY_TYPES.get(request.endpoint) or ((JSON,) if request.path.startswith("/api/") else (FORM,))
    if JSON in kinds and request.is_json:
        if not isinstance(request.get_json(), dict):  # every route here takes an object
            raise Refusal(400, _("请求体须为 JSON 对象"))
        return
    if FORM in kinds and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
            config = current_app.config
            request.accept_uploads(config["UPLOAD_MAX_BYTES"],
                                   config["UPLOAD_MAX_TOTAL_BYTES"] + config["MAX_CONTENT_LENGTH"])
        _check_form()
        return
    if XML in kinds and request.mimetype in ("application/xml", "text/xml", "application/bpmn+xml"):
        return
    raise Refusal(415, _("不支持的请求内容类型 %(type)s：请以 %(kinds)s 发送",
                         type=request.mimetype or _("（未注明）"), kinds=f" {_('或')} ".join(kinds)))


def _check_form() -> None:
    for key, value in request.form.items(multi=True):
        check_text(key + value, _("表单字段 %(name)s ", name=shown(key)))
        if key in NUMBER_FIELDS and value:
            bounded_int(value, _("表单字段 %(name)s ", name=key), *NUMBER_FIELDS[key])
    for key, upload in request.files.items(multi=True):
        check_text(key + (upload.filename or ""), _("上传文件 %(name)s ", name=shown(key)))
