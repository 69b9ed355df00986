/*
 * tokenizer_hf.c: loads a Hugging Face tokenizer.json (the `tokenizers`
 * library's serialisation, https://huggingface.co/docs/tokenizers) with
 * jansson. Supported, which covers BERT-family and SentencePiece models
 * exported by transformers (XLM-R family included):
 *   model         WordPiece {vocab, unk_token, continuing_subword_prefix,
 *                 max_input_chars_per_word}; Unigram {vocab [[piece, score]],
 *                 unk_id} without byte_fallback
 *   normalizer    BertNormalizer (WordPiece); NFKC or Precompiled (a
 *                 sentencepiece charsmap) then Replace(" {2,}" -> " "), alone
 *                 or in a Sequence (Unigram); or null
 *   pre_tokenizer BertPreTokenizer (WordPiece); Metaspace (Unigram)
 *   post_processor TemplateProcessing / BertProcessing / RobertaProcessing:
 *                 gives the ids put before and after the text
 *   added_tokens  matched on the raw text, leftmost-longest, before the model
 * Anything else is refused with a message naming the file and the field, so
 * a model is never tokenised differently from its reference in silence.
 */
#include <jansson.h>
#include <stdlib.h>

#include "tokenizer_int.h"

#define BAD(...) qx_err(QUARRY_EMODEL, __VA_ARGS__)

/* The type string of a component object, "" if absent, NULL if not an object. */
static const char *type_of(json_t *o) {
  if (!json_is_object(o)) return NULL;
  const char *s = json_string_value(json_object_get(o, "type"));
  return s ? s : "";
}

static int flag(json_t *o, const char *key, int dflt) {
  json_t *v = json_object_get(o, key);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Vocabulary of `n` slots; slot i filled with strs[i] (may be NULL = empty). */
static int set_vocab(qx_tokenizer *t, const char **strs, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += (strs[i] ? strlen(strs[i]) : 0) + 1;
  t->blob = qx_malloc(total);
  t->off = qx_malloc((n + 1) * sizeof *t->off);
  if (!t->blob || !t->off) return qx_err(QUARRY_ENOMEM, "%s: vocabulary", t->source);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strs[i] ? strlen(strs[i]) : 0;
    t->off[i] = (uint32_t)o;
    if (len) memcpy(t->blob + o, strs[i], len);
    t->blob[o + len] = 0;
    o += len + 1;
  }
  t->off[n] = (uint32_t)o;
  t->n_vocab = n;
  return 0;
}

static int load_wordpiece(qx_tokenizer *t, json_t *model, const char *path) {
  json_t *vocab = json_object_get(model, "vocab");
  if (!json_is_object(vocab) || json_object_size(vocab) == 0)
    return BAD("%s: model.vocab must be a non-empty object {token: id}", path);
  size_t n = json_object_size(vocab);
  const char **strs = qx_calloc(n, sizeof *strs);
  if (!strs) return qx_err(QUARRY_ENOMEM, "%s: vocabulary", path);
  const char *key;
  json_t *val;
  int rc = 0;
  json_object_foreach(vocab, key, val) {
    json_int_t id = json_integer_value(val);
    if (!json_is_integer(val) || id < 0 || (size_t)id >= n || strs[id]) {
      rc = BAD("%s: model.vocab: token \"%s\" has id %s (ids must be 0..%zu, each once)", path, key,
               json_is_integer(val) ? "out of range or repeated" : "that is not an integer", n - 1);
      break;
    }
    strs[id] = key;
  }
  if (!rc) rc = set_vocab(t, strs, n);
  free(strs);
  if (rc) return rc;
  t->kind = QX_TOK_WORDPIECE;
  const char *unk = json_string_value(json_object_get(model, "unk_token"));
  const char *prefix = json_string_value(json_object_get(model, "continuing_subword_prefix"));
  json_t *maxc = json_object_get(model, "max_input_chars_per_word");
  if (!prefix) prefix = "##";
  if (strlen(prefix) >= sizeof t->prefix) return BAD("%s: continuing_subword_prefix too long", path);
  memcpy(t->prefix, prefix, strlen(prefix) + 1);
  t->prefix_len = strlen(prefix);
  t->max_word_chars = json_is_integer(maxc) ? (size_t)json_integer_value(maxc) : 100;
  if ((rc = qx_tok_vocab_index(t))) return rc;
  t->unk_id = unk ? qx_tok_lookup(t, unk, strlen(unk)) : -1;
  if (t->unk_id < 0)
    return BAD("%s: model.unk_token \"%s\" is not in the vocabulary", path, unk ? unk : "(none)");
  return 0;
}

