"""Reference embeddings for quarry's encoder tests (tests/e2e/embed_ref_*.sh).

  embed_ref.py minilm MODEL_DIR TEXTS OUT.npy
      sentence-transformers' vectors for each line of TEXTS. Texts longer
      than one window (max_seq_length - 2 content tokens) are embedded with
      quarry's documented window rule (embed/README.md) on the same
      transformers BertModel, since sentence-transformers itself truncates.
  embed_ref.py e5-torch E5S1_FILE IDS.jsonl OUT.npy
      PyTorch/transformers XLMRobertaModel built with the file's
      hyper-parameters and its Q4_0 weights dequantised here (reader written
      from the layout in embed/qx_e5s1.h), run on the token ids quarry fed
      (one {"ids": [...]} per line, windows applied by the same rule).
  embed_ref.py compare A B MIN_COSINE [LABEL]
      per-row cosine of two sets of vectors (.npy, or .jsonl as printed by
      `quarry embed`: one array, or one {"embedding": [...]} object, a line);
      prints min / mean and the worst rows, exit 1 below MIN.
"""
import json
import struct
import sys

import numpy as np


def windows(content, max_tokens):
    """quarry's rule: C = max_tokens - 2 content tokens per window, a new
    window every C - C // 8 tokens, until one reaches the end."""
    c = max_tokens - 2
    s = c - c // 8
    out, start = [], 0
    while True:
        out.append(content[start:start + c])
        if start + c >= len(content):
            return out
        start += s


def pooled(model, torch, windows_ids, cls, sep):
    """Token-weighted mean over all windows' final hidden states, normalised."""
    acc, n = None, 0
    for w in windows_ids:
        ids = torch.tensor([[cls] + list(w) + [sep]])
        with torch.no_grad():
            h = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
        s = h.sum(0).double().numpy()
        acc = s if acc is None else acc + s
        n += h.shape[0]
    v = acc / n
    return (v / np.linalg.norm(v)).astype(np.float32)


def read_lines(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line[:-1] if line.endswith("\n") else line for line in f]


def minilm(model_dir, texts_path, out):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    texts = read_lines(texts_path)
    st = SentenceTransformer(model_dir, device="cpu")
    tok, bert = st.tokenizer, st[0].auto_model
    maxlen = st.max_seq_length
    vecs = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    for i, t in enumerate(texts):
        ids = tok(t, add_special_tokens=True, truncation=False)["input_ids"]
        if len(ids) > maxlen:
            vecs[i] = pooled(bert, torch, windows(ids[1:-1], maxlen), ids[0], ids[-1])
    np.save(out, vecs)


# ---- E5S1 weights (layout: embed/qx_e5s1.h) ----
def read_e5s1_weights(path):
    d = open(path, "rb").read()
    if d[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file")
    hidden, layers, heads, ffn, vocab, maxpos, types = struct.unpack_from("<7i", d, 8)
    (eps,) = struct.unpack_from("<f", d, 36)
    (block,) = struct.unpack_from("<i", d, 40)
    p = 44
    n, bos, eos, pad, unk = struct.unpack_from("<5i", d, p)
    p += 20
    (blob,) = struct.unpack_from("<Q", d, p)
    p += 8 + 4 * (n + 1) + 4 * n + blob
    _, nm_bytes = struct.unpack_from("<iI", d, p)
    p += 8 + nm_bytes
    (nt,) = struct.unpack_from("<i", d, p)
    p += 4
    tensors = {}
    for _ in range(nt):
        (nl,) = struct.unpack_from("<H", d, p)
        p += 2
        name = d[p:p + nl].decode()
        p += nl
        dtype = d[p]
        p += 1
        count, off, nbytes = struct.unpack_from("<IQQ", d, p)
        p += 20
        raw = np.frombuffer(d, dtype=np.uint8, count=nbytes, offset=off)
        if dtype == 0:
            tensors[name] = raw.view("<f4").astype(np.float32)
        else:  # Q4_0: f16 scale + 16 bytes; weight j low nibble of byte j, j+16 high nibble
            b = raw.reshape(-1, 18)
            scale = b[:, :2].copy().view("<f2").astype(np.float32)
            q = b[:, 2:]
            w = np.concatenate([q & 15, q >> 4], axis=1).astype(np.float32) - 8.0
            tensors[name] = (w * scale).reshape(-1)
    hp = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, maxpos=maxpos,
              types=types, eps=eps, block=block, bos=bos, eos=eos, pad=pad)
    return hp, tensors


def e5_model(path):
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    hp, t = read_e5s1_weights(path)
    H, F = hp["hidden"], hp["ffn"]
    cfg = XLMRobertaConfig(vocab_size=hp["vocab"], hidden_size=H, num_hidden_layers=hp["layers"],
                           num_attention_heads=hp["heads"], intermediate_size=F, hidden_act="gelu",
                           max_position_embeddings=hp["maxpos"] + hp["pad"] + 1,
                           type_vocab_size=hp["types"], layer_norm_eps=hp["eps"],
                           pad_token_id=hp["pad"], hidden_dropout_prob=0.0,
                           attention_probs_dropout_prob=0.0)
    model = XLMRobertaModel(cfg, add_pooling_layer=False).eval()
    # the file's position table starts at position id padding_idx + 1
    pos = np.concatenate([np.zeros((hp["pad"] + 1, H), np.float32), t["emb.pos"].reshape(-1, H)])
    sd = {"embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, H),
          "embeddings.position_embeddings.weight": pos,
          "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
          "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    for layer in range(hp["layers"]):
        for short, long in names.items():
            w = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.weight"] = w.reshape(shapes[short]) if short in shapes else w
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids") and "token_type_ids" not in k]
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing} unexpected {unexpected}")
    return hp, model


def e5_torch(path, ids_path, out):
    import torch

    torch.set_num_threads(2)
    hp, model = e5_model(path)
    vecs = []
    with open(ids_path) as f:
        for line in f:
            ids = json.loads(line)["ids"]
            vecs.append(pooled(model, torch, windows(ids[1:-1], hp["maxpos"]), ids[0], ids[-1]))
    np.save(out, np.stack(vecs))


def load_vectors(path):
    if path.endswith(".npy"):
        return np.load(path)
    rows = []
    with open(path) as f:
        for line in f:
            v = json.loads(line)
            rows.append(v["embedding"] if isinstance(v, dict) else v)
    return np.array(rows, dtype=np.float32)


def compare(a, b, minimum, label=""):
    x, y = load_vectors(a), load_vectors(b)
    if x.shape != y.shape:
        print(f"{label}: shape {x.shape} vs {y.shape}")
        return 1
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    worst = np.argsort(cos)[:5]
    print(f"{label}: {len(cos)} vectors, cosine min {cos.min():.6f} mean {cos.mean():.6f} "
          f"(need >= {minimum}); worst rows {[(int(i), round(float(cos[i]), 6)) for i in worst]}")
    return 0 if cos.min() >= float(minimum) else 1


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "minilm":
        minilm(*args)
    elif cmd == "e5-torch":
        e5_torch(*args)
    elif cmd == "compare":
        sys.exit(compare(*args))
    else:
        sys.exit(f"unknown command {cmd}")
