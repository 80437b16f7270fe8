/* lexical.v1's hot loop in C: tokenising, and hashing words, bigrams and char n-grams into columns.
 *
 * Optional: setup.py builds it when a C compiler is there; without it truthmeter runs the pure-Python
 * path in _base.py and _grams.py, which gives the same tokens, columns and counts (tests compare both).
 * Every rule here mirrors one there:
 *   tokens     runs of characters that are alphanumeric (Python's str.isalnum, i.e. the regex [^\W_]) after
 *              the one-to-one fold of curly quotes, dashes and e-acute; lowercased as str.lower() does;
 *   hashing    MurmurHash3 x86_32, seed 0, of the UTF-8 bytes, folded into n columns as sklearn does;
 *   char grams of " token ", 2..5 code points, as sklearn's char_wb analyzer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t murmur3_32(const uint8_t *data, Py_ssize_t len) {
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h1 = 0, k1;
    Py_ssize_t nblocks = len / 4, i;
    for (i = 0; i < nblocks; i++) {
        memcpy(&k1, data + 4 * i, 4);  /* little-endian reads, as mmh3 and sklearn on x86/ARM */
        k1 *= c1; k1 = rotl32(k1, 15); k1 *= c2;
        h1 ^= k1; h1 = rotl32(h1, 13); h1 = h1 * 5 + 0xe6546b64;
    }
    const uint8_t *tail = data + nblocks * 4;
    k1 = 0;
    switch (len & 3) {
        case 3: k1 ^= (uint32_t)tail[2] << 16; /* fall through */
        case 2: k1 ^= (uint32_t)tail[1] << 8;  /* fall through */
        case 1: k1 ^= tail[0]; k1 *= c1; k1 = rotl32(k1, 15); k1 *= c2; h1 ^= k1;
    }
    h1 ^= (uint32_t)len;
    h1 ^= h1 >> 16; h1 *= 0x85ebca6b; h1 ^= h1 >> 13; h1 *= 0xc2b2ae35; h1 ^= h1 >> 16;
    return h1;
}

static inline int32_t bucket(const uint8_t *data, Py_ssize_t len, int64_t n) {
    int32_t h = (int32_t)murmur3_32(data, len);
    if (h == INT32_MIN) return (int32_t)((2147483647LL - (n - 1)) % n);
    return (int32_t)((int64_t)(h < 0 ? -(int64_t)h : h) % n);
}

static inline Py_UCS4 fold(Py_UCS4 ch) {
    switch (ch) {
        case 0x2019: case 0x2018: return '\'';
        case 0x201C: case 0x201D: return '"';
        case 0x2013: case 0x2014: return '-';
        case 0xE9: return 'e';
        case 0xC9: return 'E';
        default: return ch;
    }
}

static inline int is_token_char(Py_UCS4 ch) {
    if (ch < 128) return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    return Py_UNICODE_ISALNUM(ch);
}

/* Characters that re.IGNORECASE matches to an ASCII letter (the fact-checker names): a text holding one
 * takes the exact regex path. */
static inline int case_special(Py_UCS4 ch) {
    return ch == 0x130 || ch == 0x131 || ch == 0x17F || ch == 0x212A;
}

static int starts_with(const char *s, Py_ssize_t n, const char *prefix, int whole) {
    Py_ssize_t k = (Py_ssize_t)strlen(prefix);
    if (n < k || (whole && n != k)) return 0;
    return memcmp(s, prefix, (size_t)k) == 0;
}

/* Whether this lowered token could begin a fact-checker name (features._base.FACT_CHECKERS): a superset
 * test, so a text that fails it certainly has no match among these tokens. */
static int may_name_fact_checker(PyObject *tok) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(tok, &n);
    if (s == NULL) return -1;
    if (n < 4 || !strchr("gfspl", s[0])) return 0;
    return starts_with(s, n, "gossip", 0) || starts_with(s, n, "factcheck", 0) || starts_with(s, n, "snopes", 1)
        || starts_with(s, n, "politifact", 1) || starts_with(s, n, "lead", 1);
}

static PyObject *make_token(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, int ascii) {
    Py_ssize_t n = end - start, i;
    if (ascii) {
        PyObject *out = PyUnicode_New(n, 127);
        if (out == NULL) return NULL;
        Py_UCS1 *dst = PyUnicode_1BYTE_DATA(out);
        for (i = 0; i < n; i++) {
            Py_UCS4 ch = kind == PyUnicode_1BYTE_KIND ? ((const Py_UCS1 *)data)[start + i] : PyUnicode_READ(kind, data, start + i);
            ch = fold(ch);
            dst[i] = (Py_UCS1)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
        }
        return out;
    }
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(n ? n : 1));
    if (buf == NULL) return PyErr_NoMemory();
    for (i = 0; i < n; i++) buf[i] = fold(PyUnicode_READ(kind, data, start + i));
    PyObject *folded = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
    PyMem_Free(buf);
    if (folded == NULL) return NULL;
    PyObject *low = PyObject_CallMethod(folded, "lower", NULL);  /* str.lower's full Unicode rules */
    Py_DECREF(folded);
    return low;
}

static int append_token(PyObject *toks, PyObject *offs, PyObject *tok, Py_ssize_t start, Py_ssize_t end) {
    PyObject *span = PyTuple_New(2), *a = PyLong_FromSsize_t(start), *b = PyLong_FromSsize_t(end);
    if (span == NULL || a == NULL || b == NULL) {
        Py_XDECREF(span); Py_XDECREF(a); Py_XDECREF(b); Py_DECREF(tok);
        return -1;
    }
    PyTuple_SET_ITEM(span, 0, a);
    PyTuple_SET_ITEM(span, 1, b);
    int bad = PyList_Append(toks, tok) < 0 || PyList_Append(offs, span) < 0;
    Py_DECREF(tok); Py_DECREF(span);
    return bad ? -1 : 0;
}

