#!/usr/bin/env python3
"""Writes the sacreBLEU reference fixtures for Tests/EvaluationTests.

Run by hand (tests never need Python):
    /work/venv/bin/python scripts/evaluation_fixtures.py

Outputs, in Tests/EvaluationTests/Fixtures/:
  tokenizer_13a.json  raw line -> sacreBLEU's 13a tokenization
  cases.json          small hand-written corpora with corpus BLEU/chrF
                      and sentence-level BLEU/chrF per segment
  synthetic.json      a few hundred seeded synthetic sentence pairs
"""
import json
import pathlib
import random

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "EvaluationTests" / "Fixtures"

TOKENIZER_LINES = [
    "Hello, world!",
    "The price is $3.50, not 3,000.",
    "1,000,000 people - 25-30 years old.",
    "a.b,c. d, e.f",
    "x.,y ..., ,.,",
    "Don't split apostrophes' here.",
    "Tom &amp; Jerry &quot;quoted&quot; &lt;tag&gt; &amp;lt;",
    "skip<skipped>ped and hy-\nphen and new\nline",
    "(brackets) [square] {curly} <angle> @user #tag 50% a/b a\\b a|b ~x ^y _z `q`",
    "  leading and trailing spaces   ",
    "tabs\tand\u00a0nbsp\u2009thin\u3000ideographic\x1cfs",
    "Grüße aus Köln, 10.5°C — schön!",
    "中文测试。你好，世界！",
    "emoji 😀👍🏽 family 👨\u200d👩\u200d👧 ok.",
    "e\u0301 vs \u00e9.",
    "3-4 a-b 5- -6 x-",
    "...",
    "",
    ".",
    "a.",
    "9.",
    ".9",
    "end with comma,",
]

# name, hypotheses, reference streams (one list per stream, parallel to hypotheses)
CASES = [
    ("identical", ["The cat sat on the mat."], [["The cat sat on the mat."]]),
    ("simple_pair",
     ["The cat is on the mat.", "There is a dog in the garden!"],
     [["The cat sat on the mat.", "A dog is in the garden."]]),
    ("punctuation_numbers",
     ["It costs $3.50, i.e. 3,000 cents?", "Call 555-1234 (ext. 7) now!"],
     [["It costs $3.50 — that is 3,000 cents.", "Call 555-1234 (extension 7) today!"]]),
    ("german_umlauts",
     ["Die Straße ist nass, weil es regnet.", "Über den Wolken muss die Freiheit grenzenlos sein."],
     [["Die Straße ist nass, da es geregnet hat.", "Über den Wolken ist die Freiheit grenzenlos."]]),
    ("cjk", ["我 爱 北京 天安门 。", "今日は良い天気です。"],
     [["我 爱 北京 。", "今日はいい天気ですね。"]]),
    ("emoji", ["I ❤️ pizza 🍕 and 🍣!", "Thumbs up 👍🏽 for 👨\u200d👩\u200d👧."],
     [["I ❤️ pizza 🍕 and sushi 🍣!", "Thumbs up 👍 for the family 👨\u200d👩\u200d👧."]]),
    ("empty_hypothesis", ["", "a small house"], [["there is a small house", "a small house"]]),
    ("all_empty_hypotheses", ["", ""], [["one two three", "four five"]]),
    ("empty_reference", ["something here", "a b c d"], [["", "a b c d"]]),
    ("hyp_shorter", ["the quick fox"], [["the quick brown fox jumps over the lazy dog"]]),
    ("hyp_longer", ["the quick brown fox jumps high over the very lazy old dog today"],
     [["the quick brown fox jumps over the lazy dog"]]),
    ("no_4gram_match", ["the cat the mat sat on"], [["the cat sat on the mat"]]),
    ("no_bigram_match", ["mat the on sat cat"], [["the cat sat on the mat"]]),
    ("no_match_at_all", ["alpha beta gamma"], [["delta epsilon zeta"]]),
    ("short_sentences", ["a b", "c", "d e f"], [["a b", "c", "d e g"]]),
    ("multi_reference",
     ["It is a guide to action which ensures that the military always obeys the commands of the party.",
      "he read the book because he was interested in world history"],
     [["It is a guide to action that ensures that the military will forever heed Party commands.",
       "he was interested in world history because he read the book"],
      ["It is the guiding principle which guarantees the military forces always being under the command of the Party.",
       "he read the book since he was interested in history of the world"],
      ["It is the practical guide for the army always to heed the directions of the party.",
       "he read a book on world history because he was curious"]]),
    # 5 hypothesis words, references of 4 and 6: the tie goes to the shorter one
    ("multi_reference_length_tie", ["a b c d e"], [["a b c d"], ["a b c d e f"]]),
    ("single_sentence", ["Wir sehen uns morgen früh um 9.30 Uhr."], [["Wir sehen uns morgen um 9.30 Uhr."]]),
    ("html_entities", ["Tom &amp; Jerry say &quot;hi&quot;"], [["Tom & Jerry say \"hi\""]]),
    ("whitespace_variants", ["a\u00a0b\tc  d ", " x\u3000y"], [["a b c d", "x y"]]),
    ("case_sensitive", ["The House Is Red"], [["the house is red"]]),
    ("repeated_words", ["the the the the the the the"], [["the cat is on the mat"]]),
    ("combining_marks", ["cafe\u0301 au lait", "na\u00efve"], [["caf\u00e9 au lait", "nai\u0308ve"]]),
]


