"""Write an XLM-R-style tokenizer.json with a real sentencepiece charsmap.

usage: spm_tokenizer_json.py TEXTS_FILE OUT_JSON

Trains a small Unigram model with sentencepiece (normalisation nmt_nfkc, as
XLM-R) on TEXTS_FILE, reads its pieces and precompiled charsmap from the
model protobuf (parsed by hand: field numbers from sentencepiece_model.proto),
and writes the tokenizer.json transformers would export for it: Precompiled
+ Replace(" {2,}") normalizer, Metaspace, Unigram, "<s> $A </s>". Used to
check quarry's Precompiled normalizer against the `tokenizers` library.
"""
import base64
import io
import json
import struct
import sys

import sentencepiece as spm


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """Yield (field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def main():
    texts_file, out = sys.argv[1:3]
    with open(texts_file, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buf, vocab_size=800,
                                   model_type="unigram", normalization_rule_name="nmt_nfkc",
                                   hard_vocab_limit=False, minloglevel=2)
    pieces, charsmap = [], None
    for f, _, v in fields(buf.getvalue()):
        if f == 1:  # SentencePiece { piece = 1; score = 2; type = 3 }
            p = {"score": 0.0, "type": 1}
            for g, _, u in fields(v):
                if g == 1:
                    p["piece"] = u.decode("utf-8")
                elif g == 2:
                    p["score"] = struct.unpack("<f", u)[0]
                elif g == 3:
                    p["type"] = u
            pieces.append(p)
        elif f == 3:  # NormalizerSpec { precompiled_charsmap = 2 }
            for g, _, u in fields(v):
                if g == 2:
                    charsmap = u
    unk = next(i for i, p in enumerate(pieces) if p["type"] == 2)
    ids = {p["piece"]: i for i, p in enumerate(pieces)}
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in ("<unk>", "<s>", "</s>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [], "special_tokens": {
                               "<s>": {"id": "<s>", "ids": [ids["<s>"]], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [ids["</s>"]], "tokens": ["</s>"]}}},
        "decoder": None,
        "model": {"type": "Unigram", "unk_id": unk, "byte_fallback": False,
                  "vocab": [[p["piece"], p["score"]] for p in pieces]},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