/* tokenize(text, limit) -> (tokens, offsets, maybe_fact_checker): the first `limit` tokens. */
/* For one-byte (Latin-1) strings, the usual case, each character's class once: bit 1 a token character
 * (after folding), bit 2 one that is not ASCII after folding. Filled at import. */
static uint8_t latin1_class[256];

static void init_latin1(void) {
    for (int c = 0; c < 256; c++) {
        Py_UCS4 ch = fold((Py_UCS4)c);
        latin1_class[c] = (uint8_t)((is_token_char(ch) ? 1 : 0) | (ch >= 128 ? 2 : 0));
    }
}

/* The next token from i: its [start, end) and whether it stays ASCII after folding; 0 at the end. */
static int next_token(int kind, const void *data, Py_ssize_t len, Py_ssize_t *i, Py_ssize_t *start, int *ascii,
                      int *maybe) {
    Py_ssize_t at = *i;
    *ascii = 1;
    if (kind == PyUnicode_1BYTE_KIND) {  /* no fold maps a Latin-1 letter outside Latin-1, none is special */
        const Py_UCS1 *d = data;
        while (at < len && !(latin1_class[d[at]] & 1)) at++;
        if (at >= len) return 0;
        *start = at;
        for (; at < len && (latin1_class[d[at]] & 1); at++)
            if (latin1_class[d[at]] & 2) *ascii = 0;
        *i = at;
        return 1;
    }
    while (at < len && !is_token_char(fold(PyUnicode_READ(kind, data, at)))) at++;
    if (at >= len) return 0;
    *start = at;
    for (; at < len; at++) {
        Py_UCS4 ch = fold(PyUnicode_READ(kind, data, at));
        if (!is_token_char(ch)) break;
        if (ch >= 128) { *ascii = 0; *maybe |= case_special(ch); }
    }
    *i = at;
    return 1;
}

/* tokenize(text, limit) -> (tokens, offsets, maybe_fact_checker): the first `limit` tokens. */
static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t limit, i = 0, start;
    if (!PyArg_ParseTuple(args, "Un", &text, &limit)) return NULL;
    int kind = PyUnicode_KIND(text), maybe = 0, ascii;
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    PyObject *toks = PyList_New(0), *offs = PyList_New(0);
    if (toks == NULL || offs == NULL) goto fail;
    while (PyList_GET_SIZE(toks) < limit && next_token(kind, data, len, &i, &start, &ascii, &maybe)) {
        PyObject *tok = make_token(kind, data, start, i, ascii);
        if (tok == NULL) goto fail;
        int found = may_name_fact_checker(tok);
        if (found < 0) { Py_DECREF(tok); goto fail; }
        maybe |= found;
        if (append_token(toks, offs, tok, start, i) < 0) goto fail;
    }
    PyObject *out = Py_BuildValue("(NNO)", PyList_AsTuple(toks), PyList_AsTuple(offs), maybe ? Py_True : Py_False);
    Py_DECREF(toks); Py_DECREF(offs);
    return out;
fail:
    Py_XDECREF(toks); Py_XDECREF(offs);
    return NULL;
}

/* ---- hashing into columns ---- */

typedef struct { int32_t *v; Py_ssize_t n, cap; } ivec;

static int ivec_grow(ivec *a, Py_ssize_t need) {
    Py_ssize_t cap = a->cap ? a->cap : 4096;
    while (cap < need) cap *= 2;
    int32_t *v = PyMem_Realloc(a->v, sizeof(int32_t) * (size_t)cap);
    if (v == NULL) { PyErr_NoMemory(); return -1; }
    a->v = v; a->cap = cap;
    return 0;
}

static inline int ivec_push(ivec *a, int32_t x) {
    if (a->n == a->cap && ivec_grow(a, a->n + 1) < 0) return -1;
    a->v[a->n++] = x;
    return 0;
}

static inline int ivec_extend(ivec *a, const char *bytes, Py_ssize_t n) {
    if (a->n + n > a->cap && ivec_grow(a, a->n + n) < 0) return -1;
    memcpy(a->v + a->n, bytes, sizeof(int32_t) * (size_t)n);
    a->n += n;
    return 0;
}

typedef struct { uint8_t *v; Py_ssize_t cap; } bbuf;

static uint8_t *bbuf_fit(bbuf *b, Py_ssize_t n) {  /* never NULL on success, even for n == 0 */
    if (n > b->cap || b->v == NULL) {
        Py_ssize_t cap = b->cap > 64 ? b->cap : 64;
        while (cap < n) cap *= 2;
        uint8_t *v = PyMem_Realloc(b->v, (size_t)cap);
        if (v == NULL) { PyErr_NoMemory(); return NULL; }
        b->v = v; b->cap = cap;
    }
    return b->v;
}

typedef struct { int64_t word_n, char_n; int lo, hi; Py_ssize_t max_tokens; } shape_t;

