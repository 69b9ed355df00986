"""bm25s (pip `bm25s`, Lu 2024) as a benchmark peer.

bm25s precomputes every BM25 term-document score into a sparse CSC matrix
at indexing time; a query sums the columns of its terms over all documents
and takes the top k (exhaustive, no pruning). k1 = 0.9, b = 0.4, Lucene idf
(method="lucene"). Tokenizer: its default regex (\\w\\w+), lowercase, no
stopwords, no stemming: identical to the others on the generated corpus
(words are ASCII letters, at least 2 characters). The whole corpus is held
in memory while indexing (bm25s has no streaming indexer). Saved with
numpy files and opened with mmap=True for searching.
"""
import numpy as np

import bm25s

from common import PEER_B, PEER_K1, main, read_corpus


def index(corpus, path, threads):
    texts = [t for _, t in read_corpus(corpus)]
    tok = bm25s.tokenize(texts, stopwords=None, show_progress=False)
    r = bm25s.BM25(k1=PEER_K1, b=PEER_B, method="lucene")
    r.index(tok, show_progress=False)
    r.save(path)
    return len(texts)


def open_search(path, k):
    r = bm25s.BM25.load(path, mmap=True, show_progress=False)
    vocab = r.vocab_dict

    def prepare(terms):
        return [t for t in terms if t in vocab]

    def run(q):
        if not q:
            return 0
        scores = r.get_scores(q)
        kk = min(k, len(scores))
        top = np.argpartition(-scores, kk - 1)[:kk]
        top = top[np.argsort(-scores[top], kind="stable")]
        return int(np.count_nonzero(scores[top] > 0))

    return prepare, run


if __name__ == "__main__":
    main(index, open_search, "bm25s")
