"""The numerical core of the topic model: TF-IDF, NMF, choosing k, labels, matching.

Pure functions over numpy/scipy arrays, so :mod:`listening.topics.model` only
orchestrates. Nothing here knows about mention frames.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.extmath import randomized_svd

from ..text import fold_accents
from ..tokens import load_stop_words

# NMF is scikit-learn's coordinate-descent solver. MiniBatchNMF was tried for large
# inputs and dropped: on CrisisLexT26 (24,758 texts x 10,000 terms, k=40) it took
# 738 s against 8.7 s for coordinate descent. Large frames are handled instead by
# fitting on a weighted sample of distinct texts (model.MAX_FIT_DOCS).
# Terms kept per topic for labels, describe() and coherence (the usual top-10 of
# topic-coherence studies, e.g. Röder et al. 2015).
N_TOP_TERMS = 10
# Label = a hashtag or phrase, then this many single words (one more when there is
# no hashtag or phrase, or to tell two topics apart), joined by LABEL_SEPARATOR.
LABEL_WORDS = 2
LABEL_SEPARATOR = " · "
# Choosing k fits one NMF per candidate: on the AUTO_FEATURES most frequent terms,
# stopped at a looser tolerance. The ranking of candidates is what matters there,
# and it settles long before the factors do.
AUTO_FEATURES = 3_000
AUTO_MAX_ITER = 100
# Rounds of spherical k-means after NMF (see refine); it usually settles in fewer.
REFINE_ITER = 10


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF (1 + log tf) times ``idf``, rows L2-normalised (zero rows stay zero).

    scikit-learn's ``TfidfTransformer`` with a given IDF: it was 5x faster than
    the home-made version it replaced on the 36,588 distinct texts of 1M demo
    mentions (0.008 s vs 0.042 s, best of 3, same output; ``benchmarks/topics_speed.py``).
    """
    transformer = TfidfTransformer(sublinear_tf=True)
    transformer.idf_ = idf
    return sp.csr_matrix(transformer.transform(sp.csr_matrix(counts, dtype=np.float64)))