/* One token's columns, in _grams._token_columns' order: the word, then its char grams by size. */
static int token_columns(const char *s, Py_ssize_t n, const shape_t *sh, ivec *out, bbuf *pad, bbuf *cps) {
    if (ivec_push(out, bucket((const uint8_t *)s, n, sh->word_n)) < 0) return -1;
    if (!sh->char_n) return 0;
    uint8_t *p = bbuf_fit(pad, n + 2);
    Py_ssize_t *b = (Py_ssize_t *)bbuf_fit(cps, (Py_ssize_t)sizeof(Py_ssize_t) * (n + 3));
    if (p == NULL || b == NULL) return -1;
    p[0] = ' '; memcpy(p + 1, s, (size_t)n); p[n + 1] = ' ';
    Py_ssize_t ncp = 0, i;
    for (i = 0; i < n + 2; i++)
        if ((p[i] & 0xC0) != 0x80) b[ncp++] = i;  /* where each code point starts */
    b[ncp] = n + 2;
    for (int g = sh->lo; g <= sh->hi && g <= ncp; g++)
        for (i = 0; i + g <= ncp; i++)
            if (ivec_push(out, (int32_t)sh->word_n + bucket(p + b[i], b[i + g] - b[i], sh->char_n)) < 0) return -1;
    return 0;
}

static int bigram_column(const char *a, Py_ssize_t na, const char *b, Py_ssize_t nb, const shape_t *sh,
                         ivec *out, bbuf *buf) {
    uint8_t *p = bbuf_fit(buf, na + nb + 1);
    if (p == NULL) return -1;
    memcpy(p, a, (size_t)na); p[na] = ' '; memcpy(p + na + 1, b, (size_t)nb);
    return ivec_push(out, bucket(p, na + nb + 1, sh->word_n));
}

/* Words repeat across articles: each word's columns are hashed once and kept (as _grams._token_columns'
 * lru_cache does), for one shape at a time; emptied when full, which costs a few thousand re-hashes. */
#define CACHE_WORDS 20000
static PyObject *word_cache = NULL;
static shape_t cached_shape;

static int cached_columns(PyObject *tok, const shape_t *sh, ivec *out, bbuf *pad, bbuf *cps) {
    if (word_cache == NULL || memcmp(&cached_shape, sh, sizeof *sh) != 0) {
        Py_XDECREF(word_cache);
        if ((word_cache = PyDict_New()) == NULL) return -1;
        cached_shape = *sh;
    }
    PyObject *hit = PyDict_GetItemWithError(word_cache, tok);  /* borrowed */
    if (hit != NULL) {
        return ivec_extend(out, PyBytes_AS_STRING(hit), PyBytes_GET_SIZE(hit) / 4);
    }
    if (PyErr_Occurred()) return -1;
    Py_ssize_t len, before = out->n;
    const char *s = PyUnicode_AsUTF8AndSize(tok, &len);
    if (s == NULL || token_columns(s, len, sh, out, pad, cps) < 0) return -1;
    PyObject *cols = PyBytes_FromStringAndSize((const char *)(out->v + before), 4 * (out->n - before));
    if (cols == NULL) return -1;
    if (PyDict_GET_SIZE(word_cache) >= CACHE_WORDS) PyDict_Clear(word_cache);
    int rc = PyDict_SetItem(word_cache, tok, cols);
    Py_DECREF(cols);
    return rc;
}

typedef struct { ivec cols, sizes; bbuf pad, cps, bi; } work_t;

static void work_free(work_t *w) {
    PyMem_Free(w->cols.v); PyMem_Free(w->sizes.v); PyMem_Free(w->pad.v); PyMem_Free(w->cps.v); PyMem_Free(w->bi.v);
}

/* Every column of one doc: each token's (its size pushed to `sizes` when asked), then the bigrams'. */
static int doc_columns(PyObject *tokens, const shape_t *sh, work_t *w, int with_sizes) {
    PyObject *seq = PySequence_Fast(tokens, "tokens must be a sequence of str");
    if (seq == NULL) return -1;
    Py_ssize_t nt = PySequence_Fast_GET_SIZE(seq), i;
    if (nt > sh->max_tokens) nt = sh->max_tokens;
    const char *prev = NULL;
    Py_ssize_t nprev = 0;
    int rc = 0;
    for (i = 0; i < nt && rc == 0; i++) {
        Py_ssize_t before = w->cols.n;
        PyObject *tok = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(tok)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            rc = -1;
        } else if (cached_columns(tok, sh, &w->cols, &w->pad, &w->cps) < 0) rc = -1;
        else if (with_sizes && ivec_push(&w->sizes, (int32_t)(w->cols.n - before)) < 0) rc = -1;
    }
    for (i = 1; i < nt && rc == 0; i++) {  /* UTF-8 of str objects is cached: asking again is free */
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &n);
        prev = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i - 1), &nprev);
        if (bigram_column(prev, nprev, s, n, sh, &w->cols, &w->bi) < 0) rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

/* A doc's ~2,000 occurrences sorted by column with a radix sort (11 bits a pass, small histograms that
 * stay in cache): counting into a dense array over all 2^19 columns cost more in cache misses. */
typedef struct { uint32_t *col, *tmp, *occ, *tmp_occ; Py_ssize_t cap; int passes; } sorter_t;

static int sorter_fit(sorter_t *t, Py_ssize_t n) {
    if (n <= t->cap) return 0;
    Py_ssize_t cap = n * 2;
    uint32_t **bufs[4] = {&t->col, &t->tmp, &t->occ, &t->tmp_occ};
    for (int i = 0; i < 4; i++) {
        uint32_t *v = PyMem_Realloc(*bufs[i], sizeof(uint32_t) * (size_t)cap);
        if (v == NULL) { PyErr_NoMemory(); return -1; }
        *bufs[i] = v;
    }
    t->cap = cap;
    return 0;
}

