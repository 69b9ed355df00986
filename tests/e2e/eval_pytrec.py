"""Reference check of `quarry eval` against pytrec_eval (trec_eval 9.x inside).

usage: eval_pytrec.py gen DIR            write a random qrels + run (seeded) into DIR
       eval_pytrec.py check QRELS RUN QUARRY_JSON [--metrics LIST]   (QRELS: TREC or BEIR TSV)
A query in QUARRY_JSON without any line in RUN (quarry found nothing) is given
to pytrec_eval as an empty ranking.
The check evaluates RUN with pytrec_eval and compares every query and the
mean with quarry's --per-query --json output, to 4 decimals. mrr@k has no
cut-off in trec_eval: like ir_measures' RR@k, the run is cut to its top k in
trec_eval's order (score descending, docid descending) before recip_rank.
"""
import json
import random
import sys

import pytrec_eval

MEASURES = {  # quarry name -> (trec_eval measure, cut-off for recip_rank or None)
    "ndcg@10": ("ndcg_cut_10", None),
    "map": ("map", None),
    "mrr@10": ("recip_rank", 10),
    "recall@100": ("recall_100", None),
    "p@10": ("P_10", None),
    "ndcg": ("ndcg", None),
    "map@5": ("map_cut_5", None),
    "mrr": ("recip_rank", None),
    "recall@5": ("recall_5", None),
}


def gen(d):
    rnd = random.Random(7)
    docs = [f"d{i}" for i in range(120)] + [f"D{i}" for i in range(40)] + [str(i) for i in range(40)]
    judged = {}
    with open(f"{d}/qrels.trec", "w") as f:
        for q in range(1, 41):
            if q % 13 == 0:  # judged, nothing relevant
                for doc in rnd.sample(docs, 5):
                    f.write(f"q{q} 0 {doc} {rnd.choice([0, -1])}\n")
                continue
            judged[q] = rnd.sample(docs, rnd.randint(1, 30))
            for doc in judged[q]:
                f.write(f"q{q} 0 {doc} {rnd.choice([-1, 0, 0, 1, 1, 2, 3])}\n")
    with open(f"{d}/run.trec", "w") as f:
        for q in list(range(5, 46)):  # q1..q4 judged but absent; q41..q45 not judged
            n = rnd.randint(0, 150)
            hits = [x for x in judged.get(q, []) if rnd.random() < 0.7]  # rank judged documents often
            hits += [x for x in rnd.sample(docs, n) if x not in hits]
            rnd.shuffle(hits)
            for rank, doc in enumerate(hits[:n], 1):
                score = round(rnd.random() * 3, 1) if q % 2 else rnd.random()  # many ties on odd queries
                f.write(f"q{q} Q0 {doc} {rank} {score} ref\n")


def main():
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        return 0
    qrels_path, run_path, quarry_path = sys.argv[2:5]
    if len(sys.argv) > 6 and sys.argv[5] == "--metrics":
        for name in list(MEASURES):
            if name not in sys.argv[6].split(","):
                del MEASURES[name]
    qrels, run = {}, {}
    for line in open(qrels_path):
        f = line.split()
        if not f or f[0] == "query-id":  # BEIR header
            continue
        q, doc, rel = (f[0], f[2], f[3]) if len(f) == 4 else (f[0], f[1], f[2])
        qrels.setdefault(q, {})[doc] = int(rel)
    for line in open(run_path):
        q, _, doc, _, score, _ = line.split()
        run.setdefault(q, {})[doc] = float(score)
    ours, mean = {}, None
    for line in open(quarry_path):
        o = json.loads(line)
        if o["qid"] == "all":
            mean = o
        else:
            ours[o["qid"]] = o
    for q in ours:  # a query quarry ran that found nothing has no line in the run file
        run.setdefault(q, {})
    ev = pytrec_eval.RelevanceEvaluator(qrels, {m for m, _ in MEASURES.values()})
    ref = ev.evaluate(run)
    cut_runs = {}
    for _, k in MEASURES.values():
        if k and k not in cut_runs:
            cut = {}
            for q, docs in run.items():
                order = sorted(docs.items(), key=lambda x: x[0], reverse=True)
                order = sorted(order, key=lambda x: x[1], reverse=True)[:k]
                cut[q] = dict(order)
            cut_runs[k] = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut)
    bad = 0
    if set(ours) != set(ref):
        print(f"evaluated queries differ: quarry {sorted(ours)} pytrec_eval {sorted(ref)}")
        bad += 1
    worst = 0.0
    for name, (tm, k) in MEASURES.items():
        total = 0.0
        for q in ref:
            want = cut_runs[k][q][tm] if k else ref[q][tm]
            total += want
            got = ours.get(q, {}).get(name)
            if got is None or abs(got - want) >= 5e-5:
                print(f"{q} {name}: quarry {got} pytrec_eval {want}")
                bad += 1
            else:
                worst = max(worst, abs(got - want))
        want = total / len(ref) if ref else 0.0
        if mean is None or abs(mean[name] - want) >= 5e-5:
            print(f"mean {name}: quarry {mean and mean[name]} pytrec_eval {want}")
            bad += 1
    print(f"{len(ref)} queries x {len(MEASURES)} measures compared, largest difference {worst:.2e}, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
