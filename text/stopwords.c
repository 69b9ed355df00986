/*
 * stopwords.c: the French and English stopword lists, folded the way the
 * analyzer folds words (lower case, accents stripped, apostrophes as ASCII ').
 *
 * Sources: Snowball's stop lists (snowballstem.org/algorithms/french/stop.txt,
 * including its "later additions", and .../english/stop.txt, the list Lucene
 * ships as snowball/english_stop.txt), BSD licence, Martin Porter. The French
 * list is extended with the elided forms jusqu, lorsqu, puisqu. Folding merges
 * a few entries ("à" and "a", "celà" and "cela").
 *
 * The tables are static const arrays sorted by byte value, searched by
 * binary search: no global mutable state, safe from any thread. The unit
 * test checks that they stay sorted.
 */
#include <string.h>

#include "qx_common.h"
#include "qx_text.h"
#include "qx_text_int.h"

/* 163 words */
static const char *const fr_stop[] = {
  "a", "ai", "aie", "aient", "aies", "ait", "as", "au", "aura", "aurai", "auraient", "aurais",
  "aurait", "auras", "aurez", "auriez", "aurions", "aurons", "auront", "aux", "avaient", "avais",
  "avait", "avec", "avez", "aviez", "avions", "avons", "ayant", "ayez", "ayons", "c", "ce", "ceci",
  "cela", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "en", "es", "est", "et",
  "etaient", "etais", "etait", "etant", "ete", "etee", "etees", "etes", "etiez", "etions", "eu",
  "eue", "eues", "eumes", "eurent", "eus", "eusse", "eussent", "eusses", "eussiez", "eussions",
  "eut", "eutes", "eux", "fumes", "furent", "fus", "fusse", "fussent", "fusses", "fussiez",
  "fussions", "fut", "futes", "ici", "il", "ils", "j", "je", "jusqu", "l", "la", "le", "les",
  "leur", "leurs", "lorsqu", "lui", "m", "ma", "mais", "me", "meme", "mes", "moi", "mon", "n", "ne",
  "nos", "notre", "nous", "on", "ont", "ou", "par", "pas", "pour", "puisqu", "qu", "que", "quel",
  "quelle", "quelles", "quels", "qui", "s", "sa", "sans", "se", "sera", "serai", "seraient",
  "serais", "serait", "seras", "serez", "seriez", "serions", "serons", "seront", "ses", "soi",
  "soient", "sois", "soit", "sommes", "son", "sont", "soyez", "soyons", "suis", "sur", "t", "ta",
  "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "y",
};
/* 174 words */
static const char *const en_stop[] = {
  "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
  "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
  "but", "by", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't",
  "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "hadn't",
  "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here",
  "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm",
  "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more",
  "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or",
  "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "shan't", "she",
  "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's",
  "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they",
  "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too", "under",
  "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were",
  "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who",
  "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll",
  "you're", "you've", "your", "yours", "yourself", "yourselves",
};

static int cmp_word(const char *w, const char *s, size_t len) {
  size_t wl = strlen(w);
  int c = memcmp(w, s, wl < len ? wl : len);
  if (c) return c;
  return (wl > len) - (wl < len);
}

static int in_list(const char *const *list, size_t n, const char *s, size_t len) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_word(list[mid], s, len);
    if (c == 0) return 1;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

int qx_is_stopword(qx_lang lang, const char *folded, size_t len) {
  if (len == 0 || len > 16) return 0; /* the longest stopword has 10 bytes */
  switch (lang) {
  case QX_LANG_FR: return in_list(fr_stop, QX_ARRAY_LEN(fr_stop), folded, len);
  case QX_LANG_EN: return in_list(en_stop, QX_ARRAY_LEN(en_stop), folded, len);
  default: return 0;
  }
}

const char *const *qx_stopword_list(qx_lang lang, size_t *n) {
  switch (lang) {
  case QX_LANG_FR: *n = QX_ARRAY_LEN(fr_stop); return fr_stop;
  case QX_LANG_EN: *n = QX_ARRAY_LEN(en_stop); return en_stop;
  default: *n = 0; return NULL;
  }
}
