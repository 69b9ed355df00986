#!/usr/bin/env python3
"""Independent BM25 reference for quarry (plain Python, no packages).

Reads the analysed passages of an index back from `quarry info --dump`
(terms and positions per passage, surface forms), the parsed query from
`quarry search --dump-query`, then scores every passage with Lucene's BM25
(Lucene >= 9 form, docs/QUERY.md) including the 1-byte SmallFloat length
quantisation, implemented here from the Lucene source, not from quarry's.
Checks that quarry's top 10 has the same passages in the same order and
scores equal to 1e-5.

usage: bm25_ref.py QUARRY INDEX_DIR  (queries are built in below)
"""
import json
import math
import subprocess
import sys

# --- Lucene SmallFloat (org.apache.lucene.util.SmallFloat) ----------------------


def long_to_int4(i):
    nbits = i.bit_length()
    if nbits < 4:
        return i
    shift = nbits - 4
    enc = (i >> shift) & 0x07
    enc |= (shift + 1) << 3
    return enc


def int4_to_long(i):
    bits = i & 0x07
    shift = (i >> 3) - 1
    if shift == -1:
        return bits
    return (bits | 0x08) << shift


MAX_INT4 = long_to_int4(2**31 - 1)
NUM_FREE_VALUES = 255 - MAX_INT4


def int_to_byte4(i):
    if i < NUM_FREE_VALUES:
        return i
    return NUM_FREE_VALUES + long_to_int4(i - NUM_FREE_VALUES)


def byte4_to_int(b):
    if b < NUM_FREE_VALUES:
        return b
    return NUM_FREE_VALUES + int4_to_long(b - NUM_FREE_VALUES)


# --- the index, read back ------------------------------------------------------------


def load(quarry, index):
    out = subprocess.run([quarry, "info", "-x", index, "--dump"], check=True, capture_output=True, text=True).stdout
    stats, passages, surface = None, [], []
    for line in out.splitlines():
        o = json.loads(line)
        if o["type"] == "stats":
            stats = o
        elif o["type"] == "passage":
            passages.append(o)
        elif o["type"] == "surface":
            surface.append((o["form"], o["term"]))
    return stats, passages, surface


class Ref:
    def __init__(self, stats, passages, surface):
        self.N = len(passages)
        assert self.N == stats["passages"], "passage count"
        self.lens = [p["len"] for p in passages]
        total = sum(self.lens)
        assert total == stats["total_tokens"], "total tokens %d vs %d" % (total, stats["total_tokens"])
        self.avgdl = total / self.N
        for p in passages:
            assert int_to_byte4(p["len"]) == p["norm"], "norm of passage %d" % p["id"]
        self.tf = []  # passage -> term -> count
        self.pos = []  # passage -> term -> set of positions
        self.df = {}
        for p in passages:
            tf, pos = {}, {}
            for t, q in p["terms"]:
                tf[t] = tf.get(t, 0) + 1
                pos.setdefault(t, set()).add(q)
            assert sum(tf.values()) == p["len"], "passage %d length" % p["id"]
            for t in tf:
                self.df[t] = self.df.get(t, 0) + 1
            self.tf.append(tf)
            self.pos.append(pos)
        self.surface = surface

    def idf(self, t):
        df = self.df.get(t, 0)
        return math.log(1 + (self.N - df + 0.5) / (df + 0.5))

    def expand(self, prefix):
        terms = sorted({t for f, t in self.surface if f.encode().startswith(prefix.encode())}, key=lambda t: t.encode())
        if len(terms) > 256:
            terms = sorted(terms, key=lambda t: (-self.df.get(t, 0), t.encode()))[:256]
        return terms

    def clause(self, c, p, K):
        """(matches, score) of clause c in passage p."""
        tf = self.tf[p]
        if c["kind"] == "term":
            t = c["terms"][0]
            f = tf.get(t, 0)
            if not f:
                return False, 0.0
            return True, c["weight"] * self.idf(t) * f / (f + K)
        if c["kind"] == "prefix":
            s, hit = 0.0, False
            for t in self.expand(c["terms"][0]):
                f = tf.get(t, 0)
                if f:
                    hit = True
                    s += self.idf(t) * f / (f + K)
            return hit, s
        # phrase
        terms, rel = c["terms"], c["pos"]
        if any(t not in tf for t in terms):
            return False, 0.0
        starts = [s for s in self.pos[p][terms[0]] if all(s + r in self.pos[p][t] for t, r in zip(terms, rel))]
        pf = len(starts)
        if not pf:
            return False, 0.0
        idf = sum(self.idf(t) for t in terms)
        return True, idf * pf / (pf + K)

    def search(self, clauses, k1, b, k):
        hits = []
        for p in range(self.N):
            K = k1 * (1 - b + b * byte4_to_int(int_to_byte4(self.lens[p])) / self.avgdl)
            score, any_pos, ok = 0.0, False, True
            for c in clauses:
                m, s = self.clause(c, p, K)
                if c["occur"] == "not":
                    if m:
                        ok = False
                    continue
                if c["occur"] == "must" and not m:
                    ok = False
                if m:
                    any_pos = True
                    score += s
            if ok and any_pos:
                hits.append((score, p))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return hits[:k]


