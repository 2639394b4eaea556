# Debian's python3: json, sqlite3 (on disk and in memory) and a thread
# (tests/system/debian.py, python).
import json, sqlite3, threading

db = sqlite3.connect("/tmp/t.db", check_same_thread=False)
db.execute("drop table if exists t")
db.execute("create table t (k text, v int)")
db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2)])
db.commit()
out = []
th = threading.Thread(target=lambda: out.append(
    db.execute("select sum(v) from t").fetchone()[0]))
th.start()
th.join()
mem = sqlite3.connect(":memory:").execute("select 6 * 7").fetchone()[0]
rows = db.execute("select * from t order by k").fetchall()
print(json.dumps({"rows": rows, "sum": out[0], "mem": mem}))
