"""PISA (Mallia et al. 2019) through pyterrier-pisa as a benchmark peer.

Indexing: PISA's own tokenizer, no stemmer, no stopwords, block_simdbp
codec (PISA's default); the index-time cost includes building the BM25
block-max metadata for k1 = 0.9, b = 0.4 (done on the first retrieval, which
the index phase triggers). PISA stores no passage text. Query:
block-max WAND (pyterrier-pisa's default) over the query terms, called
through the compiled _pisathon.retrieve with preallocated arrays, so no
pandas code runs inside the timed call.
"""
import os
import shutil

import numpy as np
from pyterrier_pisa import PisaIndex, _pisathon

from common import PEER_B, PEER_K1, main, read_corpus


def _index(path):
    return PisaIndex(path, stemmer="none", stops="none", threads=1)


def index(corpus, path, threads):
    if os.path.exists(path):
        shutil.rmtree(path)
    idx = PisaIndex(path, stemmer="none", stops="none", threads=threads)
    n = 0

    def docs():
        nonlocal n
        for i, text in read_corpus(corpus):
            n += 1
            yield {"docno": str(i), "text": text}

    idx.index(docs())
    open_search(path, 10)  # builds the block-max data for this k1, b
    return n


def open_search(path, k):
    r = _index(path).bm25(k1=PEER_K1, b=PEER_B, num_results=k)
    ctxt, algo = r._ctxt, r.query_algorithm.value
    qidx = np.empty(k, dtype=np.int32)
    docnos = np.empty(k, dtype=object)
    ranks = np.empty(k, dtype=np.int32)
    scores = np.empty(k, dtype=np.float32)

    def prepare(terms):
        return [(0, " ".join(terms))]

    def run(q):
        return _pisathon.retrieve(ctxt, algo, q, k=k, threads=1, query_weighted=0, pretokenised=False,
                                  result_qidxs=qidx, result_docnos=docnos, result_ranks=ranks,
                                  result_scores=scores)

    return prepare, run


if __name__ == "__main__":
    main(index, open_search, "pisa")
