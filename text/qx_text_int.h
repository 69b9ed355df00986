/*
 * qx_text_int.h: internals of text/ shared between its files (not for other
 * modules; they use qx_text.h).
 */
#ifndef QX_TEXT_INT_H
#define QX_TEXT_INT_H

#include <stddef.h>

#include "qx_text.h"

/* The sorted stopword table of a language (NULL and *n = 0 for none), for tests. */
const char *const *qx_stopword_list(qx_lang lang, size_t *n);

/* Turn the stem cache off or on (tests check that it changes nothing). */
void qx_analyzer_use_cache(qx_analyzer *a, int on);

#endif /* QX_TEXT_INT_H */
