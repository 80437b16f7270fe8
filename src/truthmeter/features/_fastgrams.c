/* lexical.v1's hot loop in C: tokenising, and hashing words, bigrams and char n-grams into columns.
 *
 * In three files sharing _fastgrams.h: this one (tokens, the module), _fastcount.c (hashed grams and
 * counts), _fastrows.c (explanation rows, row weights).
 *
 * Optional: setup.py builds it when a C compiler is there; without it truthmeter runs the pure-Python
 * path in _base.py and _grams.py, which gives the same tokens, columns and counts (tests compare both).
 * Every rule here mirrors one there:
 *   tokens     runs of characters that are alphanumeric (Python's str.isalnum, i.e. the regex [^\W_]) after
 *              the one-to-one fold of curly quotes, dashes and e-acute; lowercased as str.lower() does;
 *   hashing    MurmurHash3 x86_32, seed 0, of the UTF-8 bytes, folded into n columns as sklearn does;
 *   char grams of " token ", 2..5 code points, as sklearn's char_wb analyzer.
 */
#include "_fastgrams.h"

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
PyObject *fg_tokenize(PyObject *self, PyObject *args) {
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
    {"tokenize", fg_tokenize, METH_VARARGS, "tokenize(text, limit) -> (tokens, offsets, maybe_fact_checker)"},
    {"counts", fg_counts, METH_VARARGS, "counts(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (indptr, indices, counts)"},
    {"grams", fg_grams, METH_VARARGS, "grams(docs_tokens, word_n, char_n, lo, hi, max_tokens) -> (cols, sizes, ids, indptr, indices, counts, inverse)"},
    {"align", fg_align, METH_VARARGS, "align(keys, indptr, indices, data, n_features) -> float64 values or None"},
    {"attribute", fg_attribute, METH_VARARGS, "attribute(owner, inv, vals, cnt, owner_doc, gid, n_ids, top) -> (docs, firsts, weights)"},
    {"scale_rows", fg_scale_rows, METH_VARARGS, "scale_rows(indptr, cols, v, scale_word, scale_char, word_n) -> (data, cols) or None"},
    {"bucket", hash_bucket, METH_VARARGS, "bucket(text, n) -> column, as _grams.bucket"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastgrams", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastgrams(void) {
    init_latin1();
    return PyModule_Create(&module);
}
