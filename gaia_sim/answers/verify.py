"""Check an answer bank folder: checksums, content hashes, question set and per-cell sample counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaia_sim.answers.knowledge import Question, questions_digest
from gaia_sim.answers.store import read_manifest
from gaia_sim.errors import UserError


def expected_hash(cid: str, spec: dict, root_seed: int) -> str | None:
    """Content hash recomputed from a manifest spec (None when the spec is not a zoo configuration)."""
    from gaia_sim.answers.models import ModelConfig

    if not spec:
        return None
    spec = dict(spec, drop_layers=tuple(spec.get("drop_layers", ())))
    return ModelConfig(id=cid, **spec).content_hash(root_seed)


def verify_bank(root: Path | str) -> dict:
    """Raise UserError on the first defect; return counts when the bank is sound."""
    from gaia_sim.answers.bank import Bank

    root = Path(root)
    manifest = read_manifest(root)
    mpath = root / "manifest.json"
    qs = [Question(q["id"], q["text"], q.get("kb", "")) for q in manifest["questions"]]
    if manifest.get("questions_digest") and questions_digest(qs) != manifest["questions_digest"]:
        raise UserError(f"{mpath}: questions do not match questions_digest (manifest edited by hand?)")
    for cid, info in manifest["configs"].items():
        want = expected_hash(cid, info.get("spec", {}), manifest["root_seed"])
        if want is not None and want != info["hash"]:
            raise UserError(
                f"{mpath}: configuration {cid!r} has hash {info['hash']} but its spec, base model, "
                f"knowledge base and seed hash to {want}: the KB or model changed since the build; rebuild"
            )
    bank = Bank.load(root, check_hashes=True)
    _check_counts(bank, manifest, mpath)
    return {"configs": len(bank.configs), "questions": len(bank.questions), "rows": len(bank.texts)}


def _check_counts(bank, manifest: dict, mpath: Path) -> None:
    samples = manifest.get("samples")
    for c in bank.configs:
        for q in bank.questions:
            n = len(bank.rows_of(c, q))
            if n == 0 or (samples and n != samples):
                raise UserError(f"{mpath}: configuration {c!r}, question {q!r} has {n} answers, expected {samples}")
    if not np.all(np.isfinite(bank.embeddings)):
        raise UserError(f"{mpath}: non-finite embeddings")
