"""The watch list: jobs, labels, history and saved files in SQLite, and what is made from them.

Public faces: ``db.JobStore`` / ``db.WatchedJob`` (the SQLite store), ``watchlist.WatchList``
(the live list the UI observes), ``export.write_csv``, ``failure`` (a failed job's fields),
``report.build_support_report``.
"""
