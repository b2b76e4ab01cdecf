"""The monthly report: the referral family and each issue at a glance (``newsletter report``).

A stage above referrals and deliver that only reads what they record:

figures.py   frozen figures computed from the ledgers: ``monthly_report()`` (pure)
sends.py     the send ledger, opened read-only: recipients per issue by status
charts.py    matplotlib figures as SVG ``data:`` URIs (no pyplot, no display)
sections.py  each section's chart, one-line reading, tables, and what has no data yet
outputs.py   the page (templates/report/), the Markdown summary, the terminal view
monthly.py   read everything, write ``build/reports/YYYY-MM/`` (locked, private)
"""