static int load_unigram(qx_tokenizer *t, json_t *model, const char *path) {
  json_t *vocab = json_object_get(model, "vocab");
  if (!json_is_array(vocab) || json_array_size(vocab) == 0)
    return BAD("%s: model.vocab must be a non-empty array of [piece, score]", path);
  if (flag(model, "byte_fallback", 0))
    return qx_err(QUARRY_EUNSUPPORTED, "%s: Unigram byte_fallback is not supported", path);
  size_t n = json_array_size(vocab);
  const char **strs = qx_calloc(n, sizeof *strs);
  t->scores = qx_malloc(n * sizeof *t->scores);
  if (!strs || !t->scores) {
    free(strs);
    return qx_err(QUARRY_ENOMEM, "%s: vocabulary", path);
  }
  int rc = 0;
  double min_score = 0.0;
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *e = json_array_get(vocab, i);
    strs[i] = json_string_value(json_array_get(e, 0));
    json_t *sc = json_array_get(e, 1);
    if (!strs[i] || !json_is_number(sc)) {
      rc = BAD("%s: model.vocab[%zu] is not [string, number]", path, i);
      break;
    }
    t->scores[i] = json_number_value(sc);
    if (i == 0 || t->scores[i] < min_score) min_score = t->scores[i];
  }
  if (!rc) rc = set_vocab(t, strs, n);
  free(strs);
  if (rc) return rc;
  t->kind = QX_TOK_UNIGRAM;
  t->unk_score = min_score - 10.0;
  t->fuse_unk = 1;
  json_t *unk = json_object_get(model, "unk_id");
  if (!json_is_integer(unk) || json_integer_value(unk) < 0 || (size_t)json_integer_value(unk) >= n)
    return BAD("%s: model.unk_id missing or out of range", path);
  t->unk_id = (int32_t)json_integer_value(unk);
  return qx_tok_vocab_index(t);
}

/* One normalizer component (WordPiece takes BertNormalizer only). */
static int load_normalizer(qx_tokenizer *t, json_t *n, const char *path) {
  const char *type = type_of(n);
  if (json_is_null(n) || !n) return 0;
  if (!type) return BAD("%s: normalizer is not an object", path);
  if (t->kind == QX_TOK_WORDPIECE && !strcmp(type, "BertNormalizer")) {
    t->clean_text = flag(n, "clean_text", 1);
    t->chinese_chars = flag(n, "handle_chinese_chars", 1);
    t->lowercase = flag(n, "lowercase", 1);
    t->strip_accents = flag(n, "strip_accents", t->lowercase);
    return 0;
  }
  if (t->kind == QX_TOK_UNIGRAM) {
    if (!strcmp(type, "Sequence")) {
      json_t *list = json_object_get(n, "normalizers"), *e;
      size_t i;
      int rc;
      json_array_foreach(list, i, e) if ((rc = load_normalizer(t, e, path))) return rc;
      return 0;
    }
    if (!strcmp(type, "NFKC") || !strcmp(type, "Precompiled")) {
      if (t->collapse_spaces || t->nfkc || t->pc_units)
        return BAD("%s: normalizer %s must come first in the sequence", path, type);
      if (!strcmp(type, "NFKC")) {
        t->nfkc = 1;
        return 0;
      }
      const char *b64 = json_string_value(json_object_get(n, "precompiled_charsmap"));
      if (!b64) return BAD("%s: Precompiled normalizer without a precompiled_charsmap string", path);
      return qx_precompiled_load(t, b64, path);
    }
    if (!strcmp(type, "Replace")) {
      const char *re = json_string_value(json_object_get(json_object_get(n, "pattern"), "Regex"));
      const char *content = json_string_value(json_object_get(n, "content"));
      if (re && content && !strcmp(re, " {2,}") && !strcmp(content, " ")) {
        t->collapse_spaces = 1;
        return 0;
      }
      return BAD("%s: normalizer Replace is supported only as \" {2,}\" -> \" \"", path);
    }
  }
  return BAD("%s: normalizer '%s' is not supported for a %s model", path, type,
             t->kind == QX_TOK_WORDPIECE ? "WordPiece" : "Unigram");
}

