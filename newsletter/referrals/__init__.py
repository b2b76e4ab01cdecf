"""The referral program: the lead ledger, rewards, reports and the thank-you roll.

ledger.py   subscribers/referrals.csv: the Lead record, reading, validating, writing
leads.py    adding and updating leads; likely duplicates; which leads count
times.py    offsets kept in the file, DST-safe arithmetic, business-time display
rewards.py  milestones, the progress line, rewards handed out (subscribers/rewards.csv)
reports.py  overdue leads, referrers and rewards, totals, as of an injectable ``now``
outputs.py  the report as terminal tables, CSV and HTML
roll.py     the thank-you roll the build puts in the next issue
"""
