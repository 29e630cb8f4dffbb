"""组织机构 pages for those who administer the organisation: units, groups, people, the workbook.

One blueprint per page family; `BLUEPRINTS` is what the app registers.
"""

from . import departures, groups, people, units, workbook

BLUEPRINTS = (units.bp, groups.bp, people.bp, departures.bp, workbook.bp)