static int load_pre_tokenizer(qx_tokenizer *t, json_t *p, const char *path) {
  const char *type = type_of(p);
  if (!type) return BAD("%s: pre_tokenizer missing or not an object", path);
  if (t->kind == QX_TOK_WORDPIECE && !strcmp(type, "BertPreTokenizer")) return 0;
  if (t->kind == QX_TOK_UNIGRAM && !strcmp(type, "Metaspace")) {
    const char *rep = json_string_value(json_object_get(p, "replacement"));
    const char *scheme = json_string_value(json_object_get(p, "prepend_scheme"));
    if (rep && strcmp(rep, "\xe2\x96\x81")) return BAD("%s: Metaspace replacement must be U+2581", path);
    if (!flag(p, "split", 1)) return BAD("%s: Metaspace with split=false is not supported", path);
    if (scheme) {
      if (strcmp(scheme, "always") && strcmp(scheme, "never"))
        return BAD("%s: Metaspace prepend_scheme '%s' is not supported", path, scheme);
      t->add_prefix_space = !strcmp(scheme, "always");
    } else {
      t->add_prefix_space = flag(p, "add_prefix_space", 1);
    }
    return 0;
  }
  return BAD("%s: pre_tokenizer '%s' is not supported for a %s model", path, type,
             t->kind == QX_TOK_WORDPIECE ? "WordPiece" : "Unigram");
}

/* Id of a special token given by name: added tokens first, then the vocabulary. */
static int32_t special_id(qx_tokenizer *t, json_t *added, const char *name) {
  size_t i;
  json_t *e;
  json_array_foreach(added, i, e) {
    const char *c = json_string_value(json_object_get(e, "content"));
    if (c && !strcmp(c, name)) return (int32_t)json_integer_value(json_object_get(e, "id"));
  }
  return qx_tok_lookup(t, name, strlen(name));
}

