"""Shortage-drug reporting (短缺药品信息直报, RULES.md SH-1…SH-3; seed 002 §2.5).

- `model`: the report, its fields and rules — validation (SH-1), workflow
  (SH-2), days of cover and warning levels (SH-3). Pure functions.
- `store`: reports and their dated steps in the database, the information
  liaison setting, entered stock counts.
- `signals`: the reports the app proposes from purchase data (SH-3), the
  substitutes it proposes from the catalogue, the form's defaults.
- `export`: JSON and xlsx under stable English keys.
- `service`: what the window and the command line both call.

SH-4 (lead hospitals' reserves and reallocation) is not implemented here.
No Qt: the window calls these on its database worker.
"""
