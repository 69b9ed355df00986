#!/usr/bin/env python3
"""The BM25 benchmark driver: quarry and every peer engine, same corpus,
same queries, same machine, one run per corpus size.

    python bench/peers/run.py [--sizes 10000,100000,1000000] [--engines ...]

For each size it generates the corpus (build/bench/corpusgen, cached under
--data), then for each engine runs, in separate processes:
  index   builds the index (timed inside the engine's process; peak RSS of
          the process from wait4());
  search  opens the index and times every query (one untimed warm pass,
          then --repeat timed passes, a query's latency being the median of
          its timings; single thread), for top-10 and top-1000;
          peak RSS of that process.
and writes bench/results/<date>-<machine>.{md,json,png}: per-engine numbers,
ratios quarry/peer (< 1: quarry is faster or smaller), and latency against
corpus size. bench/README.md documents the method and its limits.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PEERS = ["tantivy", "lucene", "pisa", "xapian", "sqlite", "bm25s"]
ENGINES = ["quarry"] + PEERS
# BM25 parameters each engine really uses (k1, b), for the report.
BM25_PARAMS = {
    "quarry": "0.9 / 0.4",
    "tantivy": "1.2 / 0.75 (fixed)",
    "lucene": "0.9 / 0.4",
    "pisa": "0.9 / 0.4",
    "xapian": "0.9 / 0.4",
    "sqlite": "1.2 / 0.75 (fixed)",
    "bm25s": "0.9 / 0.4",
}
# Files holding the doc-id/frequency postings (no positions, no stored text),
# for "postings bytes per posting"; None: not separable.
POSTINGS_FILES = {
    "quarry": r"^postings",
    "tantivy": r"\.idx$",
    "lucene": r"\.doc$",
    "pisa": r"\.block_simdbp$",
    "xapian": r"^postlist\.",
    "sqlite": None,
    "bm25s": r"^(data|indices)\.csc\.index\.npy$",
}
# Build intermediates that searching does not need (not counted in the size).
NOT_INDEX = {"pisa": r"^(fwd|inv\.docs|inv\.freqs|inv\.sizes)$"}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def run_measured(cmd, stdout_path, stderr_path, env=None, cwd=None):
    """Run cmd; return (exit status, wall seconds, peak RSS in bytes)."""
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, wall, ru.ru_maxrss * 1024


def last_json(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip().startswith("{")]
    if not lines:
        raise ValueError(f"no JSON output in {path}")
    return json.loads(lines[-1])


def dir_sizes(path, engine):
    total = post = 0
    skip = re.compile(NOT_INDEX[engine]) if engine in NOT_INDEX else None
    pat = re.compile(POSTINGS_FILES[engine]) if POSTINGS_FILES.get(engine) else None
    for root, _, files in os.walk(path):
        for f in files:
            if skip and skip.search(f):
                continue
            s = os.path.getsize(os.path.join(root, f))
            total += s
            if pat and pat.search(f):
                post += s
    return total, (post if pat else None)


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return None
    i = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[i]


def lat_stats(lat):
    s = sorted(lat)
    mean = sum(s) / len(s) if s else None
    return {"n": len(s), "p50": pct(s, 50), "p95": pct(s, 95), "p99": pct(s, 99), "max": s[-1] if s else None,
            "mean": mean, "qps": 1e6 / mean if mean else None}


# ---- engines: how to index and search ------------------------------------------------
class Engine:
    def __init__(self, name, a):
        self.name, self.a = name, a

    def available(self):
        return True, ""

    def index_cmd(self, data, idx):
        raise NotImplementedError

    def search_cmd(self, data, idx):
        raise NotImplementedError


class PyPeer(Engine):
    def available(self):
        mod = {"tantivy": "tantivy", "bm25s": "bm25s", "xapian": "xapian", "sqlite": "sqlite3",
               "pisa": "pyterrier_pisa"}[self.name]
        r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, text=True)
        return r.returncode == 0, r.stderr.strip().splitlines()[-1:] if r.returncode else ""

    def index_cmd(self, data, idx):
        return [sys.executable, os.path.join(HERE, f"peer_{self.name}.py"), "index",
                os.path.join(data, "corpus.tsv"), idx, "--threads", str(self.a.threads)]

    def search_cmd(self, data, idx):
        return [sys.executable, os.path.join(HERE, f"peer_{self.name}.py"), "search", idx,
                os.path.join(data, "queries.txt"), "--k", self.a.k, "--budget", str(self.a.budget),
                "--repeat", str(self.a.repeat)]


class Lucene(Engine):
    def classpath(self):
        p = os.path.join(os.path.dirname(os.path.dirname(sys.executable)), "lucene", "classpath")
        return open(p).read().strip() if os.path.exists(p) else None

    def available(self):
        return (self.classpath() is not None and shutil.which("java") is not None,
                "Lucene not compiled (scripts/bench-venv.sh: Debian liblucene8-java + JDK)")

    def java(self, *flags):
        return ["java", *flags, "-cp", self.classpath(), "LuceneBench"]

    def index_cmd(self, data, idx):
        return self.java() + ["index", os.path.join(data, "corpus.tsv"), idx, "--threads", str(self.a.threads)]

    def search_cmd(self, data, idx):
        # Serial GC: one thread searching needs no concurrent collector, and
        # G1's background threads cost ms-long pauses on a busy 2-core machine.
        return self.java("-XX:+UseSerialGC") + ["search", idx, os.path.join(data, "queries.txt"), "--k", self.a.k,
                              "--budget", str(self.a.budget), "--repeat", str(self.a.repeat)]


class Quarry(Engine):
    """quarry reads the corpus as BEIR records (corpus.jsonl, one document
    per passage) with --passage-tokens 1024 (no passage is longer, so each
    record stays one passage) and --lang none (no stemming or stopwords:
    the same tokens as the peers see). A quarry without --format gets one
    file per passage instead (files/NNNNN/ID.txt)."""

    def available(self):
        q = self.a.quarry
        if not os.access(q, os.X_OK):
            return False, f"{q} not built"
        r = subprocess.run([q, "bench", "--help"], capture_output=True, text=True)
        if r.returncode != 0:
            return False, "this quarry has no 'bench' command yet"
        r = subprocess.run([q, "index", "--help"], capture_output=True, text=True)
        self.beir = "--format" in r.stdout + r.stderr
        return True, ""

    def prepare(self, data):
        if self.beir:
            return
        files = os.path.join(data, "files")
        if os.path.exists(os.path.join(files, ".done")):
            return
        log(f"quarry: writing one file per passage under {files}")
        shutil.rmtree(files, ignore_errors=True)
        os.makedirs(files)
        with open(os.path.join(data, "corpus.tsv"), encoding="utf-8") as f:
            for line in f:
                i, _, text = line.rstrip("\n").partition("\t")
                d = os.path.join(files, "%05d" % (int(i) // 1000))
                if int(i) % 1000 == 0:
                    os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, i + ".txt"), "w", encoding="utf-8") as g:
                    g.write(text + "\n")
        open(os.path.join(files, ".done"), "w").close()

    def index_cmd(self, data, idx):
        src = ["--format", "beir", os.path.join(data, "corpus.jsonl")] if self.beir else [os.path.join(data, "files")]
        # --no-vectors: BM25 only, as the peers (quarry embeds every passage by default)
        return [self.a.quarry, "index", "-q", "-o", idx, "--lang", "none", "--passage-tokens", "1024",
                "--passage-overlap", "0", "--no-vectors"] + src

    def search_cmd(self, data, idx):
        return [self.a.quarry, "bench", "-x", idx, "--queries", os.path.join(data, "queries.txt"), "-k", self.a.k,
                "--budget", str(self.a.budget), "--repeat", str(self.a.repeat), "--json", "--latencies"]


def make_engine(name, a):
    if name == "quarry":
        return Quarry(name, a)
    if name == "lucene":
        return Lucene(name, a)
    return PyPeer(name, a)


# ---- one corpus size ------------------------------------------------------------------
def ensure_corpus(a, n, jsonl):
    data = os.path.join(a.data, f"n{n}")
    st = os.path.join(data, "stats.json")
    if os.path.exists(st) and (not jsonl or os.path.exists(os.path.join(data, "corpus.jsonl"))):
        s = json.load(open(st))
        if s.get("passages") == n and s.get("queries") == a.queries and s.get("seed") == a.seed:
            return data, s
    log(f"generating {n} passages into {data}")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(a.data, exist_ok=True)
    subprocess.run([a.gen, "-n", str(n), "-q", str(a.queries), "--seed", str(a.seed), "-o", data]
                   + (["--jsonl"] if jsonl else []), check=True)
    return data, json.load(open(st))


def bench_engine(a, eng, n, data, stats):
    work = os.path.join(a.work, f"n{n}", eng.name)
    idx = os.path.join(work, "index")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    res = {"bm25_k1_b": BM25_PARAMS[eng.name], "load": [round(os.getloadavg()[0], 1)]}
    if hasattr(eng, "prepare"):
        eng.prepare(data)
    log(f"{eng.name} n={n}: indexing")
    rc, wall, rss = run_measured(eng.index_cmd(data, idx), os.path.join(work, "index.out"),
                                 os.path.join(work, "index.err"))
    if rc != 0:
        return {"error": f"index failed (exit {rc}), see {work}/index.err"}
    try:
        inner = last_json(os.path.join(work, "index.out"))
        secs = inner["seconds"]
    except (ValueError, KeyError):
        secs = wall  # quarry index prints no JSON: process wall time (C start-up is ~1 ms)
    size, post = dir_sizes(idx, eng.name)
    res["index"] = {
        "seconds": secs, "wall_seconds": wall, "peak_rss": rss, "bytes": size, "postings_bytes": post,
        "mb_per_s": stats["text_bytes"] / 1e6 / secs, "passages_per_s": n / secs,
        "bytes_per_posting": size / stats["postings"],
        "postings_bytes_per_posting": post / stats["postings"] if post is not None else None,
    }
    log(f"{eng.name} n={n}: searching")
    rc, wall, rss = run_measured(eng.search_cmd(data, idx), os.path.join(work, "search.out"),
                                 os.path.join(work, "search.err"))
    if rc != 0:
        res["error"] = f"search failed (exit {rc}), see {work}/search.err"
        return res
    out = last_json(os.path.join(work, "search.out"))
    res["search"] = {"peak_rss": rss, "k": {}}
    for k, v in out["k"].items():
        st = lat_stats(v["lat_us"])
        if v.get("cpu_us"):
            st["cpu"] = lat_stats(v["cpu_us"])
        st["hits_first"] = v.get("hits", [])[:20]
        if "stages" in v:
            st["stages"] = v["stages"]
        res["search"]["k"][k] = st
    res["load"].append(round(os.getloadavg()[0], 1))  # 1-minute load average before and after
    if not a.keep_indexes:
        shutil.rmtree(idx, ignore_errors=True)
    return res


# ---- report ---------------------------------------------------------------------------
def machine_info():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {"host": socket.gethostname(), "cpu": cpu, "cores": os.cpu_count(), "mem_bytes": mem,
            "kernel": platform.release(), "python": platform.python_version()}


def versions(a):
    v = {}
    code = ("import importlib.metadata as m, json\nout = {}\n"
            "for p in ['tantivy', 'bm25s', 'pyterrier-pisa', 'numpy']:\n"
            "    try: out[p] = m.version(p)\n    except Exception: pass\n"
            "try:\n    import xapian; out['xapian'] = xapian.version_string()\nexcept Exception: pass\n"
            "import sqlite3; out['sqlite'] = sqlite3.sqlite_version\nprint(json.dumps(out))")
    try:
        v.update(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout))
    except ValueError:
        pass
    lc = Lucene("lucene", a).classpath()
    if lc:
        m = re.search(r"lucene-core-([\d.]+)\.jar", lc)
        v["lucene"] = m.group(1) if m else "?"
    try:
        v["quarry"] = subprocess.run([a.quarry, "--version"], capture_output=True,
                                     text=True).stdout.strip().replace("quarry ", "")
        v["quarry_commit"] = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"],
                                            capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return v


def cpu(st, key):
    """The CPU-time statistic when the engine reported one, else wall time."""
    if not st:
        return None
    return st["cpu"][key] if "cpu" in st else st.get(key)


def fmt_num(x, unit=""):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f}{unit}"
    if x >= 10:
        return f"{x:.1f}{unit}"
    return f"{x:.2f}{unit}"


def fmt_ratio(q, p):
    if q is None or p is None or p == 0:
        return "–"
    return f"{q / p:.2f}"


def size_label(n):
    e = len(str(n)) - 1
    return f"10^{e}" if n == 10 ** e else f"{n:,}"


def write_markdown(path, R):
    m = R["machine"]
    L = [f"# BM25 benchmark, {R['date']}", "",
         f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_bytes'] / 2**30:.0f} GiB RAM, Linux {m['kernel']} "
         f"(host {m['host']}). Shared machine: compare within a run, not across runs.", "",
         "Versions: " + ", ".join(f"{k} {v}" for k, v in R["versions"].items()), "",
         f"Corpus: bench/gen/corpusgen (seed {R['params']['seed']}), {R['params']['queries']} queries of 1-6 terms; "
         f"latency = CPU time of one query in µs (the process's for the Python peers, the searching thread's for "
         "quarry and Lucene): on this shared machine wall time measures the other jobs as much as the engine; "
         "wall-clock p50/p99 are in the 'wall' columns. Single thread, warm (after an untimed pass), median of "
         f"{R['params']['repeat']} timed passes; time budget {R['params']['budget']} s per phase (n = queries timed). Ratios are quarry / peer: below 1 quarry is faster (latency) or smaller "
         "(size); for throughput the ratio is quarry / peer too, so above 1 quarry indexes faster.", ""]
    for n, S in R["sizes"].items():
        st = S["corpus"]
        L += [f"## {size_label(int(n))} passages",
              "",
              f"{st['tokens']:,} tokens, {st['postings']:,} postings, {st['distinct_terms']:,} distinct terms, "
              f"{st['text_bytes'] / 1e6:.0f} MB of text.", "",
              "| engine | k1 / b | index MB/s | passages/s | index MB | B/posting | postings B/posting | "
              "RSS index MB | RSS search MB | top-10 p50 | p95 | p99 | max | wall p50 | wall p99 | "
              "top-1000 p50 | p99 | wall p50 |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for e, r in S["engines"].items():
            if "index" not in r:
                L.append(f"| {e} | {r.get('bm25_k1_b', '')} | {r.get('error', r.get('skipped', ''))} |" + " |" * 15)
                continue
            ix, se = r["index"], r.get("search", {"k": {}, "peak_rss": None})
            t10, t1k = se["k"].get("10", {}), se["k"].get("1000", {})
            L.append("| " + " | ".join([
                e, r["bm25_k1_b"], fmt_num(ix["mb_per_s"]), fmt_num(ix["passages_per_s"]), fmt_num(ix["bytes"] / 1e6),
                fmt_num(ix["bytes_per_posting"]), fmt_num(ix["postings_bytes_per_posting"]),
                fmt_num(ix["peak_rss"] / 1e6), fmt_num(se["peak_rss"] / 1e6 if se["peak_rss"] else None),
                fmt_num(cpu(t10, "p50")), fmt_num(cpu(t10, "p95")), fmt_num(cpu(t10, "p99")), fmt_num(cpu(t10, "max")),
                fmt_num(t10.get("p50")), fmt_num(t10.get("p99")),
                fmt_num(cpu(t1k, "p50")), fmt_num(cpu(t1k, "p99")), fmt_num(t1k.get("p50"))]) + " |")
        timed = [f"{e} {r['search']['k'].get('10', {}).get('n', 0)}" for e, r in S["engines"].items()
                 if "search" in r]
        timed1k = [f"{e} {r['search']['k'].get('1000', {}).get('n', 0)}" for e, r in S["engines"].items()
                   if "search" in r]
        loads = [f"{e} {r['load'][0]}-{r['load'][-1]}" for e, r in S["engines"].items() if len(r.get("load", [])) > 1]
        L += ["", "Queries timed (top-10): " + ", ".join(timed) + "; (top-1000): " + ", ".join(timed1k) + ".", ""]
        if loads:
            L += [f"Machine load ({m['cores']} cores; 1-minute load average when the engine started and "
                  "finished): " + ", ".join(loads) + ".", ""]
        q = S["engines"].get("quarry", {})
        if "search" in q:
            L += ["Ratios quarry / peer:", "",
                  "| peer | top-10 p50 | top-10 p99 | top-1000 p50 | top-1000 p99 | index throughput | index size | "
                  "RSS search |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
            qk = q["search"]["k"]
            for e, r in S["engines"].items():
                if e == "quarry" or "search" not in r:
                    continue
                pk = r["search"]["k"]
                L.append("| " + " | ".join([
                    e,
                    fmt_ratio(cpu(qk.get("10"), "p50"), cpu(pk.get("10"), "p50")),
                    fmt_ratio(cpu(qk.get("10"), "p99"), cpu(pk.get("10"), "p99")),
                    fmt_ratio(cpu(qk.get("1000"), "p50"), cpu(pk.get("1000"), "p50")),
                    fmt_ratio(cpu(qk.get("1000"), "p99"), cpu(pk.get("1000"), "p99")),
                    fmt_ratio(q["index"]["mb_per_s"], r["index"]["mb_per_s"]),
                    fmt_ratio(q["index"]["bytes"], r["index"]["bytes"]),
                    fmt_ratio(q["search"]["peak_rss"], r["search"]["peak_rss"])]) + " |")
            L.append("")
        else:
            L += [f"quarry: {q.get('error', q.get('skipped', 'not run'))}; no ratios for this size.", ""]
    L += ["Notes: index size counts what searching needs (PISA's forward index and uncompressed inverted files are "
          "build intermediates and are left out); 'postings B/posting' counts only the doc-id/frequency "
          "postings files where an engine keeps them apart (no positions, no stored text). Peak RSS includes "
          "the runtime (Python ~10-30 MB, JVM heap). See bench/README.md.", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def readme_table(R, n):
    S = R["sizes"][str(n)]
    L = [f"{size_label(n)} passages ({S['corpus']['text_bytes'] / 1e6:.0f} MB of text):", "",
         "| engine | top-10 p50 | top-10 p99 | top-1000 p50 | top-1000 p99 | index MB/s | index MB | RSS search MB |"
         " quarry/peer top-10 p50 | quarry/peer top-10 p99 |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    q = S["engines"].get("quarry", {})
    qk = q.get("search", {}).get("k", {})
    for e, r in S["engines"].items():
        if "search" not in r:
            continue
        k = r["search"]["k"]
        t10, t1k = k.get("10", {}), k.get("1000", {})
        L.append("| " + " | ".join([
            e, fmt_num(cpu(t10, "p50")), fmt_num(cpu(t10, "p99")), fmt_num(cpu(t1k, "p50")), fmt_num(cpu(t1k, "p99")),
            fmt_num(r["index"]["mb_per_s"]), fmt_num(r["index"]["bytes"] / 1e6), fmt_num(r["search"]["peak_rss"] / 1e6),
            "" if e == "quarry" else fmt_ratio(cpu(qk.get("10"), "p50"), cpu(t10, "p50")),
            "" if e == "quarry" else fmt_ratio(cpu(qk.get("10"), "p99"), cpu(t10, "p99"))]) + " |")
    skipped = [e for e, r in S["engines"].items() if "search" not in r]
    if skipped:
        L += ["", "Not run at this size: " + ", ".join(skipped) + "."]
    return L + [""]


def update_readme(readme, R, base):
    """Replace the text between the bench markers of README.md with short
    tables for the two largest corpora of this run (the slow peers are often
    limited to the smaller one; all numbers: the .md file)."""
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    show = sorted(int(x) for x in R["sizes"])[-2:]
    rel = os.path.relpath(base, os.path.dirname(os.path.abspath(readme)))
    m = R["machine"]
    L = [begin, f"Latest run: {R['date']}, {m['cpu']} ({m['cores']} cores, shared machine), "
         f"{R['params']['queries']} queries of 1-6 terms; latency = CPU time per query in µs (wall time on this "
         "shared machine is mostly other jobs' load), single thread, warm. "
         f"Full tables: [{rel}.md]({rel}.md), plot: [{rel}.png]({rel}.png).", ""]
    for n in show:
        L += readme_table(R, n)
    L.append(end)
    text = open(readme).read() if os.path.exists(readme) else ""
    block = "\n".join(L)
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## Benchmark\n\n" + block + "\n"
    with open(readme, "w") as f:
        f.write(text)


def write_plot(path, R):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot")
        return False
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    sizes = sorted(int(n) for n in R["sizes"])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, k in zip(axes, ["10", "1000"]):
        for i, e in enumerate(ENGINES):
            xs, p50, p99 = [], [], []
            for n in sizes:
                r = R["sizes"][str(n)]["engines"].get(e, {})
                st = r.get("search", {}).get("k", {}).get(k)
                if st and cpu(st, "p50") is not None:
                    xs.append(n), p50.append(cpu(st, "p50")), p99.append(cpu(st, "p99"))
            if not xs:
                continue
            c = colors[i % len(colors)]
            lw = 2.5 if e == "quarry" else 1.3
            ax.plot(xs, p50, "o-", color=c, lw=lw, label=f"{e} p50")
            ax.plot(xs, p99, "s--", color=c, lw=lw * 0.7, alpha=0.7, label=f"{e} p99")
        ax.set_xscale("log"), ax.set_yscale("log")
        ax.set_xlabel("passages"), ax.set_title(f"BM25 top-{k}: CPU µs per query (single thread, warm)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("µs per query")
    axes[1].legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle(f"{R['date']} — {R['machine']['cpu']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cache = os.environ.get("QUARRY_CACHE", os.path.expanduser("~/.cache/quarry"))
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--queries", type=int, default=1000, help="queries generated per size")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--k", default="10,1000")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per timed pass per engine and k")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; a query's latency is its median")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="indexing threads where settable")
    ap.add_argument("--data", default=os.path.join(cache, "bench", "data"), help="generated corpora (cached)")
    ap.add_argument("--work", default=os.path.join(cache, "bench", "work"), help="indexes and logs")
    ap.add_argument("--out", default=os.path.join(SRC, "bench", "results"))
    ap.add_argument("--name", default=None, help="result file stem (default <date>-<machine>)")
    ap.add_argument("--quarry", default=os.path.join(SRC, "build", "quarry"))
    ap.add_argument("--gen", default=os.path.join(SRC, "build", "bench", "corpusgen"))
    ap.add_argument("--keep-indexes", action="store_true")
    ap.add_argument("--limit", default="", help="ENGINE=N,...: skip ENGINE above N passages (slow peers)")
    ap.add_argument("--readme", default=None, help="update the table between the bench markers of this file")
    a = ap.parse_args()
    a.sizes = [int(float(s)) for s in a.sizes.split(",")]
    limits = {kv.split("=")[0]: int(float(kv.split("=")[1])) for kv in a.limit.split(",") if "=" in kv}
    engines = [make_engine(e, a) for e in a.engines.split(",")]
    for e in engines:
        if e.name not in ENGINES:
            sys.exit(f"run.py: unknown engine {e.name} (known: {', '.join(ENGINES)})")
    now = datetime.datetime.now(datetime.timezone.utc)
    R = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_info(), "versions": versions(a),
         "params": {"seed": a.seed, "queries": a.queries, "k": a.k, "budget": a.budget, "repeat": a.repeat,
                    "threads": a.threads},
         "sizes": {}}
    avail = {e.name: e.available() for e in engines}
    for name, (ok, why) in avail.items():
        if not ok:
            log(f"{name}: skipped ({why})")
    stem = a.name or f"{now.strftime('%Y-%m-%d')}-{re.sub(r'[^A-Za-z0-9_.-]', '_', R['machine']['host'])}"
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, stem)
    for n in a.sizes:
        qe = [e for e in engines if e.name == "quarry" and avail[e.name][0]]
        data, stats = ensure_corpus(a, n, jsonl=bool(qe) and qe[0].beir)
        S = R["sizes"][str(n)] = {"corpus": stats, "engines": {}}
        R["params"]["limit"] = a.limit
        for e in engines:
            ok, why = avail[e.name]
            if e.name in limits and n > limits[e.name]:
                ok, why = False, f"above --limit {e.name}={limits[e.name]}"
            if not ok:
                S["engines"][e.name] = {"bm25_k1_b": BM25_PARAMS[e.name], "skipped": f"skipped: {why}"}
            else:
                try:
                    S["engines"][e.name] = bench_engine(a, e, n, data, stats)
                except Exception as ex:  # one engine failing must not lose the others' numbers
                    S["engines"][e.name] = {"bm25_k1_b": BM25_PARAMS[e.name],
                                            "error": f"{type(ex).__name__}: {ex}"}
            r = S["engines"][e.name]
            if "error" in r:
                log(f"{e.name} n={n}: {r['error']}")
            elif "search" in r:
                k10 = r["search"]["k"].get("10", {})
                log(f"{e.name} n={n}: {r['index']['mb_per_s']:.1f} MB/s, {r['index']['bytes'] / 1e6:.1f} MB, "
                    f"top-10 p50 {k10.get('p50')} us p99 {k10.get('p99')} us")
            # Write after every engine: a long run interrupted keeps what it measured.
            with open(base + ".json", "w") as f:
                json.dump(R, f, indent=1)
            write_markdown(base + ".md", R)
        if "quarry" in [e.name for e in engines]:
            shutil.rmtree(os.path.join(data, "files"), ignore_errors=True)
    write_plot(base + ".png", R)
    if a.readme:
        update_readme(a.readme, R, base)
    log(f"wrote {base}.md, .json, .png")
    print(base + ".md")


if __name__ == "__main__":
    main()