def bleu_details(score):
    return {
        "score": score.score,
        "counts": list(score.counts),
        "totals": list(score.totals),
        "precisions": list(score.precisions),
        "bp": score.bp,
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
        "formatted": str(score),
    }


def evaluate(name, hyps, refs, per_sentence):
    case = {
        "name": name,
        "hypotheses": hyps,
        "references": refs,
        "bleu": bleu_details(BLEU().corpus_score(hyps, refs)),
        "chrf": CHRF().corpus_score(hyps, refs).score,
        "chrf_formatted": str(CHRF().corpus_score(hyps, refs)),
    }
    if per_sentence:
        sentence_bleu, sentence_chrf = BLEU(effective_order=True), CHRF()
        case["sentence_bleu"] = [
            sentence_bleu.sentence_score(h, [s[i] for s in refs]).score for i, h in enumerate(hyps)]
        case["sentence_chrf"] = [
            sentence_chrf.sentence_score(h, [s[i] for s in refs]).score for i, h in enumerate(hyps)]
    return case


WORDS = ("the a an house cat dog garden city river man woman child car street "
         "is was goes sees runs sits plays reads red big small old new green quickly "
         "über Straße Mädchen schön groß Brücke naïve café 東京 北京 😀 🍕 ❤️ "
         "Mr. U.S. e.g. don't it's 3.5 1,000 42 2024 7-8 $5 50% (note) [x] "
         "and or but with without into near").split()
PUNCT = [".", ",", "!", "?", ";", ":", " -", "..."]


def synthetic_corpus(seed=20240611, size=300):
    """Reference sentences of random words; hypotheses are noisy copies."""
    rng = random.Random(seed)
    hyps, refs_a, refs_b = [], [], []
    for _ in range(size):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(1, 25))]
        hyp = []
        for w in ref:
            r = rng.random()
            if r < 0.12:
                continue  # drop
            if r < 0.25:
                hyp.append(rng.choice(WORDS))  # substitute
            else:
                hyp.append(w)
            if rng.random() < 0.05:
                hyp.append(rng.choice(WORDS))  # insert
        if len(hyp) > 2 and rng.random() < 0.2:
            i = rng.randrange(len(hyp) - 1)
            hyp[i], hyp[i + 1] = hyp[i + 1], hyp[i]
        second = [w if rng.random() < 0.8 else rng.choice(WORDS) for w in ref]
        end = rng.choice(PUNCT)
        hyps.append(" ".join(hyp) + (end if rng.random() < 0.7 else ""))
        refs_a.append(" ".join(ref) + end)
        refs_b.append(" ".join(second) + rng.choice(PUNCT))
    return hyps, refs_a, refs_b


def write(name, data):
    path = OUT / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{path.relative_to(OUT.parent.parent.parent)}: {path.stat().st_size} bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer13a()
    write("tokenizer_13a.json", {
        "sacrebleu_version": sacrebleu.__version__,
        "cases": [{"input": line, "output": tok(line.rstrip())} for line in TOKENIZER_LINES],
    })
    write("cases.json", {
        "sacrebleu_version": sacrebleu.__version__,
        "cases": [evaluate(name, h, r, per_sentence=True) for name, h, r in CASES],
    })
    hyps, refs_a, refs_b = synthetic_corpus()
    write("synthetic.json", {
        "sacrebleu_version": sacrebleu.__version__,
        "cases": [
            evaluate("synthetic_one_reference", hyps, [refs_a], per_sentence=False),
            evaluate("synthetic_two_references", hyps, [refs_a, refs_b], per_sentence=False),
        ],
    })


if __name__ == "__main__":
    main()