static int load_post(qx_tokenizer *t, json_t *root, json_t *added, const char *path) {
  json_t *pp = json_object_get(root, "post_processor");
  const char *type = type_of(pp);
  const char *dcls = t->kind == QX_TOK_WORDPIECE ? "[CLS]" : "<s>";
  const char *dsep = t->kind == QX_TOK_WORDPIECE ? "[SEP]" : "</s>";
  t->cls_id = t->sep_id = -1;
  if (type && !strcmp(type, "TemplateProcessing")) {
    json_t *single = json_object_get(pp, "single");
    size_t n = json_array_size(single);
    json_t *specials = json_object_get(pp, "special_tokens");
    json_t *a = json_object_get(json_array_get(single, 0), "SpecialToken");
    json_t *b = json_object_get(json_array_get(single, n ? n - 1 : 0), "SpecialToken");
    if (n != 3 || !a || !b || !json_object_get(json_array_get(single, 1), "Sequence"))
      return BAD("%s: post_processor template must be \"SPECIAL $A SPECIAL\"", path);
    json_t *ia =
        json_object_get(json_object_get(specials, json_string_value(json_object_get(a, "id"))), "ids");
    json_t *ib =
        json_object_get(json_object_get(specials, json_string_value(json_object_get(b, "id"))), "ids");
    if (json_array_size(ia) != 1 || json_array_size(ib) != 1)
      return BAD("%s: post_processor special tokens must have one id each", path);
    t->cls_id = (int32_t)json_integer_value(json_array_get(ia, 0));
    t->sep_id = (int32_t)json_integer_value(json_array_get(ib, 0));
  } else if (type && (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing"))) {
    t->cls_id = (int32_t)json_integer_value(json_array_get(json_object_get(pp, "cls"), 1));
    t->sep_id = (int32_t)json_integer_value(json_array_get(json_object_get(pp, "sep"), 1));
  } else if (!pp || json_is_null(pp)) {
    t->cls_id = special_id(t, added, dcls);
    t->sep_id = special_id(t, added, dsep);
  } else {
    return BAD("%s: post_processor '%s' is not supported", path, type ? type : "?");
  }
  if (t->cls_id < 0 || t->sep_id < 0 || (size_t)t->cls_id >= t->n_vocab || (size_t)t->sep_id >= t->n_vocab)
    return BAD("%s: cannot find the ids of %s / %s", path, dcls, dsep);
  json_t *pad = json_object_get(json_object_get(root, "padding"), "pad_id");
  t->pad_id = json_is_integer(pad) ? (int32_t)json_integer_value(pad)
                                   : special_id(t, added, t->kind == QX_TOK_WORDPIECE ? "[PAD]" : "<pad>");
  if (t->pad_id < 0 || (size_t)t->pad_id >= t->n_vocab) t->pad_id = 0;
  return 0;
}

/* Added tokens: each must either be a model token with the same id or take
 * a new id past the model's vocabulary (then the vocabulary grows). */
static int load_added(qx_tokenizer *t, json_t *added, const char *path) {
  size_t n = json_array_size(added), i;
  json_t *e;
  if (!n) return 0;
  t->added = qx_calloc(n, sizeof *t->added);
  if (!t->added) return qx_err(QUARRY_ENOMEM, "%s: added tokens", path);
  json_array_foreach(added, i, e) {
    const char *c = json_string_value(json_object_get(e, "content"));
    json_t *id = json_object_get(e, "id");
    if (!c || !*c || !json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) > (json_int_t)(t->n_vocab + 100000))
      return BAD("%s: added_tokens[%zu] needs a non-empty content and an id near the vocabulary's", path, i);
    qx_added_token *a = &t->added[t->n_added++];
    a->id = (int32_t)json_integer_value(id);
    size_t len = strlen(c);
    if (!(a->cps = qx_malloc((len + 1) * sizeof *a->cps))) return qx_err(QUARRY_ENOMEM, "%s", path);
    a->n = qx_tok_decode(a->cps, c, len);
    if ((size_t)a->id >= t->n_vocab) { /* grow the id space; the model never produces it */
      size_t old = t->n_vocab, nn = (size_t)a->id + 1, extra = len + 1 + (nn - old - 1);
      char *blob = realloc(t->blob, t->off[old] + extra);
      uint32_t *off = realloc(t->off, (nn + 1) * sizeof *off);
      if (blob) t->blob = blob;
      if (off) t->off = off;
      if (!blob || !off) return qx_err(QUARRY_ENOMEM, "%s", path);
      uint32_t o = t->off[old];
      for (size_t k = old; k < nn - 1; k++) { /* holes: empty strings */
        t->off[k] = o;
        t->blob[o++] = 0;
      }
      t->off[nn - 1] = o;
      memcpy(t->blob + o, c, len + 1);
      t->off[nn] = o + (uint32_t)len + 1;
      t->n_vocab = nn;
    }
  }
  return 0;
}