static void sorter_free(sorter_t *t) { PyMem_Free(t->col); PyMem_Free(t->tmp); PyMem_Free(t->occ); PyMem_Free(t->tmp_occ); }

/* Sorts cols[0:n] (stable, LSD), carrying each one's occurrence index; result in t->col / t->occ. */
static int sort_doc(const int32_t *cols, Py_ssize_t n, sorter_t *t, int with_occ) {
    if (sorter_fit(t, n) < 0) return -1;
    memcpy(t->col, cols, sizeof(uint32_t) * (size_t)n);
    if (with_occ)
        for (Py_ssize_t i = 0; i < n; i++) t->occ[i] = (uint32_t)i;
    for (int pass = 0; pass < t->passes; pass++) {
        uint32_t hist[2049] = {0};
        int shift = 11 * pass;
        for (Py_ssize_t i = 0; i < n; i++) hist[((t->col[i] >> shift) & 2047) + 1]++;
        for (int k = 0; k < 2048; k++) hist[k + 1] += hist[k];
        if (with_occ)
            for (Py_ssize_t i = 0; i < n; i++) {
                uint32_t at = hist[(t->col[i] >> shift) & 2047]++;
                t->tmp[at] = t->col[i]; t->tmp_occ[at] = t->occ[i];
            }
        else
            for (Py_ssize_t i = 0; i < n; i++) t->tmp[hist[(t->col[i] >> shift) & 2047]++] = t->col[i];
        uint32_t *x = t->col; t->col = t->tmp; t->tmp = x;
        x = t->occ; t->occ = t->tmp_occ; t->tmp_occ = x;
    }
    return 0;
}

/* The sorted run's distinct columns and counts appended to idx/cnt; with `inv`, each occurrence's
 * index (offset by inv_base) among all entries emitted so far. */
static int emit_runs(const sorter_t *t, Py_ssize_t n, ivec *idx, ivec *cnt, int32_t *inv, Py_ssize_t inv_base) {
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = i;
        while (j < n && t->col[j] == t->col[i]) {
            if (inv) inv[inv_base + t->occ[j]] = (int32_t)idx->n;
            j++;
        }
        if (ivec_push(idx, (int32_t)t->col[i]) < 0 || ivec_push(cnt, (int32_t)(j - i)) < 0) return -1;
        i = j;
    }
    return 0;
}

static int passes_for(int64_t n_features) {
    int bits = 0;
    while (bits < 63 && ((int64_t)1 << bits) < n_features) bits++;
    return bits ? (bits + 10) / 11 : 1;
}

/* Buffers kept between calls: a batch's ~1.3M occurrences would otherwise land in fresh memory (page
 * faults) regrown by copying on every call; freed after a call that needed more than KEEP_ENTRIES. */
#define KEEP_ENTRIES (1 << 22)
typedef struct { work_t w; sorter_t t; ivec idx, cnt, inv; } space_t;
static space_t space;

static space_t *space_take(int64_t n_features) {
    space.w.cols.n = space.w.sizes.n = space.idx.n = space.cnt.n = space.inv.n = 0;
    space.t.passes = passes_for(n_features);
    return &space;
}

static void space_release(void) {
    if (space.w.cols.cap <= KEEP_ENTRIES && space.inv.cap <= KEEP_ENTRIES) return;
    work_free(&space.w); sorter_free(&space.t);
    PyMem_Free(space.idx.v); PyMem_Free(space.cnt.v); PyMem_Free(space.inv.v);
    memset(&space, 0, sizeof space);
}

static int parse_shape(PyObject *args, PyObject **docs, shape_t *sh) {
    long long word_n, char_n;
    if (!PyArg_ParseTuple(args, "OLLiin", docs, &word_n, &char_n, &sh->lo, &sh->hi, &sh->max_tokens)) return -1;
    if (word_n <= 0 || char_n < 0 || word_n + char_n > INT32_MAX || sh->lo < 1 || sh->hi < sh->lo) {
        PyErr_SetString(PyExc_ValueError, "bad gram shape");
        return -1;
    }
    sh->word_n = word_n; sh->char_n = char_n;
    return 0;
}

static PyObject *as_bytearray(const void *v, Py_ssize_t n) {
    return PyByteArray_FromStringAndSize(n ? (const char *)v : "", n);
}

/* counts(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (indptr int64, indices int32, counts int32)
 * as bytearrays: each doc's distinct columns in ascending order with how often they occur. */
static PyObject *counts(PyObject *self, PyObject *args) {
    PyObject *docs, *seq = NULL, *out = NULL;
    shape_t sh;
    if (parse_shape(args, &docs, &sh) < 0 || (seq = PySequence_Fast(docs, "docs must be a sequence")) == NULL)
        return NULL;
    Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq);
    space_t *sp = space_take(sh.word_n + sh.char_n);
    int64_t *indptr = PyMem_Malloc(sizeof(int64_t) * (size_t)(nd + 1));
    if (!indptr) { PyErr_NoMemory(); goto done; }
    indptr[0] = 0;
    for (Py_ssize_t d = 0; d < nd; d++) {
        sp->w.cols.n = 0;
        if (doc_columns(PySequence_Fast_GET_ITEM(seq, d), &sh, &sp->w, 0) < 0
            || sort_doc(sp->w.cols.v, sp->w.cols.n, &sp->t, 0) < 0
            || emit_runs(&sp->t, sp->w.cols.n, &sp->idx, &sp->cnt, NULL, 0) < 0) goto done;
        indptr[d + 1] = sp->idx.n;
    }
    out = Py_BuildValue("(NNN)", as_bytearray(indptr, 8 * (nd + 1)), as_bytearray(sp->idx.v, 4 * sp->idx.n),
                        as_bytearray(sp->cnt.v, 4 * sp->cnt.n));
