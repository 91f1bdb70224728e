#!/usr/bin/env python3
"""Adds N generated indicator values to a migrated ecoplan SQLite database.

    bench/gen_sqlite_values.py PATH N

The same rows as the PostgreSQL generator in bench/measure (gen_pg_values): row g goes to
the (g mod 36)-th indicator; its k = g div 36 picks the period (newest first: 2025..2001,
or 2025-Q4..2001-Q1 for quarterly indicators) and the revision (k div periods + 1), so
revisions of a period run 1..n without gaps. If the schema has `is_current`, the latest
revision not rejected of each (indicator, period) is flagged.
"""
import sqlite3
import sys
from datetime import datetime, timedelta, timezone


MARK_CURRENT = """
UPDATE indicator_value SET is_current = TRUE WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY indicator_id, period ORDER BY revision DESC) AS rn
    FROM indicator_value WHERE status <> 'REJECTED') AS ranked
  WHERE rn = 1)
"""


def decimal(x):
    """x tenths as a canonical decimal string: 915 -> '91.5', 900 -> '90'."""
    return str(x // 10) if x % 10 == 0 else f"{x // 10}.{x % 10}"


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    con = sqlite3.connect(path)
    inds = con.execute("SELECT id, kind, frequency FROM indicator ORDER BY id").fetchall()
    c = len(inds)
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def rows():
        for g in range(n):
            iid, kind, freq = inds[g % c]
            k = g // c
            if freq == "QUARTERLY":
                j = k % 100
                period, revision = f"{2025 - j // 4}-Q{4 - j % 4}", k // 100 + 1
            else:
                period, revision = str(2025 - k % 25), k // 25 + 1
            x = {
                "PERCENTAGE": 700 + (g * 37) % 301,
                "QUANTITY": 10000 + (g * 53) % 5001,
                "PERCENT_CHANGE": 30 + (g * 7) % 41,
                "COUNT": 10 if k % 13 == 0 else 0,
            }.get(kind, 0)
            value = None if kind == "YES_NO" else decimal(x)
            implemented = (k % 7 != 3) if kind == "YES_NO" else None
            status = "REJECTED" if k % 20 == 19 else "VERIFIED" if k % 5 == 0 else "SUBMITTED"
            at = (base + timedelta(seconds=g)).isoformat()
            yield (iid, period, revision, value, implemented, status, None, "bench:generator", at,
                   None, "[]", None, None, None)

    with con:
        con.executemany(
            "INSERT INTO indicator_value (indicator_id, period, revision, value, implemented, status,"
            " unit_id, reported_by, reported_at, note, evidence, reviewed_by, reviewed_at, review_reason)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
        # Since migration 000004 the current revision of each (indicator, period) (the
        # latest one not rejected) carries is_current; flag it as the application would.
        columns = {row[1] for row in con.execute("PRAGMA table_info(indicator_value)")}
        if "is_current" in columns:
            con.execute(MARK_CURRENT)
    con.close()


if __name__ == "__main__":
    main()
