"""Topic model over mention frames: fit, assign, describe, refit with stable ids, save.

How a fit works (``fit_topics``):

1. Each distinct text is analysed once (:mod:`listening.tokens`: nltk
   ``TweetTokenizer``; URLs, @handles and most numbers dropped; #hashtags kept;
   English + French stop words; bigrams). Retweets and copies collapse onto one
   document through :func:`listening.text.dedupe_key`, weighted by
   ``1 + log(copies)``, so a text retweeted 500 times counts a little more than
   one posted once, not 500 times more.
2. TF-IDF (scikit-learn's ``TfidfTransformer``: sublinear tf, smoothed idf, L2
   rows) then NMF (coordinate descent, NNDSVDa start), then a few rounds of
   spherical k-means started from the NMF topics (``_nmf.refine``): each topic
   becomes the centre of the posts closest to it, the rule ``assign`` applies.
   On unseen CrisisLexT26 events this raised NMI with the events from about 0.65
   to 0.73 and emptied most of "other" (``benchmarks/topics_eval.py``). Each
   distinct text's row is scaled by its weight. Above ``MAX_FIT_DOCS`` distinct
   texts the fit uses a seeded sample drawn with probability proportional to the
   weight (every mention is still assigned).
3. ``n_topics="auto"`` tries ``AUTO_CANDIDATES`` and keeps the k with the best
   mean NPMI coherence times coverage (share of mentions not left in "other";
   see ``_nmf.choose_k``).
4. Every mention is then assigned with :meth:`TopicModel.assign`: the topic whose
   term vector is most cosine-similar to the mention's TF-IDF vector; below
   ``MIN_SIMILARITY`` (or with no known term) the mention goes to the explicit
   ``"other"`` topic, id ``OTHER_TOPIC = -1`` (BERTopic's outlier convention,
   so topic ids ``0, 1, 2, ...`` stay dense and 0 is a real topic).

Labels (``_nmf.make_label``): the best hashtag or phrase of the topic, then two
distinct words (three when needed to tell topics apart), ranked on the topic's
posts in its most common ``language`` so a French topic reads in French.

Same input, same output: the vocabulary is in order of first appearance, every
ranking is a stable sort with ties to the earlier term or topic, and nothing is
iterated in set or hash order (``tests/test_topics_determinism.py`` fits under two
``PYTHONHASHSEED`` values and compares).

Stable ids: ``fit_topics(new_frame, previous=model)`` matches the new topics to the
previous model's by Hungarian matching on cosine similarity of their term vectors
over the union vocabulary; a pair at ``MATCH_THRESHOLD`` or above keeps the old id
and label; unmatched topics get fresh ids (never reused) and ``is_new=True``.
``is_new`` is False for every topic of a first fit (nothing to be new against).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import MentionDataError, ModelError, NotFittedError
from ..schema import require_columns
from ..text import dedupe_key
from ..tokens import STOP_WORD_LANGUAGES, build_analyzer, count_matrix, distinct_texts
from . import _nmf

__all__ = [
    "MIN_MENTIONS",
    "OTHER_LABEL",
    "OTHER_TOPIC",
    "TopicModel",
    "fit_topics",
    "load_topics",
]

# Fewer mentions than this give topics made of a handful of posts; the analyst is
# better served by widening the date range (STYLE.md's example message).
MIN_MENTIONS = 50
OTHER_TOPIC = -1
OTHER_LABEL = "other"
# Cosine similarity (TF-IDF vs topic centre) below which a mention fits no topic.
# MIN_SIMILARITY, MIN_DF and AUTO_CANDIDATES were chosen together on the tuning
# events of CrisisLexT26 (leave-events-out, `benchmarks/topics_eval.py --tune-only`,
# table in benchmarks/results/topics.md): the best mean NMI with the events among
# settings leaving at most 15% of on-topic tweets in "other". With topics as centres
# of their posts (``_nmf.refine``), 0.03 keeps in "other" the posts that share next
# to nothing with any topic (at MIN_DF 3, 0.05 scored 0.005 lower, 0.08 0.03 lower).
MIN_SIMILARITY = 0.03
# Cosine similarity at which a refitted topic keeps a previous topic's id. 0.3 keeps
# a topic whose top terms shifted (new place names, a new hashtag) and rejects two
# different topics that share one or two frequent words.
MATCH_THRESHOLD = 0.3
# Candidate numbers of topics for "auto": from a handful of themes to the ~40 a
# month of a police service's mentions holds (the demo stream has ~40 templates).
# Finer at the low end than (5, 10, 15, 20, 30, 40, 50), which scored 0.05 lower.
AUTO_CANDIDATES = (4, 5, 6, 8, 10, 12, 15, 20, 30, 40)
# Distinct texts used to choose k and to fit; beyond this a seeded weighted sample.
# 5,000 keeps "auto" (10 NMF fits) within seconds; 60,000 keeps the final fit
# well under the 60 s budget for a million mentions on two cores.
AUTO_SAMPLE = 5_000
MAX_FIT_DOCS = 60_000
# A term must occur in at least MIN_DF distinct texts and at most MAX_DF of them (a
# term in most texts is the collection keyword; stop words are removed already).
# MIN_DF 5 scored best in the search above (NMI 0.806; 3: 0.797, 4: 0.781, 2: 0.742,
# where "auto" chose 30 topics for one 6-event stream);
# MAX_FEATURES bounds the vocabulary (and the saved model) by document frequency.
MIN_DF = 5
MAX_DF = 0.8
MAX_FEATURES = 10_000
N_REPRESENTATIVE = 3
# Terms ranked per topic to compose its label (the label skips bigrams and repeats).
N_LABEL_TERMS = 30
FORMAT_VERSION = 1


def _check_text(frame: pd.DataFrame, stage: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise MentionDataError(f"{stage} expects a mention DataFrame, got {type(frame).__name__}")
    require_columns(frame, ["text"], stage=stage)


class TopicModel:
    """Topics of a set of mentions: learned term vectors, labels and stable ids.

    Use :func:`fit_topics` to build one. Learned attributes (after ``fit``):

    ``topic_ids_`` (int array), ``labels_`` (list of str), ``components_`` (topics x
    terms, L2 rows), ``vocabulary_`` (list of accent-folded terms), ``idf_``,
    ``display_`` (folded term -> most common spelling), ``is_new_``, ``sizes_``
    (mentions per topic in the fitted frame; "other" in ``other_size_``),
    ``mean_sentiment_`` (NaN when the frame had no ``sentiment``),
    ``representative_`` (texts) and ``representative_ids_`` (mention ids),
    ``timeline_`` (tidy frame: day (UTC), topic, count, share of the day),
    ``k_scores_`` ({k: score} when n_topics was "auto"), ``retired_`` (ids of the
    previous model that matched nothing), ``next_id_``.

    Parameters
    ----------
    n_topics : int or "auto"
    seed : int
        Seeds sampling and NMF: the same frame and seed give the same model.
    languages : sequence of str
        Stop word lists to use.
    min_similarity : float
        See ``MIN_SIMILARITY``.
    """

    def __init__(self, *, n_topics: int | str = "auto", seed: int = 0,
                 languages: tuple[str, ...] = STOP_WORD_LANGUAGES,
                 min_similarity: float = MIN_SIMILARITY) -> None:
        self.n_topics = n_topics
        self.seed = seed
        self.languages = tuple(languages)
        self.min_similarity = min_similarity
        self._analyzer = None

    # ------------------------------------------------------------------ fitting
    def fit(self, frame: pd.DataFrame, *, previous: TopicModel | None = None) -> TopicModel:
        """Learn topics from ``frame`` (needs ``text``; uses ``timestamp``,
        ``mention_id``, ``sentiment`` when present). Returns ``self``."""
        _check_text(frame, "fit_topics")
        if not (self.n_topics == "auto" or (isinstance(self.n_topics, (int, np.integer))
                                            and self.n_topics >= 2)):
            raise ValueError(f"n_topics must be 'auto' or an integer >= 2, got {self.n_topics!r}")
        if previous is not None and not isinstance(previous, TopicModel):
            raise TypeError(f"previous must be a TopicModel, got {type(previous).__name__}")
        if previous is not None:
            previous._check_fitted()
        text = frame["text"].astype("string")
        n_usable = int((text.fillna("").str.strip() != "").sum())
        if n_usable < MIN_MENTIONS:
            raise MentionDataError(
                f"{n_usable} mentions in the period; topics need at least {MIN_MENTIONS} "
                "— widen the date range")

        # Analyse each distinct text once; the rows of the fit are one per dedupe key.
        codes, uniques = distinct_texts(text)
        analyzer = build_analyzer(languages=self.languages, fold=False)
        folded, display = _nmf.fold_surface([analyzer(t) for t in uniques])
        counts_all, vocab = count_matrix(folded, lambda terms: terms)
        key_codes, keys = pd.factorize(dedupe_key(pd.Series(uniques, dtype="string")))
        copies = np.bincount(key_codes[codes], minlength=len(keys))
        first_unique = np.full(len(keys), -1, dtype=np.int64)
        first_unique[key_codes[::-1]] = np.arange(len(uniques))[::-1]
        weight = 1.0 + np.log(copies)

        docs = np.arange(len(keys))
        if len(docs) > MAX_FIT_DOCS:
            rng = np.random.default_rng(self.seed)
            docs = np.sort(rng.choice(docs, MAX_FIT_DOCS, replace=False, p=weight / weight.sum()))
        counts, cols = self._prune(counts_all[first_unique[docs]].tocsr())
        inverse = {i: t for t, i in vocab.items()}
        terms = [inverse[i] for i in cols]
        counts_all = counts_all[:, cols].tocsr()
        idf = _nmf.smooth_idf(counts)
        x = _nmf.tfidf(counts, idf)
        keep = np.diff(x.indptr) > 0
        if keep.sum() < 4:
            raise MentionDataError(
                f"only {int(keep.sum())} distinct texts share terms with others; topics need "
                "more varied mentions — widen the date range")
        x = (sp.diags(weight[docs]) @ x)[keep]

        if self.n_topics == "auto":
            candidates = [k for k in AUTO_CANDIDATES if k <= max(2, x.shape[0] // 10)] or [2]
            k, scores = _nmf.choose_k(x, candidates, seed=self.seed, max_docs=AUTO_SAMPLE,
                                      min_similarity=self.min_similarity,
                                      copies=copies[docs][keep])
            self.k_scores_ = scores
        else:
            k, self.k_scores_ = int(min(self.n_topics, x.shape[0])), {}
        h = _nmf.refine(x, _nmf.run_nmf(x, k, seed=self.seed))

        self.vocabulary_ = terms
        self.idf_ = idf
        self._analyzer = None
        # Every distinct text against the topics; topics ordered by mentions, largest first.
        x_texts = _nmf.tfidf(counts_all, idf)
        sims = np.asarray(x_texts @ h.T)
        best, _ = self._best(sims)
        rows_per_text = np.bincount(codes, minlength=len(uniques))
        size = np.bincount(best[best >= 0], weights=rows_per_text[best >= 0], minlength=len(h))
        order = np.argsort(-size, kind="stable")
        self.components_ = h = h[order]
        sims = sims[:, order]
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        best = np.where(best >= 0, rank[np.maximum(best, 0)], -1)
        self.topic_languages_, ranked = self._label_terms(frame, codes, x_texts, best,
                                                          rows_per_text)
        shown = set(self._top_term_union(h, terms)).union(*map(set, ranked))
        self.display_ = {t: display[t] for t in sorted(shown) if t in display}
        self._name_topics(previous, ranked)
        self._summarise(frame, sims[codes], key_codes[codes])
        return self

    @staticmethod
    def _prune(counts: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
        """Keep terms by document frequency; return the counts and kept columns."""
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n = counts.shape[0]
        ok = (df >= MIN_DF) & (df <= max(MAX_DF * n, MIN_DF))
        cols = np.flatnonzero(ok)
        if len(cols) > MAX_FEATURES:
            cols = np.sort(cols[np.argsort(-df[cols], kind="stable")[:MAX_FEATURES]])
        if len(cols) == 0:
            raise MentionDataError(
                f"no term occurs in at least {MIN_DF} of the {n} distinct texts; topics need "
                "mentions that share words — widen the date range")
        return counts[:, cols].tocsr(), cols

    @staticmethod
    def _top_term_union(h: np.ndarray, terms: list[str]) -> list[str]:
        top = np.argsort(-h, axis=1, kind="stable")[:, :_nmf.N_TOP_TERMS]
        return sorted({terms[i] for i in top.ravel()})

    def _label_terms(self, frame: pd.DataFrame, codes: np.ndarray, x_texts: sp.csr_matrix,
                     best: np.ndarray, rows_per_text: np.ndarray,
                     ) -> tuple[list[str], list[list[str]]]:
        """Each topic's language and its terms ranked on the posts in that language.

        A topic's language is the most common ``language`` of its mentions (``und``
        when the frame has none or it is unknown; ties go to the first code in
        alphabetical order). Its label terms are ranked by the summed TF-IDF of its
        distinct texts in that language, each weighted like a fitted document
        (``1 + log(copies)``), so a French topic is labelled with French words even
        when English posts share it.
        """
        k, vocab = len(self.components_), self.vocabulary_
        if "language" in frame.columns:
            lang_rows = frame["language"].astype("string").fillna("und").to_numpy(dtype=object)
            first = np.zeros(len(rows_per_text), dtype=np.int64)
            first[codes[::-1]] = np.arange(len(codes))[::-1]
            text_lang = lang_rows[first] if len(codes) else lang_rows[:0]
        else:
            text_lang = np.full(len(rows_per_text), "und", dtype=object)
        lang_codes, names = pd.factorize(pd.Series(text_lang, dtype=object), sort=True)
        on = best >= 0
        counts = np.zeros((k, len(names)))
        np.add.at(counts, (best[on], lang_codes[on]), rows_per_text[on])
        counts[:, np.asarray(names) == "und"] = 0
        languages = [str(names[counts[t].argmax()]) if counts[t].max() > 0 else "und"
                     for t in range(k)]
        topic_lang = np.asarray(languages + ["und"], dtype=object)[np.where(on, best, k)]
        member = on & ((topic_lang == "und") | (text_lang == topic_lang))
        weight = 1.0 + np.log(np.maximum(rows_per_text[member], 1))
        m = sp.csr_matrix((weight, (best[member], np.flatnonzero(member))),
                          shape=(k, len(rows_per_text)))
        centroid = np.asarray((m @ x_texts).todense())
        ranked = []
        for t in range(k):
            row = centroid[t] if centroid[t].any() else self.components_[t]
            top = np.argsort(-row, kind="stable")[:N_LABEL_TERMS]
            ranked.append([vocab[i] for i in top if row[i] > 0])
        return languages, ranked

    def _name_topics(self, previous: TopicModel | None, ranked: list[list[str]]) -> None:
        h, terms = self.components_, self.vocabulary_
        ids = np.arange(len(h))
        labels: list[str | None] = [None] * len(h)
        self.is_new_ = np.zeros(len(h), dtype=bool)
        self.retired_: list[int] = []
        next_id = len(h)
        if previous is not None:
            matched = _nmf.match_topics(h, terms, previous.components_, previous.vocabulary_,
                                        threshold=MATCH_THRESHOLD)
            next_id = previous.next_id_
            for row in range(len(h)):
                if row in matched:
                    ids[row] = previous.topic_ids_[matched[row]]
                    labels[row] = previous.labels_[matched[row]]
                else:
                    ids[row] = next_id
                    next_id += 1
                    self.is_new_[row] = True
            used = set(matched.values())
            self.retired_ = [int(previous.topic_ids_[j]) for j in range(len(previous.topic_ids_))
                             if j not in used]
            self.display_ = {**previous.display_, **self.display_}
        taken = {lab for lab in labels if lab is not None}
        for row in range(len(h)):
            if labels[row] is None:
                language = self.topic_languages_[row]
                labels[row] = _nmf.make_label(ranked[row], self.display_, taken | {OTHER_LABEL},
                                              language=None if language == "und" else language)
                taken.add(labels[row])
        self.topic_ids_ = ids
        self.labels_ = labels
        self.next_id_ = int(next_id)

    def _summarise(self, frame: pd.DataFrame, sims: np.ndarray, keys: np.ndarray) -> None:
        best, score = self._best(sims)
        k = len(self.topic_ids_)
        slot = np.where(best >= 0, best, k)
        sizes = np.bincount(slot, minlength=k + 1)
        self.sizes_ = sizes[:k]
        self.other_size_ = int(sizes[k])
        self.n_mentions_ = len(frame)
        if "sentiment" in frame.columns:
            s = pd.to_numeric(frame["sentiment"], errors="coerce").to_numpy(dtype=np.float64,
                                                                           na_value=np.nan)
            ok = ~np.isnan(s)
            total = np.bincount(slot[ok], weights=s[ok], minlength=k + 1)[:k]
            n_ok = np.bincount(slot[ok], minlength=k + 1)[:k]
            with np.errstate(invalid="ignore", divide="ignore"):
                self.mean_sentiment_ = np.where(n_ok > 0, total / np.maximum(n_ok, 1), np.nan)
        else:
            self.mean_sentiment_ = np.full(k, np.nan)
        # Representatives: the distinct texts closest to each topic.
        texts = frame["text"].astype("string").fillna("").to_numpy(dtype=object)
        ids = (frame["mention_id"].astype("string").to_numpy(dtype=object)
               if "mention_id" in frame.columns else np.asarray(frame.index.astype(str)))
        self.representative_, self.representative_ids_ = [], []
        for t in range(k):
            rows = np.flatnonzero(best == t)
            rows = rows[np.argsort(-score[rows], kind="stable")]
            _, first = np.unique(keys[rows], return_index=True)
            chosen = rows[np.sort(first)][:N_REPRESENTATIVE]
            self.representative_.append([str(x) for x in texts[chosen]])
            self.representative_ids_.append([str(x) for x in ids[chosen]])
        if "timestamp" in frame.columns:
            day = pd.to_datetime(frame["timestamp"], utc=True).dt.floor("D")
            topic = np.where(best >= 0, self.topic_ids_[np.maximum(best, 0)], OTHER_TOPIC)
            counts = (pd.DataFrame({"day": day, "topic": topic}).dropna()
                      .groupby(["day", "topic"]).size().rename("count").reset_index())
            counts["share"] = counts["count"] / counts.groupby("day")["count"].transform("sum")
            self.timeline_ = counts
        else:
            self.timeline_ = pd.DataFrame({"day": pd.Series(dtype="datetime64[ns, UTC]"),
                                           "topic": pd.Series(dtype="int64"),
                                           "count": pd.Series(dtype="int64"),
                                           "share": pd.Series(dtype="float64")})

    # --------------------------------------------------------------- assigning
    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise NotFittedError("this TopicModel is not fitted; build one with "
                                 "ls.fit_topics(frame) or ls.load_topics(path)")

    def _similarities(self, frame: pd.DataFrame) -> np.ndarray:
        """Cosine similarity of every row's TF-IDF vector to every topic (rows x topics)."""
        if self._analyzer is None:
            self._analyzer = build_analyzer(languages=self.languages)
            self._vocab_index = {t: i for i, t in enumerate(self.vocabulary_)}
        codes, uniques = distinct_texts(frame["text"])
        counts, _ = count_matrix(uniques, self._analyzer, vocabulary=self._vocab_index)
        x = _nmf.tfidf(counts, self.idf_)
        sims = np.asarray(x @ self.components_.T)
        return sims[codes] if len(codes) else np.zeros((0, len(self.components_)))

    def _best(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if sims.shape[1] == 0:
            return np.full(len(sims), -1), np.zeros(len(sims))
        best = sims.argmax(axis=1)
        score = sims[np.arange(len(sims)), best]
        best = np.where(score >= self.min_similarity, best, -1)
        return best, score

    def assign(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add ``topic`` (Int64), ``topic_label`` (string) and ``topic_weight`` (float64).

        Needs ``text``. ``topic_weight`` is the cosine similarity (0..1) between
        the mention and its topic's term vector; mentions below ``min_similarity``
        get topic ``-1``, label ``"other"``. Works on any frame, including mentions
        that arrived after fitting. Returns a new frame; the input is unchanged.

        Examples
        --------
        >>> import listening as ls
        >>> frame, _ = ls.demo.generate(n_mentions=600, days=3, seed=1)
        >>> model = ls.fit_topics(frame, n_topics=5, seed=0)
        >>> out = model.assign(frame.head(3))
        >>> list(out.columns[-3:])
        ['topic', 'topic_label', 'topic_weight']
        """
        self._check_fitted()
        _check_text(frame, "TopicModel.assign")
        best, score = self._best(self._similarities(frame))
        ids = np.append(self.topic_ids_, OTHER_TOPIC)
        labels = np.asarray(list(self.labels_) + [OTHER_LABEL], dtype=object)
        slot = np.where(best >= 0, best, len(self.topic_ids_))
        return frame.assign(
            topic=pd.array(ids[slot], dtype="Int64"),
            topic_label=pd.array(labels[slot], dtype="string"),
            topic_weight=np.where(best >= 0, score, 0.0).astype(np.float64))

    # -------------------------------------------------------------- describing
    def describe(self) -> pd.DataFrame:
        """One row per topic (largest first), then the ``other`` row.

        Columns: ``topic, label, top_terms`` (list, accented spelling), ``weights``
        (list, term weights in the topic's unit vector), ``size`` (mentions in the
        fitted frame), ``share`` (of all fitted mentions), ``mean_sentiment`` (NaN if
        the frame was not scored), ``representative`` (texts), ``representative_ids``,
        ``is_new``, ``language`` (the most common language of the topic's mentions,
        the language its label is written in; ``und`` when unknown).
        """
        self._check_fitted()
        rows = []
        n = max(self.n_mentions_, 1)
        for t, row in enumerate(self.components_):
            top = [i for i in np.argsort(-row, kind="stable")[:_nmf.N_TOP_TERMS] if row[i] > 0]
            rows.append({
                "topic": int(self.topic_ids_[t]), "label": self.labels_[t],
                "top_terms": [self.display_.get(self.vocabulary_[i], self.vocabulary_[i])
                              for i in top],
                "weights": [round(float(row[i]), 4) for i in top],
                "size": int(self.sizes_[t]), "share": self.sizes_[t] / n,
                "mean_sentiment": float(self.mean_sentiment_[t]),
                "representative": list(self.representative_[t]),
                "representative_ids": list(self.representative_ids_[t]),
                "is_new": bool(self.is_new_[t]), "language": self.topic_languages_[t]})
        rows.append({"topic": OTHER_TOPIC, "label": OTHER_LABEL, "top_terms": [], "weights": [],
                     "size": self.other_size_, "share": self.other_size_ / n,
                     "mean_sentiment": np.nan, "representative": [], "representative_ids": [],
                     "is_new": False, "language": "und"})
        out = pd.DataFrame(rows)
        return out.astype({"topic": "Int64", "label": "string", "language": "string",
                           "size": "int64",
                           "share": "float64", "mean_sentiment": "float64", "is_new": "bool"})

    def __getstate__(self) -> dict:
        # The analyzer is a closure (not picklable) and cheap to rebuild: drop it so
        # the model can be shipped to Dask workers (listening.pipeline).
        state = dict(self.__dict__)
        state["_analyzer"] = None
        return state

    def __repr__(self) -> str:
        if not hasattr(self, "components_"):
            return f"TopicModel(n_topics={self.n_topics!r}, seed={self.seed}) (not fitted)"
        return (f"TopicModel({len(self.topic_ids_)} topics, {len(self.vocabulary_)} terms, "
                f"fitted on {self.n_mentions_} mentions)")

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Write the model to one ``.npz`` file (numeric arrays + a JSON document).

        No pickle: :func:`load_topics` reads it with ``allow_pickle=False``.
        Returns the path written (``.npz`` is appended when missing).
        """
        self._check_fitted()
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": "listening.TopicModel", "version": FORMAT_VERSION,
            "params": {"n_topics": self.n_topics if isinstance(self.n_topics, str)
                       else int(self.n_topics), "seed": int(self.seed),
                       "languages": list(self.languages),
                       "min_similarity": float(self.min_similarity)},
            "topic_ids": [int(i) for i in self.topic_ids_], "labels": list(self.labels_),
            "topic_languages": list(self.topic_languages_),
            "is_new": [bool(b) for b in self.is_new_], "sizes": [int(s) for s in self.sizes_],
            "other_size": self.other_size_, "n_mentions": self.n_mentions_,
            "mean_sentiment": [None if np.isnan(v) else float(v) for v in self.mean_sentiment_],
            "representative": self.representative_, "representative_ids": self.representative_ids_,
            "display": self.display_, "k_scores": {str(k): v for k, v in self.k_scores_.items()},
            "retired": self.retired_, "next_id": self.next_id_,
            "timeline": {"day": self.timeline_["day"].astype("int64").tolist(),
                         "topic": self.timeline_["topic"].astype("int64").tolist(),
                         "count": self.timeline_["count"].astype("int64").tolist()},
        }
        np.savez_compressed(path, components=self.components_, idf=self.idf_,
                            vocabulary=np.asarray(self.vocabulary_, dtype=str),
                            meta=np.asarray(json.dumps(meta, ensure_ascii=False)))
        return path


def fit_topics(frame: pd.DataFrame, n_topics: int | str = "auto", *, seed: int = 0,
               previous: TopicModel | None = None,
               languages: tuple[str, ...] = STOP_WORD_LANGUAGES,
               min_similarity: float = MIN_SIMILARITY) -> TopicModel:
    """Fit a topic model on the mentions of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Mention frame; needs ``text``. ``timestamp`` (for ``timeline_``),
        ``mention_id`` (representatives) and ``sentiment`` (mean per topic) are used
        when present. Not modified.
    n_topics : int or "auto"
        Number of topics, or "auto" to choose among ``AUTO_CANDIDATES`` by coherence.
    seed : int
        Same frame + same seed -> same topics.
    previous : TopicModel, optional
        An earlier model: matching topics keep its ids and labels.
    languages : tuple of str
        Stop word lists.
    min_similarity : float
        Mentions whose cosine similarity to every topic is below this go to
        "other" (``MIN_SIMILARITY``; 0 assigns every mention with a known term).

    Raises
    ------
    MentionDataError
        Fewer than ``MIN_MENTIONS`` mentions with text ("12 mentions in the period;
        topics need at least 50 — widen the date range").

    Examples
    --------
    >>> import listening as ls
    >>> frame, _ = ls.demo.generate(n_mentions=600, days=3, seed=1)
    >>> model = ls.fit_topics(frame, n_topics=5, seed=0)
    >>> model.describe().columns.tolist()[:4]
    ['topic', 'label', 'top_terms', 'weights']
    """
    model = TopicModel(n_topics=n_topics, seed=seed, languages=languages,
                       min_similarity=min_similarity)
    return model.fit(frame, previous=previous)


def load_topics(path: str | Path) -> TopicModel:
    """Read a model written by :meth:`TopicModel.save` (no pickle involved)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"no topic model at {path}; save one with model.save(path)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{path} is not a saved topic model ({exc}); "
                         "write one with model.save(path)") from exc
    if meta.get("format") != "listening.TopicModel" or meta.get("version") != FORMAT_VERSION:
        raise ModelError(f"{path} holds {meta.get('format')!r} version {meta.get('version')!r}; "
                         f"expected listening.TopicModel version {FORMAT_VERSION}")
    p = meta["params"]
    model = TopicModel(n_topics=p["n_topics"], seed=p["seed"], languages=tuple(p["languages"]),
                       min_similarity=p["min_similarity"])
    model.components_ = arrays["components"].astype(np.float64)
    model.idf_ = arrays["idf"].astype(np.float64)
    model.vocabulary_ = [str(t) for t in arrays["vocabulary"]]
    model.topic_ids_ = np.asarray(meta["topic_ids"], dtype=np.int64)
    model.labels_ = list(meta["labels"])
    # Files saved before topic languages existed: their labels were not per language.
    model.topic_languages_ = list(meta.get("topic_languages", ["und"] * len(model.labels_)))
    model.is_new_ = np.asarray(meta["is_new"], dtype=bool)
    model.sizes_ = np.asarray(meta["sizes"], dtype=np.int64)
    model.other_size_ = int(meta["other_size"])
    model.n_mentions_ = int(meta["n_mentions"])
    model.mean_sentiment_ = np.asarray([np.nan if v is None else v for v in meta["mean_sentiment"]],
                                       dtype=np.float64)
    model.representative_ = meta["representative"]
    model.representative_ids_ = meta["representative_ids"]
    model.display_ = meta["display"]
    model.k_scores_ = {int(k): v for k, v in meta["k_scores"].items()}
    model.retired_ = list(meta["retired"])
    model.next_id_ = int(meta["next_id"])
    tl = meta["timeline"]
    timeline = pd.DataFrame({"day": pd.to_datetime(np.asarray(tl["day"], dtype=np.int64), utc=True),
                             "topic": np.asarray(tl["topic"], dtype=np.int64),
                             "count": np.asarray(tl["count"], dtype=np.int64)})
    timeline["share"] = timeline["count"] / timeline.groupby("day")["count"].transform("sum")
    model.timeline_ = timeline
    return model
