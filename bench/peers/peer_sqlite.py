"""SQLite FTS5 (Debian's libsqlite3 through Python's sqlite3 module) as a
benchmark peer.

Table: fts5(text) with the unicode61 tokenizer (case folding, splits on
non-alphanumerics), content stored in the table (like quarry's passage
store), rowid = passage id; built in one transaction then merged with the
'optimize' command. Query: "t1" OR "t2" ... ORDER BY rank LIMIT k; FTS5's
rank is bm25() with k1 = 1.2, b = 0.75 hard-coded (not settable), and it
scores every matching row before sorting (no top-k pruning).
"""
import os
import sqlite3

from common import main, read_corpus


def index(corpus, path, threads):
    os.makedirs(path, exist_ok=True)
    db = os.path.join(path, "fts.db")
    if os.path.exists(db):
        os.remove(db)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(text, tokenize='unicode61')")
    n = 0
    with con:
        cur = con.cursor()
        batch = []
        for i, text in read_corpus(corpus):
            batch.append((i, text))
            if len(batch) == 10000:
                cur.executemany("INSERT INTO docs(rowid, text) VALUES (?, ?)", batch)
                n += len(batch)
                batch = []
        cur.executemany("INSERT INTO docs(rowid, text) VALUES (?, ?)", batch)
        n += len(batch)
    con.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    con.commit()
    con.close()
    return n


def open_search(path, k):
    con = sqlite3.connect("file:" + os.path.join(path, "fts.db") + "?mode=ro", uri=True)
    sql = f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT {int(k)}"

    def prepare(terms):
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)

    def run(q):
        return len(con.execute(sql, (q,)).fetchall())

    return prepare, run


if __name__ == "__main__":
    main(index, open_search, "sqlite")
