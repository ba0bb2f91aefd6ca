"""Free words people write (interests, avoid, team, settings) -> the catalogue's ids.

The words themselves live in knowledge_base/vocabulary.yaml; this module only knows
how people write them: any case, stray punctuation, asides in brackets, plurals, a
leading "being" or "loves", two things in one entry ("dogs and horses"), a phrase known
by its last words ("netball coach"). A word that maps to nothing is
returned as unknown, so the plan and ``seqplan validate`` can say so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_STRIP = " \t.,!?\"'()[]{}:-"
_ASIDE = re.compile(r"\([^)]*\)?")    # "(new, 3 weeks)", or an aside a YAML list cut at its comma: "(new"


def aside_texts(entry):
    """The asides in brackets of one entry, as written: 'speech therapist (referral made)' ->
    ['referral made']. They are matched against the vocabulary's asides, not dropped."""
    return [m.strip("() ") for m in _ASIDE.findall(str(entry)) if m.strip("() ")]


def clean(text):
    text = _ASIDE.sub(" ", str(text).replace("_", " ").replace("-", " ").lower())
    return " ".join(text.split()).strip(_STRIP)


def _singulars(word):
    """Plural readings of the last word: 'puppies' -> 'puppy', 'boxes' -> 'box', 'swings' -> 'swing'."""
    head, _, last = word.rpartition(" ")
    forms = []
    if last.endswith("ies") and len(last) > 4:
        forms.append(last[:-3] + "y")
    if last.endswith("es") and len(last) > 3:
        forms.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss") and len(last) > 2:
        forms.append(last[:-1])
    return [f"{head} {form}".strip() for form in forms]


@dataclass(frozen=True)
class Vocabulary:
    """One vocabulary (tags, roles or settings): {word: (ids it names)}."""

    words: dict
    prefixes: tuple = ()
    joiners: tuple = ()

    @classmethod
    def build(cls, mapping, prefixes=(), joiners=()):
        """{canonical id: [words]} -> Vocabulary; a word listed under several ids names them all."""
        words = {}
        for canonical, synonyms in mapping.items():
            for word in [canonical, *synonyms]:
                key = clean(word)
                words[key] = tuple(sorted(set(words.get(key, ())) | {canonical}))
        # Longest prefixes first, so "likes to" is removed before "likes".
        ordered = tuple(sorted((clean(p) for p in prefixes), key=len, reverse=True))
        return cls(words, ordered, tuple(clean(j) or j for j in joiners))

    @property
    def ids(self):
        """Every id this vocabulary can name."""
        return {i for ids in self.words.values() for i in ids}

    def _lookup(self, text, fuzzy):
        """Ids for one phrase, trying it as written, without leading filler words, and singular."""
        tries = [text]
        stripped = text
        changed = True
        while changed:
            changed = False
            for prefix in self.prefixes:
                if stripped.startswith(prefix + " "):
                    stripped = stripped[len(prefix) + 1:].strip()
                    tries.append(stripped)
                    changed = True
        for form in list(tries):
            tries.extend(_singulars(form))
        # Then the head of the phrase: English puts it last ("netball coach" is a coach); then what it
        # starts with, before a qualifier ("being touched without asking" is being touched).
        words = stripped.split()
        for start in range(1, len(words)):
            tail = " ".join(words[start:])
            tries.extend([tail, *_singulars(tail)])
        for phrase in (text.split(), words):
            for end in range(len(phrase) - 1, 0, -1):
                head = " ".join(phrase[:end])
                tries.extend([head, *_singulars(head)])
        for form in tries:
            if form in self.words:
                return self.words[form]
        close = self.correction(text) if fuzzy else None
        return self.words[close] if close else ()

    def correction(self, text):
        """The vocabulary word a misspelt phrase was meant to be ('drumms' -> 'drums'), or None.
        Only a single word of at least four letters, close to a vocabulary word that starts with the
        same letter, counts ('knitting' is not 'sitting'; 'being left alone' is not 'being alone'), so
        a new word or phrase is still reported as unknown rather than widened."""
        import difflib

        text = clean(text)
        if len(text) < 4 or " " in text or text in self.words:
            return None
        same_start = [w for w in self.words if w[:1] == text[:1]]
        close = difflib.get_close_matches(text, same_start, n=1, cutoff=0.8)
        return close[0] if close else None

    def _parts(self, text):
        pattern = "|".join(r"\s+" + re.escape(j) + r"\s+" if j.isalpha() else r"\s*" + re.escape(j) + r"\s*"
                           for j in self.joiners)
        return [p for p in (re.split(pattern, text) if pattern else [text]) if p]

    def match(self, entry, fuzzy=True):
        """(ids, unknown parts) for one entry as the user wrote it: the whole phrase, then its
        parts ("dogs and horses"), exactly; only if nothing matches, allowing a misspelling."""
        text = clean(entry)
        if not text:
            return (), []
        for tolerant in (False, True) if fuzzy else (False,):
            ids = self._lookup(text, tolerant)
            if ids:
                return ids, []
            found, unknown = set(), []
            for part in self._parts(text):
                part_ids = self._lookup(part.strip(_STRIP), tolerant)
                if part_ids:
                    found.update(part_ids)
                else:
                    unknown.append(part.strip(_STRIP))
            if found:
                return tuple(sorted(found)), unknown
        return (), [str(entry).strip()]

    def normalise(self, entries):
        """(sorted ids named by ``entries``, unknown words in the order written, without repeats)."""
        ids, unknown = set(), {}                   # a dict keeps the order written; a list's `in` was quadratic
        for entry in entries:
            found, missing = self.match(entry)
            ids.update(found)
            unknown.update(dict.fromkeys(missing))
        return sorted(ids), list(unknown)


