#!/usr/bin/env python3
"""Reference BM25 figures with Xapian (Debian python3-xapian) for docs/QUALITY.md.

usage: eval-xapian.py COLLECTION [--data DIR] [--k1 X --b X] [--run OUT]
       COLLECTION: scifact | cranfield | cisi   (folders of ../shared/evaldata)
Run it with the test venv's python (scripts/test-venv.sh prints it): that venv
sees python3-xapian and has pytrec_eval.

The collection is read here independently of quarry (BEIR jsonl; SMART
.I/.T/.W records; qrels with the same conventions as quarry: cranqrel codes
1..4 -> levels 4..1, -1 not relevant; CISI.REL pairs relevant; Cranfield
queries numbered by position). Documents are title + text in one field
("flat", like Anserini's BEIR baseline); queries are title + text. Analysis:
Xapian's TermGenerator/QueryParser with the English Snowball stemmer on every
term (STEM_ALL), Lucene's 33 English stopwords removed from queries, plain
terms OR-ed (no boolean syntax). Scoring: xapian.BM25Weight(k1, k2=0, k3=1,
b, min_normlen=0.5), default k1=0.9 b=0.4 (Anserini's BEIR setting).
The top 1000 per query are evaluated with pytrec_eval (trec_eval 9).
"""
import argparse
import json
import os
import re
import sys

import pytrec_eval
import xapian

LUCENE_STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their "
                  "then there these they this to was will with".split())


def read_smart(path):
    recs, cur, field = [], None, None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\r\n")
        m = re.match(r"^\.([A-Z])(?:[ \t](.*))?$", line)
        if m and m.group(1) == "I":
            cur = {"id": (m.group(2) or "").strip(), "T": [], "W": []}
            recs.append(cur)
            field = None
        elif m:
            field = m.group(1)
            if field in "TW" and m.group(2) and m.group(2).strip():
                cur[field].append(m.group(2).strip())
        elif cur is not None and field in ("T", "W"):
            cur[field].append(line.strip())
    return [(r["id"], "\n".join(x for x in r["T"] if x), "\n".join(x for x in r["W"] if x)) for r in recs]


def load(name, data):
    d = os.path.join(data, name)
    qrels = {}
    if name == "scifact":
        docs = []
        for line in open(os.path.join(d, "corpus.jsonl")):
            o = json.loads(line)
            docs.append((str(o["_id"]), o.get("title") or "", o.get("text") or ""))
        queries = {}
        for line in open(os.path.join(d, "queries.jsonl")):
            o = json.loads(line)
            queries[str(o["_id"])] = o["text"]
        for i, line in enumerate(open(os.path.join(d, "qrels", "test.tsv"))):
            f = line.split()
            if i == 0 and f[0] == "query-id":
                continue
            qrels.setdefault(f[0], {})[f[1]] = int(f[2])
    elif name == "cranfield":
        docs = read_smart(os.path.join(d, "cran.all.1400"))
        queries = {str(i + 1): (t + " " + w).strip() for i, (_, t, w) in enumerate(read_smart(os.path.join(d, "cran.qry")))}
        for line in open(os.path.join(d, "cranqrel")):
            q, doc, code = line.split()
            code = int(code)
            qrels.setdefault(q, {})[doc] = 5 - code if code >= 1 else code
    elif name == "cisi":
        docs = read_smart(os.path.join(d, "CISI.ALL"))
        queries = {i: (t + " " + w).strip() for i, t, w in read_smart(os.path.join(d, "CISI.QRY"))}
        for line in open(os.path.join(d, "CISI.REL")):
            f = line.split()
            qrels.setdefault(f[0], {})[f[1]] = 1
    else:
        sys.exit(f"unknown collection {name}")
    return docs, queries, qrels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("collection")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "evaldata"))
    ap.add_argument("--k1", type=float, default=0.9)
    ap.add_argument("--b", type=float, default=0.4)
    ap.add_argument("--run")
    a = ap.parse_args()
    docs, queries, qrels = load(a.collection, a.data)
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
    for did, title, text in docs:
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(title + "\n" + text)
        doc.set_data(did)
        db.add_document(doc)
    stop = xapian.SimpleStopper()
    for w in LUCENE_STOP:
        stop.add(w)
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("english"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
    qp.set_stopper(stop)
    qp.set_default_op(xapian.Query.OP_OR)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight(a.k1, 0, 1, a.b, 0.5))
    run = {}
    for qid, text in queries.items():
        if qid not in qrels:
            continue
        enq.set_query(qp.parse_query(text.lower(), 0))
        run[qid] = {m.document.get_data().decode(): float(m.weight) for m in enq.get_mset(0, 1000)}
    if a.run:
        with open(a.run, "w") as f:
            for qid, r in run.items():
                for rank, (doc, s) in enumerate(sorted(r.items(), key=lambda x: -x[1]), 1):
                    f.write(f"{qid} Q0 {doc} {rank} {s:.9g} xapian\n")
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "map", "recall_100", "P_10"})
    res = ev.evaluate(run)
    cut = {q: dict(sorted(sorted(r.items(), key=lambda x: x[0], reverse=True), key=lambda x: -x[1])[:10])
           for q, r in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut)
    n = len(res)
    mean = lambda m, src=res: sum(v[m] for v in src.values()) / n
    print(f"xapian {xapian.version_string()} BM25 k1={a.k1} b={a.b} on {a.collection}: {len(docs)} docs, {n} queries")
    print(f"ndcg@10 {mean('ndcg_cut_10'):.4f}  map {mean('map'):.4f}  mrr@10 {mean('recip_rank', rr):.4f}  "
          f"recall@100 {mean('recall_100'):.4f}  p@10 {mean('P_10'):.4f}")


if __name__ == "__main__":
    main()
