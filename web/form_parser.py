"""Reading form bodies strictly: UTF-8 or a 400, and evidence files that may be larger than allowed.

Werkzeug's own parser replaces invalid UTF-8 and keeps percent escapes it cannot decode as text,
so a bad byte would silently become part of the data; this one refuses the request instead.

On a form that takes evidence files (`file_limit` set), a file over the limit is kept only to one
byte past it — enough for the form to refuse it by name beside its field — and the rest of the body
is still read, so that the text typed in the other fields comes back with the error. A text field
longer than `max_form_memory_size` is kept to that length and named in `too_long`. Reading stops at
`read_limit`; what arrived before is kept and `cut` names the part that was being read. Elsewhere a
text field that long is refused with 413, like werkzeug's parser does.
"""

from urllib.parse import parse_qsl

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .input_rules import Refusal, shown

CHUNK = 64 * 1024


class StrictFormDataParser(FormDataParser):
    """A FormDataParser whose text must be UTF-8; files may be capped per file (see the module)."""

    file_limit: int | None = None
    read_limit: int | None = None
    cut: tuple[str, str] | None = None  # (field, file name) being read when read_limit was reached
    too_long: tuple[str, ...] = ()

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        try:
            items = parse_qsl(stream.read().decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                              errors="strict", max_num_fields=self.max_form_parts)
        except UnicodeDecodeError:
            raise Refusal(400, _("表单内容不是有效的 UTF-8 文本")) from None
        except ValueError:  # more fields than max_form_parts
            raise Refusal(413, _("表单字段过多")) from None
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        boundary = options.get("boundary", "")
        if not boundary or not boundary.isascii():
            raise Refusal(400, _("multipart 请求缺少有效的 boundary"))
        # The decoder applies its memory limit to whatever it holds at once, a read chunk included;
        # the limit on each field's length is kept below, per field.
        held = max(self.max_form_memory_size, 2 * CHUNK) if self.max_form_memory_size else None
        decoder = MultipartDecoder(boundary.encode("ascii"), max_form_memory_size=held, max_parts=self.max_form_parts)
        parts = _Parts(self.file_limit, self.max_form_memory_size, lambda event: self.stream_factory(
            total_content_length=content_length, content_type=event.headers.get("content-type"),
            filename=event.filename, content_length=None))
        read = 0
        while not parts.done:
            chunk = stream.read(CHUNK)
            read += len(chunk)
            decoder.receive_data(chunk or None)
            try:
                parts.take(decoder)
            except ValueError:
                if not chunk and self.read_limit is not None and read >= self.read_limit:
                    self.cut = parts.current_name()
                    break
                raise Refusal(400, _("multipart 表单格式有误或不完整")) from None
            if not chunk and not parts.done:
                raise Refusal(400, _("multipart 表单格式有误或不完整"))
        self.too_long = tuple(parts.too_long)
        return stream, self.cls(parts.fields), self.cls(parts.files)


class _Parts:
    """Fields and files as the decoder's events arrive."""

    def __init__(self, file_limit: int | None, field_limit: int | None, new_container):
        self.file_limit, self.field_limit, self.new_container = file_limit, field_limit, new_container
        self.too_long: list[str] = []
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.part: Field | File | None = None
        self.chunks: list[bytes] = []
        self.container = None
        self.kept = 0
        self.done = False

    def current_name(self) -> tuple[str, str]:
        if isinstance(self.part, File):
            return self.part.name, self.part.filename
        return (self.part.name if self.part else "", "")

    def take(self, decoder: MultipartDecoder) -> None:
        """Handle every event the decoder has. Raises ValueError (from the decoder) on a broken body."""
        event = decoder.next_event()
        while not isinstance(event, NeedData):
            if isinstance(event, Epilogue):
                self.done = True
                return
            if isinstance(event, Field | File) and not event.name:
                raise Refusal(400, _("multipart 表单的某一部分缺少字段名"))
            if isinstance(event, Field):
                self.part, self.chunks, self.kept = event, [], 0
            elif isinstance(event, File):
                self.part, self.container, self.kept = event, self.new_container(event), 0
            elif isinstance(event, Data):
                self._data(event)
            event = decoder.next_event()

    def _data(self, event: Data) -> None:
        if isinstance(self.part, Field):
            self._field_data(event)
            return
        room = len(event.data) if self.file_limit is None else max(self.file_limit + 1 - self.kept, 0)
        self.container.write(event.data[:room])
        self.kept += min(room, len(event.data))
        if not event.more_data:
            self.container.seek(0)
            self.files.append((self.part.name, FileStorage(self.container, self.part.filename, self.part.name,
                                                           headers=self.part.headers)))

    def _field_data(self, event: Data) -> None:
        name = self.part.name
        if self.field_limit is not None and self.kept + len(event.data) > self.field_limit:
            if self.file_limit is None:
                raise Refusal(413, _("表单字段 %(name)s 过长", name=shown(name)))
            if name not in self.too_long:
                self.too_long.append(name)
        room = len(event.data) if self.field_limit is None else max(self.field_limit - self.kept, 0)
        self.chunks.append(event.data[:room])
        self.kept += min(room, len(event.data))
        if event.more_data:
            return
        raw = b"".join(self.chunks)
        if name in self.too_long:
            raw = _whole_characters(raw)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(400, _("表单字段 %(name)s 不是有效的 UTF-8 文本", name=shown(name))) from None
        self.fields.append((name, value))


def _whole_characters(raw: bytes) -> bytes:
    """`raw` without the part of a UTF-8 character that a cut left at its end."""
    for trim in range(min(3, len(raw)) + 1):
        try:
            (raw[:len(raw) - trim]).decode("utf-8")
            return raw[:len(raw) - trim]
        except UnicodeDecodeError:
            continue
    return raw