QUERIES = [
    ("levée de fonds xAI", 0.9, 0.4),
    ("generateur d'images", 0.9, 0.4),
    ("investisseur", 0.9, 0.4),
    ("Elon Musk", 0.9, 0.4),
    ('"levée de fonds"', 0.9, 0.4),
    ("+xAI -Tesla", 0.9, 0.4),
    ("investiss*", 0.9, 0.4),
    ("milliards de dollars Nvidia GPU", 0.9, 0.4),
    ("+Musk +financement valorisation", 0.9, 0.4),
    ("centre de données Memphis", 0.9, 0.4),
    ('"intelligence artificielle" startup', 0.9, 0.4),
    ("OpenAI ChatGPT Grok Anthropic", 0.9, 0.4),
    ("gén* images", 0.9, 0.4),
    ("xAI valorisation milliards", 1.2, 0.75),
    ("xAI valorisation milliards", 0.5, 0.0),
    ("xAI valorisation milliards", 2.0, 1.0),
    ("Tesla Tesla SpaceX", 0.9, 0.4),
    ('"la course à l\'armement"', 0.9, 0.4),
]


def main():
    quarry, index = sys.argv[1], sys.argv[2]
    ref = Ref(*load(quarry, index))
    failures, checked = 0, 0
    for q, k1, b in QUERIES:
        parsed = json.loads(
            subprocess.run([quarry, "search", "-x", index, "--dump-query", "--", q], check=True, capture_output=True, text=True).stdout
        )
        want = ref.search(parsed["clauses"], k1, b, 10)
        run = subprocess.run(
            [quarry, "search", "-x", index, "--json", "-k", "10", "--k1", str(k1), "--b", str(b), "--", q],
            capture_output=True,
            text=True,
        )
        got = [json.loads(line) for line in run.stdout.splitlines()]
        if run.returncode != (0 if want else 1):
            print("FAIL %r: exit status %d" % (q, run.returncode))
            failures += 1
            continue
        if len(got) != len(want):
            print("FAIL %r: %d hits, reference %d" % (q, len(got), len(want)))
            failures += 1
            continue
        for rank, (g, (ws, wp)) in enumerate(zip(got, want), 1):
            checked += 1
            if abs(g["score"] - ws) > 1e-5:
                print("FAIL %r rank %d: score %.6f, reference %.6f" % (q, rank, g["score"], ws))
                failures += 1
            if g["passage"] != wp and abs(g["score"] - ws) > 1e-9:
                print("FAIL %r rank %d: passage %d, reference %d" % (q, rank, g["passage"], wp))
                failures += 1
        print("ok   %-40r k1=%.2f b=%.2f  %d hits, top %s" % (q, k1, b, len(got), [h["passage"] for h in got[:5]]))
    print("%d queries, %d ranks checked, %d failures" % (len(QUERIES), checked, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