done:
    PyMem_Free(indptr); space_release();
    Py_DECREF(seq);
    return out;
}

/* Each owner's id among the batch's distinct words and bigrams, numbered in order of first appearance over
 * the owners as _grams.batch_grams lists them (per doc: its tokens, then its bigrams): what first_ids gives
 * over those owners' texts, without building a bigram's text ("a b" is new exactly when the pair of its
 * words' ids is, since tokens hold no space). Open addressing: words by their str hash, pairs by ids. */
typedef struct { PyObject *key; Py_hash_t hash; int64_t gid; } word_slot;
typedef struct { int64_t a, b, gid; } pair_slot;
typedef struct { word_slot *w; pair_slot *p; Py_ssize_t wcap, wn, pcap, pn; int64_t next; } ids_t;

static int same_str(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    if (n != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b)) return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(n * PyUnicode_KIND(a))) == 0;
}

static inline uint64_t pair_hash(int64_t a, int64_t b) {
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)b + 0x632BE59BD9B4E019ULL);
    return h ^ (h >> 29);
}

static int ids_grow(ids_t *t, int pairs) {
    Py_ssize_t cap = pairs ? (t->pcap ? 2 * t->pcap : 4096) : (t->wcap ? 2 * t->wcap : 4096);
    if (pairs) {
        pair_slot *p = PyMem_Malloc(sizeof(pair_slot) * (size_t)cap);
        if (!p) { PyErr_NoMemory(); return -1; }
        for (Py_ssize_t i = 0; i < cap; i++) p[i].a = -1;
        for (Py_ssize_t i = 0; i < t->pcap; i++)
            if (t->p[i].a >= 0) {
                uint64_t j = pair_hash(t->p[i].a, t->p[i].b) & (uint64_t)(cap - 1);
                while (p[j].a >= 0) j = (j + 1) & (uint64_t)(cap - 1);
                p[j] = t->p[i];
            }
        PyMem_Free(t->p); t->p = p; t->pcap = cap;
        return 0;
    }
    word_slot *w = PyMem_Calloc((size_t)cap, sizeof(word_slot));
    if (!w) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < t->wcap; i++)
        if (t->w[i].key) {
            uint64_t j = (uint64_t)t->w[i].hash & (uint64_t)(cap - 1);
            while (w[j].key) j = (j + 1) & (uint64_t)(cap - 1);
            w[j] = t->w[i];
        }
    PyMem_Free(t->w); t->w = w; t->wcap = cap;
    return 0;
}

static int64_t word_id(ids_t *t, PyObject *tok) {  /* -1 on error; `tok` stays alive for the whole call */
    if (2 * (t->wn + 1) > t->wcap && ids_grow(t, 0) < 0) return -1;
    Py_hash_t h = PyObject_Hash(tok);
    if (h == -1) return -1;
    uint64_t j = (uint64_t)h & (uint64_t)(t->wcap - 1);
    for (; t->w[j].key; j = (j + 1) & (uint64_t)(t->wcap - 1))
        if (t->w[j].hash == h && same_str(t->w[j].key, tok)) return t->w[j].gid;
    t->w[j] = (word_slot){tok, h, t->next++};
    t->wn++;
    return t->w[j].gid;
}

static int64_t pair_id(ids_t *t, int64_t a, int64_t b) {
    if (2 * (t->pn + 1) > t->pcap && ids_grow(t, 1) < 0) return -1;
    uint64_t j = pair_hash(a, b) & (uint64_t)(t->pcap - 1);
    for (; t->p[j].a >= 0; j = (j + 1) & (uint64_t)(t->pcap - 1))
        if (t->p[j].a == a && t->p[j].b == b) return t->p[j].gid;
    t->p[j] = (pair_slot){a, b, t->next++};
    t->pn++;
    return t->p[j].gid;
}

/* One doc's owner ids appended to `gids`: its first `nt` tokens', then its bigrams'. */
static int doc_ids(PyObject *toks, Py_ssize_t max_tokens, ids_t *t, bbuf *gids, Py_ssize_t *n_gids) {
    PyObject *seq = PySequence_Fast(toks, "tokens must be a sequence of str");
    if (seq == NULL) return -1;
    Py_ssize_t nt = PySequence_Fast_GET_SIZE(seq), n0 = *n_gids;
    if (nt > max_tokens) nt = max_tokens;
    if (nt == 0) { Py_DECREF(seq); return 0; }
    int64_t *g = (int64_t *)bbuf_fit(gids, 8 * (n0 + 2 * nt));
    int rc = g ? 0 : -1;
    for (Py_ssize_t i = 0; i < nt && rc == 0; i++)
        if ((g[n0 + i] = word_id(t, PySequence_Fast_GET_ITEM(seq, i))) < 0) rc = -1;
    for (Py_ssize_t i = 1; i < nt && rc == 0; i++)
        if ((g[n0 + nt + i - 1] = pair_id(t, g[n0 + i - 1], g[n0 + i])) < 0) rc = -1;
    if (rc == 0) *n_gids = n0 + nt + (nt > 0 ? nt - 1 : 0);
    Py_DECREF(seq);
    return rc;
}

/* grams(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (cols, sizes, ids, indptr, indices, counts,
 * inverse): every occurrence's column laid out as _grams.batch_grams lays them (per doc: each token's, then
 * the bigrams'), how many columns each token has, each owner's id (doc_ids), the counts as `counts`
 * gives them, and for each occurrence the index of its (doc, column) among those counts. */