def unrecognised(assessment, kb, echo=True):
    """Per context field, the words the plan could not use: [{field, unmatched}].

    Interests: words the vocabulary does not know, or whose tags no activity carries
    (listed "to confirm"; the latter also under ``uncarried``); avoid: words it does not
    know (the plan could not check them); team and settings: words it does not know.
    """
    carried = {t for a in kb.activities.values() for t in a["tags"]}
    notes = []
    for field, vocabulary in (("interests", kb.tag_words), ("avoid", kb.tag_words),
                              ("team", kb.role_words), ("settings", kb.setting_words),
                              ("concerns", kb.concern_words), ("unsafe_adults", kb.role_words)):
        unmatched, uncarried, noted, corrected = {}, [], [], []      # unmatched: ordered, without repeats
        for entry in getattr(assessment, field):
            if field == "avoid" and is_noted(entry, kb.noted_words):
                noted.append(str(entry).strip())     # a specific thing no activity involves
                continue
            ids, unknown = vocabulary.match(entry)
            if field == "team" and not ids and kb.service_words.match(entry)[0]:
                continue                             # a service (e.g. a referral already made)
            if field == "interests" and ids and not set(ids) & carried:
                unknown = [str(entry).strip()]
                uncarried.append(unknown[0])
            if ids and not vocabulary.match(entry, fuzzy=False)[0]:
                corrected.append({"written": str(entry).strip(), "read_as": ", ".join(ids)})
            unmatched.update(dict.fromkeys(unknown))
        unmatched = list(unmatched)
        if field == "unsafe_adults" and not echo:
            # a plan never repeats what was written about an unsafe adult (it may be a name)
            unmatched, corrected = ["withheld"] * len(unmatched), []
        if unmatched or noted or corrected:
            notes.append({"field": f"context.{field}", "unmatched": unmatched, "uncarried": uncarried,
                          "noted": noted, "corrected": corrected})
    return notes


def is_noted(entry, noted_words):
    """True when ``entry`` names a specific thing listed under ``noted`` (the whole phrase or its
    last words: 'loud hand dryers' -> 'hand dryers')."""
    words = clean(entry).split()
    return any(" ".join(words[i:]) in noted_words for i in range(len(words)))
