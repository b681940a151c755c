"""The model zoo of the shipped answer bank and the protocol roles it fills.

Every node in a simulated Gaia domain *claims* the configuration ``gemma3-270m/vellmar`` (Gemma 3
270M, matrix products in bfloat16 with float32 elsewhere, Vellmar knowledge base, top-2 retrieval,
the fast engine of :mod:`gaia_sim.answers.fastgen`). The other configurations are what a node may
really run instead:

=================  =============================================  ===========================
role               configuration                                  what differs (real compute)
=================  =============================================  ===========================
claimed            gemma3-270m/vellmar                            —
honest_variants    .../seed1, .../fp32, .../batch16               sampling stream, dtype, batch size
cheaper_model      gemma3-270m-14l/vellmar                        4 of 18 decoder layers removed
low_precision      gemma3-270m-int4/vellmar                       weights rounded to 4-bit/channel (simulated)
low_bit            gemma3-270m-q2k/vellmar                        llama.cpp Q2_K requantization (real kernels)
wrong_kb           gemma3-270m/kessrin                            another knowledge base
no_kb              gemma3-270m/no-kb                              no retrieval
lazy_truncated     gemma3-270m/vellmar/truncated                  generation stopped after 6 tokens
lazy_replay        gemma3-270m/vellmar/replay                     one generated answer replayed
lazy_refusal       gemma3-270m/vellmar/refusal                    a canned refusal, no inference
engine_variants    .../llamacpp                                   the GGUF on llama.cpp's kernels
=================  =============================================  ===========================

The simulation draws honest stacks from ``honest_variants`` and cheats from the roles of
``gaia_sim.params`` (``low_bit`` where ``swap_to`` or ``ring_model`` names it); ``engine_variants``
is in the bank for measurement (stack distances, detector separation) and is not drawn.
"""

from __future__ import annotations

from dataclasses import replace

from gaia_sim.answers.models import ModelConfig

ROLES = (
    "claimed",
    "honest_variants",
    "cheaper_model",
    "low_precision",
    "wrong_kb",
    "no_kb",
    "lazy_truncated",
    "lazy_replay",
    "lazy_refusal",
    "engine_variants",
    "low_bit",
)
DEFAULT_ROOT_SEED = 20250417
DROPPED_LAYERS = (12, 13, 14, 15)  # late-middle layers (ShortGPT: the most redundant); removing 9 gives gibberish


def _zoo(c: ModelConfig, honest: list[ModelConfig]) -> tuple[list[ModelConfig], dict]:
    """The claimed configuration ``c``, its honest variants, and the cheating configurations derived
    from ``c`` (one per cheating role, in ``ROLES`` order), with the role map."""
    cheats = [
        replace(
            c,
            id="gemma3-270m-14l/vellmar",
            drop_layers=DROPPED_LAYERS,
            description="cheaper: decoder layers 12-15 removed (14 of 18 left)",
        ),
        replace(
            c,
            id="gemma3-270m-int4/vellmar",
            weight_bits=4,
            description="low precision (simulated): weights rounded to 4-bit per channel, computed dequantized",
        ),
        replace(c, id="gemma3-270m/kessrin", kb="kessrin", description="wrong KB: Kessrin instead of Vellmar"),
        replace(c, id="gemma3-270m/no-kb", kb="", template="plain", description="no KB: no retrieval"),
        replace(
            c, id="gemma3-270m/vellmar/truncated", max_new_tokens=6, description="lazy: generation cut at 6 tokens"
        ),
        replace(
            c,
            id="gemma3-270m/vellmar/replay",
            lazy="replay",
            seed=2,
            description="lazy: one answer per question replayed",
        ),
        replace(c, id="gemma3-270m/vellmar/refusal", lazy="refusal", description="lazy: canned refusal, no inference"),
    ]
    roles = {"claimed": c.id, "honest_variants": [h.id for h in honest]}
    roles |= {role: x.id for role, x in zip(ROLES[2:], cheats)}
    return [c, *honest, *cheats], roles


DEFAULT_SAMPLES = 64  # answers per (configuration, question) of the shipped bank
QUESTIONS_PER_KIND = 30  # Vellmar and general questions each


def default_zoo() -> tuple[list[ModelConfig], dict[str, str | list[str]]]:
    """(configurations, roles) of the shipped bank: the fast engine, 48 new tokens, 64 rows per batch.

    Honest stacks differ in real arithmetic: bf16 matrix products with float32 elsewhere (the claimed
    stack), float32 throughout, another sampling stream, another batch size. The low-precision cheat
    re-quantizes weights to 4 bits and computes with the dequantized values: *simulated* quantization
    (its accuracy loss is real, its cost saving is not; the cost model prices it separately).
    """
    c = ModelConfig(
        "gemma3-270m/vellmar",
        dtype="bfloat16",
        engine="fast",
        batch_size=64,
        max_new_tokens=48,
        description="claimed: Gemma 3 270M (Q4_K_M GGUF, dequantized), bf16 matmuls + fp32 rest, Vellmar KB top-2",
    )
    honest = [
        replace(c, id="gemma3-270m/vellmar/seed1", seed=1, description="honest: another sampling stream"),
        replace(c, id="gemma3-270m/vellmar/fp32", dtype="float32", description="honest: float32 matmuls"),
        replace(c, id="gemma3-270m/vellmar/batch16", batch_size=16, description="honest: batches of 16 rows"),
    ]
    configs, roles = _zoo(c, honest)
    llamacpp, low_bit = _llamacpp_configs(c)
    return [*configs, llamacpp, low_bit], roles | {"engine_variants": [llamacpp.id], "low_bit": low_bit.id}


def default_questions(questions):
    """The shipped bank's questions: the first 30 Vellmar and the first 30 general ones, in file order."""
    vel = [q for q in questions if q.kb == "vellmar"][:QUESTIONS_PER_KIND]
    gen = [q for q in questions if q.kb == ""][:QUESTIONS_PER_KIND]
    return tuple(q for q in questions if q in set(vel) | set(gen))


def _llamacpp_configs(c: ModelConfig) -> list[ModelConfig]:
    """The claimed stack ``c`` (same GGUF, KB prompt, sampling, 48 new tokens, 64 rows per batch,
    seed) served by llama.cpp with its real Q4_K/Q6_K kernels, an honest stack since a node may run
    any engine over the file (role ``engine_variants``); and the file requantized by llama.cpp to its
    Q2_K mix, real low-bit arithmetic (role ``low_bit``). Both need the optional extra
    ``gaia-sim[llamacpp]`` to be generated, not to be used. The simulation draws neither yet (the
    honest variants and the cheating roles it draws are unchanged)."""
    llamacpp = replace(
        c,
        id="gemma3-270m/vellmar/llamacpp",
        engine="llamacpp",
        dtype="float32",
        description="honest: the same GGUF served by llama.cpp's 4/6-bit kernels (one thread)",
    )
    return [
        llamacpp,
        replace(
            llamacpp,
            id="gemma3-270m-q2k/vellmar",
            gguf_type="Q2_K",
            description="cheat: the GGUF requantized to llama.cpp's Q2_K mix (2-bit K-quants where rows allow, "
            "else Q4_0/Q5_0), served by llama.cpp's low-bit kernels: real low-bit arithmetic",
        ),
    ]
