/* What the three parts of lexical.v1's C code share: _fastgrams.c (tokens, the module), _fastcount.c
 * (hashed grams and their counts), _fastrows.c (explanation rows and row weights). See _fastgrams.c for
 * the rules they mirror and why the pure-Python path gives the same results. */
#ifndef TRUTHMETER_FASTGRAMS_H
#define TRUTHMETER_FASTGRAMS_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static inline uint32_t murmur3_32(const uint8_t *data, Py_ssize_t len) {
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

/* Growable buffers: int32 columns and raw bytes. */
typedef struct { int32_t *v; Py_ssize_t n, cap; } ivec;

static inline int ivec_grow(ivec *a, Py_ssize_t need) {
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

static inline uint8_t *bbuf_fit(bbuf *b, Py_ssize_t n) {  /* never NULL on success, even for n == 0 */
    if (n > b->cap || b->v == NULL) {
        Py_ssize_t cap = b->cap > 64 ? b->cap : 64;
        while (cap < n) cap *= 2;
        uint8_t *v = PyMem_Realloc(b->v, (size_t)cap);
        if (v == NULL) { PyErr_NoMemory(); return NULL; }
        b->v = v; b->cap = cap;
    }
    return b->v;
}

static inline PyObject *as_bytearray(const void *v, Py_ssize_t n) {
    return PyByteArray_FromStringAndSize(n ? (const char *)v : "", n);
}

/* The module's functions (their contracts are beside their definitions). */
PyObject *fg_tokenize(PyObject *self, PyObject *args);
PyObject *fg_counts(PyObject *self, PyObject *args);
PyObject *fg_grams(PyObject *self, PyObject *args);
PyObject *fg_align(PyObject *self, PyObject *args);
PyObject *fg_attribute(PyObject *self, PyObject *args);
PyObject *fg_scale_rows(PyObject *self, PyObject *args);

#endif