int qx_tokenizer_load_hf(qx_tokenizer **out, const char *path) {
  *out = NULL;
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    FILE *f = fopen(path, "rb");
    if (!f) return qx_err_errno(QUARRY_ENOTFOUND, "%s", path);
    fclose(f);
    return BAD("%s: invalid JSON at line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
  }
  qx_tokenizer *t = qx_calloc(1, sizeof *t);
  int rc = QUARRY_ENOMEM;
  if (!t || !(t->source = qx_strdup(path))) goto done;
  json_t *model = json_object_get(root, "model"), *added = json_object_get(root, "added_tokens");
  const char *type = type_of(model);
  if (!type) {
    rc = BAD("%s: no \"model\" object (not a tokenizers tokenizer.json?)", path);
  } else if (!strcmp(type, "WordPiece") || (!*type && json_object_get(model, "continuing_subword_prefix"))) {
    rc = load_wordpiece(t, model, path);
  } else if (!strcmp(type, "Unigram")) {
    rc = load_unigram(t, model, path);
  } else {
    rc = qx_err(QUARRY_EUNSUPPORTED, "%s: model type '%s' is not supported (WordPiece or Unigram)", path,
                type);
  }
  if (!rc) rc = load_normalizer(t, json_object_get(root, "normalizer"), path);
  if (!rc) rc = load_pre_tokenizer(t, json_object_get(root, "pre_tokenizer"), path);
  if (!rc) rc = load_post(t, root, added, path);
  if (!rc && added && !json_is_array(added)) rc = BAD("%s: added_tokens is not an array", path);
  if (!rc) rc = load_added(t, added, path);
done:
  if (rc == QUARRY_ENOMEM) qx_err(rc, "%s: out of memory loading the tokenizer", path);
  json_decref(root);
  if (rc) {
    qx_tokenizer_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

/* ---- BERT vocab.txt ------------------------------------------------------ */
int qx_tokenizer_load_vocab_txt(qx_tokenizer **out, const char *path, int lowercase) {
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = qx_file_read(&text, &len, path);
  if (rc) return rc;
  qx_tokenizer *t = qx_calloc(1, sizeof *t);
  const char **strs = NULL;
  size_t n = 0, cap = 0;
  rc = QUARRY_ENOMEM;
  if (!t || !(t->source = qx_strdup(path))) goto done;
  for (char *p = text, *end = text + len; p < end;) { /* one token per line, \r\n tolerated */
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *e = nl ? nl : end;
    if (e > p && e[-1] == '\r') e[-1] = 0;
    *e = 0;
    if (qx_grow((void **)&strs, &cap, n + 1, sizeof *strs)) goto done;
    strs[n++] = p;
    p = e + 1;
  }
  if (n == 0) {
    rc = BAD("%s: empty vocabulary", path);
    goto done;
  }
  if ((rc = set_vocab(t, strs, n)) || (rc = qx_tok_vocab_index(t))) goto done;
  t->kind = QX_TOK_WORDPIECE;
  memcpy(t->prefix, "##", 3);
  t->prefix_len = 2;
  t->max_word_chars = 100;
  t->clean_text = t->chinese_chars = 1;
  t->lowercase = t->strip_accents = lowercase != 0;
  static const char *specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  int32_t sid[5];
  t->added = qx_calloc(5, sizeof *t->added);
  if (!t->added) {
    rc = QUARRY_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < 5; i++) {
    sid[i] = qx_tok_lookup(t, specials[i], strlen(specials[i]));
    if (sid[i] < 0 && i < 4) {
      rc = BAD("%s: the vocabulary has no %s token", path, specials[i]);
      goto done;
    }
    if (sid[i] < 0) continue;
    qx_added_token *a = &t->added[t->n_added++];
    a->id = sid[i];
    size_t sl = strlen(specials[i]);
    if (!(a->cps = qx_malloc(sl * sizeof *a->cps))) {
      rc = QUARRY_ENOMEM;
      goto done;
    }
    a->n = qx_tok_decode(a->cps, specials[i], sl);
  }
  t->pad_id = sid[0];
  t->unk_id = sid[1];
  t->cls_id = sid[2];
  t->sep_id = sid[3];
  rc = 0;
done:
  if (rc == QUARRY_ENOMEM) qx_err(rc, "%s: loading the vocabulary", path);
  free(strs);
  free(text);
  if (rc) {
    qx_tokenizer_free(t);
    return rc;
  }
  *out = t;
  return 0;
}
