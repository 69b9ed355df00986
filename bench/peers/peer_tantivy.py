"""Tantivy (official Python bindings, pip `tantivy`) as a benchmark peer.

Schema: `id` (u64, stored, fast) and `text` (default tokenizer: split on
non-alphanumerics, lowercase, drop tokens > 40 bytes; positions and stored
text, like quarry's index). Queries: BooleanQuery of SHOULD TermQuerys with
count=False, so Tantivy can use block-max WAND for top-k.
BM25 parameters: Tantivy hard-codes k1 = 1.2, b = 0.75 (not settable).
Indexing goes through the Python binding, one add_document per passage, so
the measured throughput includes a per-document Python overhead (~1 us).
"""
import os

import tantivy

from common import main, read_corpus


def schema():
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, fast=True)
    sb.add_text_field("text", stored=True)
    return sb.build()


def index(corpus, path, threads):
    os.makedirs(path, exist_ok=True)
    idx = tantivy.Index(schema(), path=path, reuse=False)
    w = idx.writer(heap_size=512_000_000, num_threads=threads)
    n = 0
    for i, text in read_corpus(corpus):
        doc = tantivy.Document()
        doc.add_unsigned("id", i)
        doc.add_text("text", text)
        w.add_document(doc)
        n += 1
    w.commit()
    w.wait_merging_threads()
    return n


def open_search(path, k):
    s = schema()
    idx = tantivy.Index(s, path=path, reuse=True)
    idx.reload()
    searcher = idx.searcher()
    should = tantivy.Occur.Should

    def prepare(terms):
        return tantivy.Query.boolean_query([(should, tantivy.Query.term_query(s, "text", t)) for t in terms])

    def run(q):
        return len(searcher.search(q, k, count=False).hits)

    return prepare, run


if __name__ == "__main__":
    main(index, open_search, "tantivy")
