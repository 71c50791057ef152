"""talon (mailgun, PyPI 1.4.4) on the evaluation cases; see adapter.py for the protocol.

Reply: ``talon.quotations.extract_from_plain``. Signature, two columns: talon's
machine-learned ``talon.signature.extract(text, sender)`` and its heuristic
``talon.signature.bruteforce.extract_signature(text)``, each run on the reply.

What had to be done for talon 1.4.4 to run on a current stack, and nothing more:

1. ``talon/signature/learning/classifier.py`` does ``from sklearn.externals import
   joblib``, removed in scikit-learn 0.23; the module is aliased to the standalone
   ``joblib`` before talon is imported.
2. The shipped classifier (``talon/signature/data/classifier`` + ``classifier_0N.npy``)
   is a LinearSVC pickled by scikit-learn 0.16-era code; unpickling it fails on
   scikit-learn 1.9 (``No module named 'sklearn.svm.classes'``), so ``talon.init()``
   cannot be used. Instead the classifier is retrained at start-up exactly the way
   talon builds it: ``classifier.train(classifier.init(), EXTRACTOR_DATA)``, i.e.
   ``LinearSVC(C=10.0)`` fitted on the feature matrix talon ships
   (``talon/signature/data/train.data``, 2,719 labelled lines x 12 features). No data
   of ours is added; talon's xpath extensions are registered as ``init()`` would.
   Only ``random_state=0`` is set, so that reruns give the same model (talon leaves
   it unset and LinearSVC's solver shuffles). For the same reason the evaluation
   starts this script with ``PYTHONHASHSEED=0``: talon's sender-name feature
   (``helpers.extract_names``) builds its regex from ``list(set(...))``, so without
   a fixed seed its ML signatures vary from run to run.
"""

from __future__ import annotations

import sys
import warnings

import joblib

# ``from sklearn.externals import joblib`` falls back to this entry (see the docstring).
sys.modules["sklearn.externals.joblib"] = joblib

from adapter import Answer, serve  # noqa: E402
from talon import quotations, signature  # noqa: E402
from talon.signature import bruteforce, extraction  # noqa: E402
from talon.signature.learning import classifier  # noqa: E402

ML, BRUTE = "talon ML", "talon brute"


def retrain() -> str:
    """Fit talon's signature classifier from its shipped training data (see above)."""
    quotations.register_xpath_extensions()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = classifier.init().set_params(random_state=0)  # talon leaves it unset
        extraction.EXTRACTOR = classifier.train(model, signature.EXTRACTOR_DATA)
    with open(signature.EXTRACTOR_DATA, encoding="ascii") as data:  # noqa: PTH123
        rows = sum(1 for _ in data)
    said = "; ".join(sorted({str(w.message).split(".")[0] for w in caught}))
    return (
        f"talon's pickled classifier does not load on scikit-learn 1.9; retrained "
        f"LinearSVC(C=10, random_state=0) with talon's own train() on its shipped "
        f"train.data ({rows} rows)"
        + (f" [warnings: {said}]" if said else "")
    )


def analyse(text: str, sender: str) -> Answer:
    new_text = quotations.extract_from_plain(text)
    ml_reply, ml_signature = signature.extract(new_text, sender)
    brute_reply, brute_signature = bruteforce.extract_signature(new_text)
    return {
        ML: {"new_text": new_text, "reply": ml_reply, "signature": ml_signature},
        BRUTE: {"new_text": new_text, "reply": brute_reply, "signature": brute_signature},
    }


if __name__ == "__main__":
    note = retrain()
    parts = ["new_text", "reply", "signature"]
    serve("talon", {ML: parts, BRUTE: parts}, analyse, [note])