static PyObject *grams(PyObject *self, PyObject *args) {
    PyObject *docs, *seq = NULL, *out = NULL;
    shape_t sh;
    if (parse_shape(args, &docs, &sh) < 0 || (seq = PySequence_Fast(docs, "docs must be a sequence")) == NULL)
        return NULL;
    Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq), n_gids = 0;
    space_t *sp = space_take(sh.word_n + sh.char_n);
    ivec *cols = &sp->w.cols;
    int64_t *indptr = PyMem_Malloc(sizeof(int64_t) * (size_t)(nd + 1));
    ids_t ids = {0};
    bbuf gids = {0};
    if (!indptr) { PyErr_NoMemory(); goto done; }
    indptr[0] = 0;
    for (Py_ssize_t d = 0; d < nd; d++) {
        PyObject *toks = PySequence_Fast_GET_ITEM(seq, d);
        Py_ssize_t from = cols->n;
        if (doc_columns(toks, &sh, &sp->w, 1) < 0 || doc_ids(toks, sh.max_tokens, &ids, &gids, &n_gids) < 0) goto done;
        if (cols->n > sp->inv.cap && ivec_grow(&sp->inv, cols->n) < 0) goto done;
        sp->inv.n = cols->n;  /* each occurrence -> its (doc, column) entry, filled by emit_runs */
        if (sort_doc(cols->v + from, cols->n - from, &sp->t, 1) < 0
            || emit_runs(&sp->t, cols->n - from, &sp->idx, &sp->cnt, sp->inv.v, from) < 0) goto done;
        indptr[d + 1] = sp->idx.n;
    }
    out = Py_BuildValue("(NNNNNNN)", as_bytearray(cols->v, 4 * cols->n), as_bytearray(sp->w.sizes.v, 4 * sp->w.sizes.n),
                        as_bytearray(gids.v, 8 * n_gids), as_bytearray(indptr, 8 * (nd + 1)),
                        as_bytearray(sp->idx.v, 4 * sp->idx.n), as_bytearray(sp->cnt.v, 4 * sp->cnt.n),
                        as_bytearray(sp->inv.v, 4 * sp->inv.n));
done:
    PyMem_Free(indptr); PyMem_Free(ids.w); PyMem_Free(ids.p); PyMem_Free(gids.v); space_release();
    Py_DECREF(seq);
    return out;
}

/* first_ids(keys) -> int64 bytearray: each key's rank among the distinct keys in order of first appearance
 * (what `ids.setdefault(k, len(ids))` gives over the list). */
static PyObject *first_ids(PyObject *self, PyObject *keys) {
    PyObject *seq = PySequence_Fast(keys, "keys must be a sequence"), *ids = NULL, *out = NULL;
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int64_t *v = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (v == NULL || (ids = PyDict_New()) == NULL) { if (!v) PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *got = PyDict_GetItemWithError(ids, key);  /* borrowed */
        if (got != NULL) { v[i] = PyLong_AsLongLong(got); continue; }
        if (PyErr_Occurred()) goto done;
        v[i] = PyDict_GET_SIZE(ids);
        PyObject *next = PyLong_FromSsize_t((Py_ssize_t)v[i]);
        int bad = next == NULL || PyDict_SetItem(ids, key, next) < 0;
        Py_XDECREF(next);
        if (bad) goto done;
    }
    out = as_bytearray(v, 8 * n);
done:
    PyMem_Free(v); Py_XDECREF(ids); Py_DECREF(seq);
    return out;
}

/* align(keys, indptr, indices, data, n_features) -> float64 bytearray, or None: each sorted
 * (doc * n_features + column) key's value in the CSR matrix (int32 indptr and indices, float64 data, any
 * order within a row), 0 where it has none; None when a row holds a column twice (the caller's general
 * path decides then). One scatter per row into a dense scratch row instead of sorting every row. */
/* align's dense row, kept between calls (fresh megabytes each call cost page faults): a column's value
 * counts for the row whose mark it holds; marks only grow, so nothing needs clearing. */
static struct { double *value; uint64_t *mark; int64_t n; uint64_t next_mark; } row_scratch;

static int scratch_fit(int64_t nf) {
    if (row_scratch.n >= nf) return 0;
    PyMem_Free(row_scratch.value); PyMem_Free(row_scratch.mark);
    row_scratch.value = PyMem_Malloc(sizeof(double) * (size_t)nf);
    row_scratch.mark = PyMem_Calloc((size_t)nf, sizeof(uint64_t));
    row_scratch.n = (row_scratch.value && row_scratch.mark) ? nf : 0;
    if (!row_scratch.n) { PyErr_NoMemory(); return -1; }
    return 0;
}

