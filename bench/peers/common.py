"""Shared pieces of the peer runners (bench/peers/peer_*.py).

Every runner is a small program with two sub-commands, run by the driver
(bench/peers/run.py) in a fresh process each, so that the peak RSS the
driver reads with wait4() belongs to one phase only:

    peer_X.py index CORPUS.tsv INDEX_DIR [--threads N]
        builds the index; prints one JSON object:
        {"seconds": wall time from the first byte read to a closed index,
         "passages": count}
    peer_X.py search INDEX_DIR QUERIES.txt --k 10,1000 [--budget S] [--repeat R]
        opens the index, and for each k runs every query once untimed
        (warm-up: caches, lazily built structures) then R times timed (each
        query's latency is the median of its R timings), single-threaded;
        prints {"k": {"10": {"lat_us": [...], "cpu_us": [...], "hits": [...]}}}
        (wall and CPU time per query)
        where hits is the number of results of the first queries (a sanity
        check that the engine matched something).

The warm-up and the timed passes each stop early after `budget` seconds (slow exhaustive peers on
big corpora); the queries are in random order, so a prefix is a fair sample
and the driver reports how many were timed.

Queries are lists of lowercase terms (split on spaces); every runner builds
a disjunction (OR) of term queries directly, never through a query parser,
so all engines answer the same question.
"""
import argparse
import json
import os
import sys
import time

PEER_K1 = 0.9
PEER_B = 0.4


def read_corpus(path):
    """Yield (id, text) from an `id<TAB>text` file."""
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            i, _, text = line.rstrip("\n").partition("\t")
            yield int(i), text


def read_queries(path):
    with open(path, "r", encoding="utf-8") as f:
        return [line.split() for line in f if line.strip()]


def time_queries(prepare, run, queries, budget, repeat=3, warm_passes=1):
    """Warm pass(es), then `repeat` timed passes; each query's latency is the
    median of its timings (a shared machine interrupts a few calls; the
    median of 3 drops those without hiding the engine's own slow queries).
    Two clocks: wall time, and the process's CPU time (all its threads),
    which a loaded machine barely disturbs. prepare(terms) builds the
    engine's query object (not timed: it is mostly Python binding overhead,
    and leaving it out only favours the peer); run(prepared) searches and
    returns the number of hits. Returns (wall latencies in microseconds,
    CPU latencies in microseconds, hits of the first 20 queries)."""
    prepared = [prepare(q) for q in queries]
    t_end = time.perf_counter() + budget
    for _ in range(warm_passes):
        for q in prepared:
            run(q)
            if time.perf_counter() > t_end:
                break
    times = [[] for _ in prepared]
    cpus = [[] for _ in prepared]
    hits = []
    t_end = time.perf_counter() + budget
    for r in range(repeat):
        for i, q in enumerate(prepared):
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            n = run(q)
            t1 = time.perf_counter_ns()
            cpus[i].append((time.process_time_ns() - c0) / 1000.0)
            times[i].append((t1 - t0) / 1000.0)
            if r == 0 and len(hits) < 20:
                hits.append(n)
            if time.perf_counter() > t_end:
                break
        if time.perf_counter() > t_end:
            break
    lat = [sorted(t)[(len(t) - 1) // 2] for t in times if t]
    cpu = [sorted(t)[(len(t) - 1) // 2] for t in cpus if t]
    return lat, cpu, hits


def main(index_fn, open_fn, name):
    """Command-line entry shared by the Python runners.
    index_fn(corpus_path, index_dir, threads) -> passages indexed
    open_fn(index_dir, k) -> (prepare(terms) -> query, run(query) -> hit count)"""
    ap = argparse.ArgumentParser(prog=f"peer_{name}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("index")
    pi.add_argument("corpus")
    pi.add_argument("index")
    pi.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ps = sub.add_parser("search")
    ps.add_argument("index")
    ps.add_argument("queries")
    ps.add_argument("--k", default="10,1000")
    ps.add_argument("--budget", type=float, default=120.0)
    ps.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    # Engines may print progress on stdout (PISA does): send fd 1 to stderr
    # while they work, and write only our JSON to the real stdout.
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    if a.cmd == "index":
        t0 = time.perf_counter()
        n = index_fn(a.corpus, a.index, a.threads)
        out = {"seconds": time.perf_counter() - t0, "passages": n}
    else:
        queries = read_queries(a.queries)
        out = {"k": {}}
        for k in [int(x) for x in a.k.split(",")]:
            prepare, run = open_fn(a.index, k)
            lat, cpu, hits = time_queries(prepare, run, queries, a.budget, a.repeat)
            out["k"][str(k)] = {"lat_us": lat, "cpu_us": cpu, "hits": hits}
    sys.stdout.flush()
    os.dup2(real_stdout, 1)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
