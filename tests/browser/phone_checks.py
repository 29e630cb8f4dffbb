"""What makes a page usable on a phone, measured in the browser: the page does not scroll sideways,
every control can be tapped where it is drawn (nothing covers it), and controls are big enough for
a finger. Used by test_phone.py at a phone's size and at a desktop's."""

from .conftest import screenshot

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 3},
    "desktop": {"viewport": {"width": 1400, "height": 900}},
}
TOUCH_PX = 44
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary"

# With a mobile viewport a page wider than the screen makes the window itself wider, so the
# window's width is checked as well as the page's.
WIDTHS = """() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"""

# Every visible control under `root`, scrolled into view: its centre must be on screen and the
# element found there must be the control, inside it, or the label that operates it (a control
# drawn by its label, such as a decision button on a phone, is tapped through the label).
UNTAPPABLE = """([root, controls]) => {
  const classes = (el) => typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const text = (el) => (el.innerText || el.value || el.name || el.getAttribute('aria-label') || '').trim();
  const name = (el) => el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el) +
      ' "' + text(el).slice(0, 30) + '"' : 'nothing';
  const found = [];
  for (const box of document.querySelectorAll(root)) {
    for (const el of box.querySelectorAll(controls)) {
      if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      const byLabel = el.labels && el.labels.length && getComputedStyle(el).opacity === '0';
      const target = byLabel ? el.labels[0] : el;
      target.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
      const rect = target.getClientRects()[0];
      const x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
      if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) {
        found.push(name(el) + ' is off screen');
        continue;
      }
      const hit = document.elementFromPoint(x, y);
      const label = hit && hit.closest('label');
      if (!(hit && (el.contains(hit) || target.contains(hit) || (label && label.control === el)))) {
        found.push(name(el) + ' is covered by ' + name(hit));
      }
    }
  }
  window.scrollTo({top: 0, left: 0, behavior: 'instant'});
  return found;
}"""

# Buttons, fields, page links and checkbox or radio rows under `root` at least `least` px high.
TOO_SMALL = """([root, least]) => {
  const found = [];
  for (const box of document.querySelectorAll(root)) {
    for (const el of box.querySelectorAll('.btn, .form-control, .form-select, .page-link, .form-check, .nav-link')) {
      if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      const height = el.getBoundingClientRect().height;
      if (height < least - 0.5) {
        found.push(el.tagName.toLowerCase() + '.' + el.className.trim().split(/\\s+/).join('.') + ' "' +
                   (el.innerText || el.name || '').trim().slice(0, 20) + '" is ' + height.toFixed(1) + ' px high');
      }
    }
  }
  return found;
}"""


def problems(page, size: str, root: str = "main, nav.navbar") -> list[str]:
    """What keeps the page from working at this size: sideways scrolling, controls that cannot be
    tapped, and on the phone controls too small for a finger."""
    widths = page.evaluate(WIDTHS)
    found = []
    expected = SIZES[size]["viewport"]["width"]
    if widths["page"] > widths["window"] or widths["window"] != expected:
        found.append(f"the page is {widths['page']} px wide, the window {widths['window']} px, not {expected}")
    found += page.evaluate(UNTAPPABLE, [root, CONTROLS])
    if size == "phone":
        found += page.evaluate(TOO_SMALL, [root, TOUCH_PX])
    return found


def check_page(page, name: str, size: str) -> list[str]:
    """problems() of the page once loaded (and its diagram drawn); saves <name>-<size>.png."""
    page.wait_for_load_state("load")
    if page.locator("#diagram").count():
        page.wait_for_selector("#diagram[data-ready='1']")
    found = problems(page, size)
    screenshot(page, f"{name}-{size}")
    return found
