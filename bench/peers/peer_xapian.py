"""Xapian 1.4 (Debian python3-xapian) as a benchmark peer.

Indexing: TermGenerator without stemmer (lowercases, splits words; stores
positions), the passage text as document data (like quarry's passage store),
docid = passage id + 1. Query: OP_OR of the terms, BM25Weight(k1 = 0.9,
k2 = 0, k3 = 1, b = 0.4, min_normlen = 0.5): the same k1 and b as quarry.
get_mset(0, k) lets Xapian's matcher prune with the terms' max weights.
"""
import xapian

from common import PEER_B, PEER_K1, main, read_corpus


def index(corpus, path, threads):
    db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    n = 0
    for i, text in read_corpus(corpus):
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(text)
        doc.set_data(text)
        db.replace_document(i + 1, doc)
        n += 1
    db.commit()
    db.close()
    return n


def open_search(path, k):
    db = xapian.Database(path)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight(PEER_K1, 0, 1, PEER_B, 0.5))

    def prepare(terms):
        return xapian.Query(xapian.Query.OP_OR, terms)

    def run(q):
        enq.set_query(q)
        return enq.get_mset(0, k).size()

    return prepare, run


if __name__ == "__main__":
    main(index, open_search, "xapian")
