"""Organisation admin: units, groups and people, changed one at a time or as a whole workbook.

Every change reads the organisation (`world.load`), builds it as it will be, is checked against
the rules (`world.new_problems`) and is written in the caller's transaction (`apply`), with the
open tasks of people who leave or move handed over in that same transaction (`handover`).
Who may do it is decided in `access`.
"""
