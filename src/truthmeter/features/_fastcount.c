/* lexical.v1's grams: each token's word and char-gram columns (hashed once per word and cached), the
 * bigrams', counted per doc in column order, and each gram's owner (the word or bigram it came from). */

#include "_fastgrams.h"

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
 * faults) regrown by copying on every call; freed after a call that needed more than KEEP_ENTRIES. A call
 * made while they are in use (another thread, let in when an allocation ran a finalizer) gets buffers of
 * its own for the call. */
#define KEEP_ENTRIES (1 << 22)
typedef struct { work_t w; sorter_t t; ivec idx, cnt, inv; } space_t;
static space_t space;
static int space_busy;

static space_t *space_take(int64_t n_features) {
    space_t *sp = &space;
    if (space_busy) {
        if ((sp = PyMem_Calloc(1, sizeof *sp)) == NULL) { PyErr_NoMemory(); return NULL; }
    } else {
        space_busy = 1;
    }
    sp->w.cols.n = sp->w.sizes.n = sp->idx.n = sp->cnt.n = sp->inv.n = 0;
    sp->t.passes = passes_for(n_features);
    return sp;
}

static void space_release(space_t *sp) {
    if (sp == NULL) return;
    int shared = sp == &space;
    if (!shared || sp->w.cols.cap > KEEP_ENTRIES || sp->inv.cap > KEEP_ENTRIES) {
        work_free(&sp->w); sorter_free(&sp->t);
        PyMem_Free(sp->idx.v); PyMem_Free(sp->cnt.v); PyMem_Free(sp->inv.v);
        memset(sp, 0, sizeof *sp);
    }
    if (shared) space_busy = 0;
    else PyMem_Free(sp);
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

/* counts(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (indptr int64, indices int32, counts int32)
 * as bytearrays: each doc's distinct columns in ascending order with how often they occur. */
PyObject *fg_counts(PyObject *self, PyObject *args) {
    PyObject *docs, *seq = NULL, *out = NULL;
    shape_t sh;
    if (parse_shape(args, &docs, &sh) < 0 || (seq = PySequence_Fast(docs, "docs must be a sequence")) == NULL)
        return NULL;
    Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq);
    space_t *sp = space_take(sh.word_n + sh.char_n);
    int64_t *indptr = PyMem_Malloc(sizeof(int64_t) * (size_t)(nd + 1));
    PyObject *parts[3] = {NULL, NULL, NULL};
    if (!sp) goto done;
    if (!indptr) { PyErr_NoMemory(); goto done; }
    indptr[0] = 0;
    for (Py_ssize_t d = 0; d < nd; d++) {
        sp->w.cols.n = 0;
        if (doc_columns(PySequence_Fast_GET_ITEM(seq, d), &sh, &sp->w, 0) < 0
            || sort_doc(sp->w.cols.v, sp->w.cols.n, &sp->t, 0) < 0
            || emit_runs(&sp->t, sp->w.cols.n, &sp->idx, &sp->cnt, NULL, 0) < 0) goto done;
        indptr[d + 1] = sp->idx.n;
    }
    /* Copied out and the buffers handed back before building the tuple, the one allocation here that can
     * run a collection (and so other threads). */
    parts[0] = as_bytearray(indptr, 8 * (nd + 1));
    parts[1] = as_bytearray(sp->idx.v, 4 * sp->idx.n);
    parts[2] = as_bytearray(sp->cnt.v, 4 * sp->cnt.n);
done:
    PyMem_Free(indptr); space_release(sp);
    if (parts[0] && parts[1] && parts[2]) out = PyTuple_Pack(3, parts[0], parts[1], parts[2]);
    for (int i = 0; i < 3; i++) Py_XDECREF(parts[i]);
    Py_DECREF(seq);
    return out;
}

/* Each owner's id among the batch's distinct words and bigrams, numbered in order of first appearance over
 * the owners as _grams.batch_grams lists them (per doc: its tokens, then its bigrams): what _grams._first_ids gives
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
PyObject *fg_grams(PyObject *self, PyObject *args) {
    PyObject *docs, *seq = NULL, *out = NULL;
    shape_t sh;
    if (parse_shape(args, &docs, &sh) < 0 || (seq = PySequence_Fast(docs, "docs must be a sequence")) == NULL)
        return NULL;
    Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq), n_gids = 0;
    space_t *sp = space_take(sh.word_n + sh.char_n);
    int64_t *indptr = PyMem_Malloc(sizeof(int64_t) * (size_t)(nd + 1));
    ids_t ids = {0};
    bbuf gids = {0};
    PyObject *parts[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (!sp) goto done;
    ivec *cols = &sp->w.cols;
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
    parts[0] = as_bytearray(cols->v, 4 * cols->n);  /* copied out before the tuple, as in counts */
    parts[1] = as_bytearray(sp->w.sizes.v, 4 * sp->w.sizes.n);
    parts[2] = as_bytearray(gids.v, 8 * n_gids);
    parts[3] = as_bytearray(indptr, 8 * (nd + 1));
    parts[4] = as_bytearray(sp->idx.v, 4 * sp->idx.n);
    parts[5] = as_bytearray(sp->cnt.v, 4 * sp->cnt.n);
    parts[6] = as_bytearray(sp->inv.v, 4 * sp->inv.n);
done:
    PyMem_Free(indptr); PyMem_Free(ids.w); PyMem_Free(ids.p); PyMem_Free(gids.v); space_release(sp);
    int whole = 1;
    for (int i = 0; i < 7; i++) whole &= parts[i] != NULL;
    if (whole) out = PyTuple_Pack(7, parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]);
    for (int i = 0; i < 7; i++) Py_XDECREF(parts[i]);
    Py_DECREF(seq);
    return out;
}