static PyObject *align(PyObject *self, PyObject *args) {
    Py_buffer kb = {0}, pb = {0}, ib = {0}, db = {0};
    long long nf;
    PyObject *out = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*L", &kb, &pb, &ib, &db, &nf)) return NULL;
    const int64_t *keys = kb.buf;
    const int32_t *indptr = pb.buf, *indices = ib.buf;
    const double *data = db.buf;
    Py_ssize_t nk = kb.len / 8, nrows = pb.len / 4 - 1;
    double *vals = PyMem_Malloc(8 * (size_t)(nk ? nk : 1));
    int dup = 0;
    if (!vals) { PyErr_NoMemory(); goto done; }
    if (nf <= 0 || scratch_fit(nf) < 0) { if (nf <= 0) PyErr_SetString(PyExc_ValueError, "n_features"); goto done; }
    double *value = row_scratch.value;
    uint64_t *mark = row_scratch.mark, m = 0;
    for (Py_ssize_t k = 0, row = -1; k < nk && !dup; k++) {
        int64_t r = keys[k] / nf, col = keys[k] % nf;
        if (r != row) {
            row = r;
            m = ++row_scratch.next_mark;
            if (row < nrows)
                for (int32_t j = indptr[row]; j < indptr[row + 1]; j++) {
                    dup |= mark[indices[j]] == m;
                    mark[indices[j]] = m;
                    value[indices[j]] = data[j];
                }
        }
        vals[k] = mark[col] == m ? value[col] : 0.0;
    }
    if (dup) { out = Py_None; Py_INCREF(out); }
    else out = as_bytearray(vals, 8 * nk);
done:
    PyMem_Free(vals);
    PyBuffer_Release(&kb); PyBuffer_Release(&pb); PyBuffer_Release(&ib); PyBuffer_Release(&db);
    return out;
}

/* attribute(owner, inv, vals, cnt, owner_doc, gid, n_ids, top) -> (doc int32, first owner int64, weight
 * float64) bytearrays: _grams.attribute_batch's selection with the same float sums in the same order:
 * each occurrence's share vals[e] / cnt[e] summed per owner, owners summed per (doc, gid) group, groups
 * with a nonzero sum ordered by |sum| descending then gid, the first `top` of each doc (all when < 0). */
typedef struct { double w, a; int64_t gid, first; } group_t;

static int by_weight(const void *x, const void *y) {
    const group_t *a = x, *b = y;
    if (a->a != b->a) return a->a > b->a ? -1 : 1;
    return (a->gid > b->gid) - (a->gid < b->gid);
}

typedef struct { const int64_t *owner, *cnt, *gid; const int32_t *inv, *owner_doc; const double *vals;
                 Py_ssize_t n_occ, n_owners; } attr_in;

static int attribute_docs(const attr_in *in, Py_ssize_t n_ids, Py_ssize_t top, ivec *docs, bbuf *firsts,
                          bbuf *weights, Py_ssize_t *n_out) {
    double *per_owner = PyMem_Calloc((size_t)(in->n_owners ? in->n_owners : 1), sizeof(double));
    int64_t *slot = PyMem_Malloc(sizeof(int64_t) * (size_t)(n_ids ? n_ids : 1));
    group_t *g = PyMem_Malloc(sizeof(group_t) * (size_t)(in->n_owners ? in->n_owners : 1));
    int rc = -1;
    if (!per_owner || !slot || !g) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < in->n_occ; i++)
        per_owner[in->owner[i]] += in->vals[in->inv[i]] / (double)in->cnt[in->inv[i]];
    for (Py_ssize_t i = 0; i < n_ids; i++) slot[i] = -1;
    *n_out = 0;
    for (Py_ssize_t o0 = 0; o0 < in->n_owners;) {
        Py_ssize_t o1 = o0, ng = 0;
        int32_t doc = in->owner_doc[o0];
        for (; o1 < in->n_owners && in->owner_doc[o1] == doc; o1++) {
            int64_t id = in->gid[o1];
            if (slot[id] < 0) { slot[id] = ng; g[ng++] = (group_t){0.0, 0.0, id, o1}; }
            g[slot[id]].w += per_owner[o1];
        }
        Py_ssize_t nz = 0;
        for (Py_ssize_t k = 0; k < ng; k++) {
            slot[g[k].gid] = -1;
            if (g[k].w != 0.0) { g[nz] = g[k]; g[nz].a = fabs(g[k].w); nz++; }
        }
        Py_ssize_t keep = (top >= 0 && top < nz) ? top : nz;
        if (keep == 0) nz = 0;
        else if (keep < nz) {  /* the `keep` first by by_weight, in order: one pass of insertions */
            for (Py_ssize_t k = 0; k < nz; k++) {
                if (k >= keep && by_weight(&g[k], &g[keep - 1]) >= 0) continue;
                group_t x = g[k];
                Py_ssize_t at = k < keep ? k : keep - 1;
                while (at > 0 && by_weight(&x, &g[at - 1]) < 0) { g[at] = g[at - 1]; at--; }
                g[at] = x;
            }
        } else qsort(g, (size_t)nz, sizeof(group_t), by_weight);
        int64_t *f = (int64_t *)bbuf_fit(firsts, 8 * (*n_out + keep));
        double *wv = (double *)bbuf_fit(weights, 8 * (*n_out + keep));
        if (!f || !wv) goto done;
        for (Py_ssize_t k = 0; k < keep; k++) {
            if (ivec_push(docs, doc) < 0) goto done;
            f[*n_out] = g[k].first; wv[*n_out] = g[k].w; (*n_out)++;
        }
        o0 = o1;
    }
    rc = 0;
done:
    PyMem_Free(per_owner); PyMem_Free(slot); PyMem_Free(g);
    return rc;
}