def smooth_idf(counts: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smoothed IDF of a count matrix, ``log((1 + n) / (1 + df)) + 1``."""
    return TfidfTransformer(sublinear_tf=True).fit(counts).idf_


def truncated_svd(x: sp.csr_matrix, k: int, *, seed: int) -> tuple[np.ndarray, ...]:
    """Seeded randomized SVD with ``k`` components, shared by every NMF initialisation."""
    k = max(1, min(k, min(x.shape) - 1))
    return randomized_svd(x, k, n_iter=4, random_state=seed)


def nndsvda(x: sp.csr_matrix, k: int, svd: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """NNDSVD initial factors (Boutsidis & Gallopoulos 2008), zeros filled with the mean.

    The same initialisation as scikit-learn's ``init="nndsvda"``, built from a
    precomputed SVD so that trying several ``k`` costs one SVD, not one per ``k``
    (the first ``k`` singular triplets do not depend on how many were computed).
    """
    u, s, vt = svd
    k = min(k, len(s))
    w = np.zeros((x.shape[0], k))
    h = np.zeros((k, x.shape[1]))
    w[:, 0] = np.sqrt(s[0]) * np.abs(u[:, 0])
    h[0, :] = np.sqrt(s[0]) * np.abs(vt[0, :])
    for j in range(1, k):
        a, b = u[:, j], vt[j, :]
        ap, an = np.maximum(a, 0), np.abs(np.minimum(a, 0))
        bp, bn = np.maximum(b, 0), np.abs(np.minimum(b, 0))
        ap_n, an_n = np.linalg.norm(ap), np.linalg.norm(an)
        bp_n, bn_n = np.linalg.norm(bp), np.linalg.norm(bn)
        mp, mn = ap_n * bp_n, an_n * bn_n
        if mp >= mn and mp > 0:
            uu, vv, sigma = ap / ap_n, bp / bp_n, mp
        elif mn > 0:
            uu, vv, sigma = an / an_n, bn / bn_n, mn
        else:
            continue
        lbd = np.sqrt(s[j] * sigma)
        w[:, j] = lbd * uu
        h[j, :] = lbd * vv
    w[w < 1e-6] = 0
    h[h < 1e-6] = 0
    fill = float(x.sum()) / (x.shape[0] * x.shape[1])
    w[w == 0] = fill
    h[h == 0] = fill
    return w, h


def run_nmf(x: sp.csr_matrix, k: int, *, seed: int, svd: tuple[np.ndarray, ...] | None = None,
            max_iter: int = 300, tol: float = 1e-4) -> np.ndarray:
    """Fit NMF (coordinate descent); return H with L2-normalised rows.

    Initialised with NNDSVDa from ``svd`` (computed here when not given), so the
    result depends only on ``x``, ``k`` and ``seed``.
    """
    if svd is None or len(svd[1]) < k:
        svd = truncated_svd(x, k, seed=seed)
    w0, h0 = nndsvda(x, k, svd)
    k = len(h0)
    model = NMF(n_components=k, init="custom", random_state=seed, max_iter=max_iter, tol=tol)
    with warnings.catch_warnings():
        # Not converging to 1e-4 within max_iter changes the topics very little and
        # an analyst cannot act on the warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, W=w0, H=h0)
    h = np.asarray(model.components_, dtype=np.float64)
    norms = np.linalg.norm(h, axis=1)
    return h[norms > 0] / norms[norms > 0, None]


def refine(x: sp.csr_matrix, h: np.ndarray, *, n_iter: int = REFINE_ITER) -> np.ndarray:
    """Spherical k-means started from the NMF topics; returns unit-length centroids.

    Each row of ``x`` (TF-IDF, scaled by its weight) goes to the topic whose vector
    is most cosine-similar, each topic becomes the normalised sum of its rows, and
    again, until no row moves or ``n_iter`` rounds. NMF finds the themes; this step
    makes each topic's vector the centre of the posts assigned to it, which is the
    rule :meth:`TopicModel.assign` applies. A topic that loses every row keeps its
    NMF vector. Rows with no term in common with any topic stay out. Ties go to the
    lower topic index (``argmax``), so the result depends on ``x`` and ``h`` only.
    """
    h = np.asarray(h, dtype=np.float64)
    k = len(h)
    previous = None
    for _ in range(n_iter):
        sims = np.asarray(x @ h.T)
        best = sims.argmax(axis=1)
        rows = np.flatnonzero(sims[np.arange(len(best)), best] > 0)
        if previous is not None and np.array_equal(best[rows], previous):
            break
        previous = best[rows]
        member = sp.csr_matrix((np.ones(len(rows)), (best[rows], rows)), shape=(k, x.shape[0]))
        centroids = np.asarray((member @ x).todense())
        norms = np.linalg.norm(centroids, axis=1)
        filled = norms > 0
        h = h.copy()
        h[filled] = centroids[filled] / norms[filled, None]
    return h


def npmi_coherence(h: np.ndarray, binary: sp.csc_matrix, *, top: int = N_TOP_TERMS) -> np.ndarray:
    """Mean NPMI of each topic's top-term pairs, from document co-occurrence.

    NPMI (Bouma 2009; the C_NPMI measure of Röder et al. 2015) is in [-1, 1]:
    1 when two terms always appear together, 0 when independent. ``binary`` is
    the documents x terms presence matrix the model was fitted on.
    """
    n_docs = binary.shape[0]
    eps = 1e-12
    scores = np.zeros(len(h))
    for t, row in enumerate(h):
        terms = np.argsort(-row, kind="stable")[:top]
        terms = terms[row[terms] > 0]
        if len(terms) < 2:
            continue
        sub = binary[:, terms]
        co = (sub.T @ sub).toarray().astype(np.float64)
        p = np.diag(co) / n_docs
        pij = co / n_docs
        iu = np.triu_indices(len(terms), 1)
        pmi = np.log((pij[iu] + eps) / (p[iu[0]] * p[iu[1]]))
        npmi = pmi / -np.log(pij[iu] + eps)
        npmi[pij[iu] == 0] = -1.0
        scores[t] = npmi.mean()
    return scores


def choose_k(x: sp.csr_matrix, candidates: list[int], *, seed: int, max_docs: int,
             min_similarity: float, copies: np.ndarray) -> tuple[int, dict[int, float]]:
    """Pick the number of topics with the best coherence x coverage.

    For each candidate ``k`` an NMF is fitted on a seeded sample of at most
    ``max_docs`` rows and scored on all rows. Its score is the mean NPMI coherence of its topics
    (:func:`npmi_coherence`: are the top terms of a topic used together?) times
    its coverage (the share of mentions, ``copies`` per text, whose cosine
    similarity to their best topic reaches ``min_similarity``, i.e. that do not
    fall into "other" — counted in mentions because that is the share of "other"
    an analyst sees).
    Coherence alone favours a few very tight topics that leave most mentions in
    "other"; coverage alone favours many topics. Their product peaks where topics
    stay coherent and most mentions have a home. Ties go to the smaller ``k``.
    Returns ``(k, {k: score})``.
    """
    rng = np.random.default_rng(seed)
    copies = np.asarray(copies, dtype=np.float64)
    df = np.bincount(x.indices, minlength=x.shape[1])
    if x.shape[1] > AUTO_FEATURES:
        # Topics are told apart by their frequent terms; rare ones only slow the fits.
        x = x[:, np.sort(np.argsort(-df, kind="stable")[:AUTO_FEATURES])].tocsr()
    # Coherence and coverage are measured on every text, only the fits use a sample:
    # both are cheap (top-term columns, one product with H), and NPMI on a small
    # sample is dominated by pairs of terms that happen never to meet in it.
    binary = (x > 0).astype(np.float64).tocsc()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    unit = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x
    if x.shape[0] > max_docs:
        x = x[np.sort(rng.choice(x.shape[0], max_docs, replace=False))].tocsr()
    svd = truncated_svd(x, max(candidates), seed=seed)
    scores: dict[int, float] = {}
    for k in candidates:
        h = run_nmf(x, k, seed=seed, svd=svd, max_iter=AUTO_MAX_ITER, tol=1e-3)
        if len(h) < 2:
            scores[k] = -np.inf
            continue
        covered = np.asarray(unit @ h.T).max(axis=1) >= min_similarity
        coverage = float(copies[covered].sum() / copies.sum())
        scores[k] = round(float(npmi_coherence(h, binary).mean()) * coverage, 6)
    best = max(scores, key=lambda k: (scores[k], -k))
    return best, scores


def fold_surface(term_lists: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """Accent-fold analysed terms; return them and the most common spelling of each.

    The returned map only holds terms whose most common spelling has accents
    (``"securite" -> "sécurité"``); ``video``/``vidéo`` shows whichever is used more.
    """
    spellings: Counter[str] = Counter()
    for terms in term_lists:
        spellings.update(terms)
    fold = {term: fold_accents(term) for term in spellings}
    best: dict[str, tuple[int, str]] = {}
    for term, n in spellings.items():
        f = fold[term]
        if n > best.get(f, (0, ""))[0]:
            best[f] = (n, term)
    display = {f: term for f, (n, term) in best.items() if term != f}
    return [[fold[t] for t in terms] for terms in term_lists], display


# nltk Snowball stemmers by ISO 639-1 code: two label terms with one stem
# ("flood", "floods", "flooding") are one term to a reader.
STEMMERS = {"en": "english", "fr": "french", "es": "spanish", "it": "italian",
            "pt": "portuguese", "de": "german", "nl": "dutch"}


@lru_cache(maxsize=16)
def stemmer(language: str | None) -> Callable[[str], str]:
    """The Snowball stemmer of ``language`` (English when unknown)."""
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer(STEMMERS.get(language or "en", "english")).stem


@lru_cache(maxsize=16)
def label_stop_words(language: str | None) -> frozenset[str]:
    """Function words of ``language`` kept out of labels (empty when no list).

    The analyzer drops English and French stop words from every topic; a topic in
    another language (Spanish tweets about an earthquake) would otherwise be
    labelled "los · para". Lists: ``listening/resources/stopwords/<code>.txt``.
    """
    if not language:
        return frozenset()
    try:
        return load_stop_words((language,))
    except ValueError:
        return frozenset()


def _label_word(word: str, stop: frozenset[str]) -> bool:
    """A word worth showing: not a function word, and a number or 3+ letters."""
    return word not in stop and (len(word) >= 3 or word.isdigit())


def _same_root(a: str, b: str) -> bool:
    """Stems of one word family: equal, or one starts the other and both have 4+
    letters (Snowball gives "drive" for "driving" but "driver" for "drivers")."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a))


def make_label(terms: list[str], display: dict[str, str], taken: set[str], *,
               language: str | None = None) -> str:
    """A label read at a glance: a hashtag or phrase, then two or three distinct words.

    ``terms`` are the topic's folded terms, best first, computed on the posts in
    the topic's language (so a French topic is labelled with French words). The
    head is the best-ranked hashtag among the first ``N_TOP_TERMS``, else the
    best-ranked bigram there; then come single words that say something the head
    does not: a word inside the head (``boston`` after ``#bostonmarathon``, ``phone``
    after ``phone away``), of the family of a word already shown (``floods`` after
    ``flood``, ``drivers`` after ``driving``), a function word of the topic's
    language or a two-letter word is skipped, and no second bigram is used, so the
    label never becomes overlapping bigrams. Two words are added (three without a
    head), one more while the label equals one ``taken`` by another topic, then
    ``(2)``.
    """
    stem = stemmer(language)
    stop = label_stop_words(language)
    top = terms[:N_TOP_TERMS]
    head = next((t for t in top if t.startswith("#")), None) or \
        next((t for t in top if " " in t and all(_label_word(w, stop) for w in t.split(" "))),
             None)
    parts: list[str] = [] if head is None else [display.get(head, head)]
    words = [] if head is None else head.lstrip("#").split(" ")
    stems = {stem(w) for w in words}
    body = head[1:] if head is not None and head.startswith("#") else ""
    extra = []
    for term in terms:
        if " " in term or term.startswith("#") or term in words or \
                (len(term) >= 3 and term in body) or not _label_word(term, stop):
            continue  # a phrase, the head again, or a two-letter word ("di", "el")
        root = stem(term)
        if any(_same_root(root, other) for other in stems):
            continue
        stems.add(root)
        extra.append(display.get(term, term))
    want = LABEL_WORDS if parts else LABEL_WORDS + 1
    label = LABEL_SEPARATOR.join(parts + extra[:want])
    while label in taken and want < len(extra):
        want += 1
        label = LABEL_SEPARATOR.join(parts + extra[:want])
    base = label or "topic"
    label, n = base, 2
    while label in taken:
        label = f"{base} ({n})"
        n += 1
    return label


def match_topics(h_new: np.ndarray, vocab_new: list[str], h_old: np.ndarray,
                 vocab_old: list[str], *, threshold: float) -> dict[int, int]:
    """Hungarian matching of new topics to old ones on cosine over the union vocabulary.

    Returns ``{new_row: old_row}`` for pairs whose cosine similarity is at least
    ``threshold``; unmatched new rows are new topics.
    """
    union = {t: i for i, t in enumerate(vocab_old)}
    for t in vocab_new:
        union.setdefault(t, len(union))
    cols_new = np.array([union[t] for t in vocab_new], dtype=np.int64)
    a = np.zeros((len(h_new), len(union)))
    a[:, cols_new] = h_new
    b = np.zeros((len(h_old), len(union)))
    b[:, :len(vocab_old)] = h_old
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    sim = a @ b.T
    rows, cols = linear_sum_assignment(-sim)
    return {int(r): int(c) for r, c in zip(rows, cols) if sim[r, c] >= threshold}
