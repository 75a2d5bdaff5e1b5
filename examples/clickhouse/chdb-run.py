#!/usr/bin/env python3
"""Runs this folder's ClickHouse SQL on spoolsweep events with chDB, the embedded ClickHouse
engine (pip install chdb): the same SQL runs on a ClickHouse server or cluster.

    examples/clickhouse/chdb-run.py [--window SECONDS] EVENTS.ndjson[.gz]...

Prints one JSON object: {"totals": {...}, "domains": [...], "mailboxes": [...], "peaks": [...]},
the figures of `spoolsweep summary --format json` (totals, domains, mailboxes with --top 0) and
`suspects --format json` (peak_in_window per account).
"""
import argparse
import gzip
import json
import os
import re
import sys
import tempfile

try:
    from chdb import session
except ImportError:
    sys.exit("chdb-run.py: the chdb module is missing: install it with `pip install chdb` "
             "(make test does; the SQL itself runs on any ClickHouse)")

HERE = os.path.dirname(os.path.abspath(__file__))


def statements(path):
    """The statements of an SQL file, split at a ';' that ends a line."""
    text = "\n".join(line for line in open(os.path.join(HERE, path), encoding="utf-8").read().splitlines()
                     if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", text + "\n") if s.strip()]


def rows(s, sql):
    out = s.query(sql, "JSONEachRow")
    text = out.bytes().decode("utf-8") if hasattr(out, "bytes") else str(out)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=int, default=600, help="the peak-rate window in seconds (suspects' --rate)")
    ap.add_argument("events", nargs="+")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="spoolsweep-chdb-") as db:
        s = session.Session(db)
        for f in ["schema.sql", "local-domains.sql"]:
            for st in statements(f):
                s.query(st)
        for path in args.events:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                data = f.read()
            if data.strip():
                s.query("INSERT INTO mail.events FORMAT JSONEachRow\n" + data)

        def one(f, **params):
            (st,) = statements(f)
            for k, v in params.items():
                st = st.replace("{%s:UInt64}" % k, str(int(v)))
            return rows(s, st)

        ints = lambda r: {k: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v for k, v in r.items()}
        result = {
            "totals": ints(one("summary-totals.sql")[0]),
            "domains": [ints(r) for r in one("summary-domains.sql")],
            "mailboxes": [ints(r) for r in one("summary-mailboxes.sql")],
            "peaks": [ints(r) for r in one("suspects-peak.sql", preceding_ms=args.window * 1000 - 1)],
        }
        s.close() if hasattr(s, "close") else None
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
