/* Rows of a batch: the contributions explaining each doc (align, attribute) and the row
 * weights of its features (scale_rows), each repeating the float operations of the numpy/scipy path. */

#include "_fastgrams.h"

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

/* align(keys, indptr, indices, data, n_features) -> float64 bytearray, or None: each sorted
 * (doc * n_features + column) key's value in the CSR matrix (int32 indptr and indices, float64 data, any
 * order within a row), 0 where it has none; None when a row holds a column twice (the caller's general
 * path decides then). One scatter per row into a dense scratch row instead of sorting every row. */
PyObject *fg_align(PyObject *self, PyObject *args) {
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

PyObject *fg_attribute(PyObject *self, PyObject *args) {
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
PyObject *fg_scale_rows(PyObject *self, PyObject *args) {
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