static PyObject *attribute(PyObject *self, PyObject *args) {
    Py_buffer b[6] = {{0}};
    Py_ssize_t n_ids, top, n_out = 0;
    PyObject *out = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*nn", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n_ids, &top)) return NULL;
    attr_in in = {b[0].buf, b[3].buf, b[5].buf, b[1].buf, b[4].buf, b[2].buf, b[0].len / 8, b[4].len / 4};
    ivec docs = {0};
    bbuf firsts = {0}, weights = {0};
    int bad = b[1].len / 4 != in.n_occ || b[5].len / 8 != in.n_owners || b[2].len / 8 != b[3].len / 8;
    for (Py_ssize_t i = 0; !bad && i < in.n_occ; i++)
        bad = in.owner[i] < 0 || in.owner[i] >= in.n_owners || in.inv[i] < 0 || in.inv[i] >= b[2].len / 8;
    for (Py_ssize_t i = 0; !bad && i < in.n_owners; i++) bad = in.gid[i] < 0 || in.gid[i] >= n_ids;
    if (bad) PyErr_SetString(PyExc_ValueError, "attribute: inconsistent arrays");
    else if (attribute_docs(&in, n_ids, top, &docs, &firsts, &weights, &n_out) == 0)
        out = Py_BuildValue("(NNN)", as_bytearray(docs.v, 4 * n_out), as_bytearray(firsts.v, 8 * n_out),
                            as_bytearray(weights.v, 8 * n_out));
    PyMem_Free(docs.v); PyMem_Free(firsts.v); PyMem_Free(weights.v);
    for (int i = 0; i < 6; i++) PyBuffer_Release(&b[i]);
    return out;
}

/* scale_rows(indptr int64, cols int32, v float32, scale_word float32, scale_char float32, word_n) ->
 * (data float32, cols int32) or None: each entry times its row's scale for its block, each block's
 * entries reversed within the row (the order scipy's diags(scale) @ block leaves them in); None when a
 * product is 0 (scipy's product drops those: the caller's reference path decides). */
static PyObject *scale_rows(PyObject *self, PyObject *args) {
    Py_buffer pb = {0}, cb = {0}, vb = {0}, wb = {0}, xb = {0};
    long long word_n;
    PyObject *out = NULL, *data_out = NULL, *cols_out = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*L", &pb, &cb, &vb, &wb, &xb, &word_n)) return NULL;
    const int64_t *indptr = pb.buf;
    const int32_t *cols = cb.buf;
    const float *v = vb.buf, *sw = wb.buf, *sc = xb.buf;
    Py_ssize_t nrows = pb.len / 8 - 1, nnz = cb.len / 4;
    if (nrows < 0 || vb.len / 4 != nnz || wb.len / 4 != nrows || xb.len / 4 != nrows || indptr[nrows] != nnz) {
        PyErr_SetString(PyExc_ValueError, "scale_rows: inconsistent arrays");
        goto done;
    }
    data_out = PyByteArray_FromStringAndSize(NULL, 4 * nnz);
    cols_out = PyByteArray_FromStringAndSize(NULL, 4 * nnz);
    if (!data_out || !cols_out) goto done;
    float *od = (float *)PyByteArray_AS_STRING(data_out);
    int32_t *oc = (int32_t *)PyByteArray_AS_STRING(cols_out);
    int zero = 0;
    for (Py_ssize_t r = 0; r < nrows; r++) {
        int64_t a = indptr[r], b = indptr[r + 1], split = a;
        while (split < b && cols[split] < word_n) split++;
        for (int64_t j = a; j < split; j++) {  /* word block: a .. split-1, reversed */
            float x = v[j] * sw[r];
            zero |= x == 0.0f;
            od[a + split - 1 - j] = x; oc[a + split - 1 - j] = cols[j];
        }
        for (int64_t j = split; j < b; j++) {  /* char block: split .. b-1, reversed */
            float x = v[j] * sc[r];
            zero |= x == 0.0f;
            od[split + b - 1 - j] = x; oc[split + b - 1 - j] = cols[j];
        }
    }
    if (zero) { out = Py_None; Py_INCREF(out); }
    else out = PyTuple_Pack(2, data_out, cols_out);
done:
    Py_XDECREF(data_out); Py_XDECREF(cols_out);
    PyBuffer_Release(&pb); PyBuffer_Release(&cb); PyBuffer_Release(&vb); PyBuffer_Release(&wb); PyBuffer_Release(&xb);
    return out;
}

static PyObject *hash_bucket(PyObject *self, PyObject *args) {
    PyObject *s;
    long long n;
    if (!PyArg_ParseTuple(args, "UL", &s, &n)) return NULL;
    if (n <= 0) { PyErr_SetString(PyExc_ValueError, "n must be positive"); return NULL; }
    Py_ssize_t len;
    const char *b = PyUnicode_AsUTF8AndSize(s, &len);
    return b ? PyLong_FromLong(bucket((const uint8_t *)b, len, n)) : NULL;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "tokenize(text, limit) -> (tokens, offsets, maybe_fact_checker)"},
    {"counts", counts, METH_VARARGS, "counts(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (indptr, indices, counts)"},
    {"grams", grams, METH_VARARGS, "grams(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (cols, sizes, ids, indptr, indices, counts, inverse)"},
    {"first_ids", first_ids, METH_O, "first_ids(keys) -> int64 ranks by first appearance"},
    {"align", align, METH_VARARGS, "align(keys, indptr, indices, data, n_features) -> float64 values or None"},
    {"attribute", attribute, METH_VARARGS, "attribute(owner, inv, vals, cnt, owner_doc, gid, n_ids, top) -> (docs, firsts, weights)"},
    {"scale_rows", scale_rows, METH_VARARGS, "scale_rows(indptr, cols, v, scale_word, scale_char, word_n) -> (data, cols) or None"},
    {"bucket", hash_bucket, METH_VARARGS, "bucket(text, n) -> column, as _grams.bucket"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastgrams", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastgrams(void) {
    init_latin1();
    return PyModule_Create(&module);
}
