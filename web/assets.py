"""Copy the front-end libraries installed by npm into web/static/vendor (which git ignores)."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
# (path under node_modules, path under static/vendor); folders are copied whole.
FILES = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"),
    ("bootstrap-icons/font/fonts", "bootstrap-icons/fonts"),
    ("bpmn-js/dist/bpmn-viewer.production.min.js", "bpmn-js/bpmn-viewer.production.min.js"),
    ("bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"),
    ("bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"),
    ("bpmn-js/dist/assets", "bpmn-js/assets"),
    ("echarts/dist/echarts.min.js", "echarts/echarts.min.js"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
]


def vendor(node_modules: Path = ROOT / "node_modules", target: Path = VENDOR) -> list[Path]:
    """Copy every asset; raises FileNotFoundError naming the first one npm did not install."""
    copied = []
    for source, dest in FILES:
        src, dst = node_modules / source, target / dest
        if not src.exists():
            raise FileNotFoundError(f"{src} 不存在：请先运行 npm install")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
        copied.append(dst)
    return copied


if __name__ == "__main__":
    try:
        print(f"已复制 {len(vendor())} 项前端资源到 {VENDOR}")
    except FileNotFoundError as err:
        print(f"错误：{err}", file=sys.stderr)
        sys.exit(1)
