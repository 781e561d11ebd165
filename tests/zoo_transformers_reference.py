"""Ground truth for the transformer and modern-CNN zoo: the reference implementations themselves.

Unlike ``zoo_reference.py``, which writes torchvision's older layouts out in plain ``torch.nn``,
these twins are the real code: Hugging Face transformers' ``GPT2LMHeadModel``, ``BertModel``
(with its pooler) and ``LlamaForCausalLM``; torchvision's ``VisionTransformer`` (``vit_b_16``) and
``ConvNeXt`` (``convnext_tiny``); ``keras.applications.EfficientNetB0``. Each builder takes the
sizes an ``.arch`` file declares, so the same dictionary configures both, at the published sizes
(for the counts; Llama-2-7B on the meta device) or at small ones (for real forward passes).
``zoo_reference.torch_layer_facts`` / ``keras_layer_facts`` read the facts from them.

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

__all__ = ["PUBLISHED", "DEFAULTS", "build", "count", "gpt2", "bert", "llama", "vit", "convnext",
           "efficientnetb0_keras", "gpt2_params", "bert_params", "llama_params", "vit_params"]


# --------------------------------------------------------------------------- published totals
# Each figure is the publisher's, and each is what the twin counts at the published sizes
# (test_zoo_transformers.test_twin_gives_the_published_total).
PUBLISHED: dict[str, dict[str, Any]] = {
    # Radford et al. (2019); Hugging Face model card "openai-community/gpt2" (124M params):
    # GPT2LMHeadModel(GPT2Config()) with the head tied to wte.
    "gpt2.arch": {"params": 124_439_808, "subs": {"L": 16},
                  "source": "HF model card openai-community/gpt2 (124M), GPT2LMHeadModel"},
    # Devlin et al. (2019), BERT-base 110M; HF "google-bert/bert-base-uncased",
    # BertModel(add_pooling_layer=True).
    "bert_base.arch": {"params": 109_482_240, "subs": {"L": 16},
                       "source": "HF model card google-bert/bert-base-uncased (110M), BertModel"},
    # Touvron et al. (2023), Llama 2 7B; HF model card "meta-llama/Llama-2-7b-hf" (7B): the
    # exact count is LlamaForCausalLM's at that card's config.json.
    "llama2_7b.arch": {"params": 6_738_415_616, "subs": {"L": 16},
                       "source": "HF model card meta-llama/Llama-2-7b-hf (7B), LlamaForCausalLM"},
    # torchvision docs, ViT_B_16_Weights.IMAGENET1K_V1 num_params.
    "vit_b16.arch": {"params": 86_567_656, "subs": {"H": 224, "W": 224},
                     "source": "torchvision docs: ViT_B_16_Weights.IMAGENET1K_V1 num_params"},
    # torchvision docs, ConvNeXt_Tiny_Weights.IMAGENET1K_V1 num_params.
    "convnext_tiny.arch": {"params": 28_589_128, "subs": {"H": 224, "W": 224},
                           "source": "torchvision docs: ConvNeXt_Tiny_Weights num_params"},
    # Keras Applications table (5.3M); exact from keras's model.summary() of EfficientNetB0().
    "efficientnetb0_keras.arch": {"params": 5_330_571, "trainable": 5_288_548,
                                  "non_trainable": 42_023, "subs": {"H": 224, "W": 224},
                                  "source": "Keras Applications docs (5.3M), model.summary()"},
}

# The sizes each .arch file declares with a default: the published configurations.
DEFAULTS: dict[str, dict[str, int]] = {
    "gpt2.arch": {"n": 12, "d": 768, "heads": 12, "V": 50257, "ctx": 1024},
    "bert_base.arch": {"n": 12, "d": 768, "heads": 12, "ff": 3072, "V": 30522, "ctx": 512,
                       "types": 2},
    "llama2_7b.arch": {"n": 32, "d": 4096, "heads": 32, "ff": 11008, "V": 32000},
    "vit_b16.arch": {"n": 12, "d": 768, "heads": 12, "mlp": 3072, "classes": 1000, "p": 16},
    "convnext_tiny.arch": {"C": 96, "n1": 3, "n2": 3, "n3": 9, "n4": 3, "classes": 1000},
    "efficientnetb0_keras.arch": {"classes": 1000},
}


# --------------------------------------------------------------------------- closed forms
# The formulas as papers write them, by hand; the tests check them against the twins and
# against symconv's symbolic totals (sympy expressions or ints alike).
def gpt2_params(n: Any, d: Any, V: Any, ctx: Any) -> Any:
    """GPT-2, tied head: V·d + ctx·d + n·(12d² + 13d) + 2d (issue 16)."""
    return V * d + ctx * d + n * (12 * d**2 + 13 * d) + 2 * d


def bert_params(n: Any, d: Any, ff: Any, V: Any, ctx: Any, types: Any) -> Any:
    """BERT with pooler: embeddings (V + ctx + types)·d + 2d; per layer q, k, v, o 4(d² + d),
    two LayerNorms 4d, feed-forward 2·d·ff + ff + d; pooler d² + d."""
    return (V + ctx + types) * d + 2 * d + n * (4 * d**2 + 2 * d * ff + 9 * d + ff) + d**2 + d


def llama_params(n: Any, d: Any, ff: Any, V: Any) -> Any:
    """Llama, untied head, no biases: 2·V·d + n·(4d² + 3·d·ff + 2d) + d."""
    return 2 * V * d + n * (4 * d**2 + 3 * d * ff + 2 * d) + d


def vit_params(H: Any, W: Any, n: Any, d: Any, mlp: Any, classes: Any, p: Any) -> Any:
    """ViT: patch convolution 3·p²·d + d, class token d, position embedding
    (⌊H/p⌋·⌊W/p⌋ + 1)·d; per block two LayerNorms 4d, attention 4d² + 4d, MLP 2·d·mlp + mlp + d;
    final LayerNorm 2d; head (d + 1)·classes."""
    seq = (H // p) * (W // p) + 1
    block = 4 * d + 4 * d**2 + 4 * d + 2 * d * mlp + mlp + d
    return 3 * p * p * d + d + d + seq * d + n * block + 2 * d + (d + 1) * classes


# --------------------------------------------------------------------------- builders
@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """transformers logs a warning for a small vocabulary that does not hold GPT-2's token ids."""
    from transformers.utils import logging

    before = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(before)


def gpt2(s: dict[str, int]) -> Any:
    """transformers' GPT2LMHeadModel (head tied to wte, HF's default)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    with _quiet():
        config = GPT2Config(n_layer=s["n"], n_embd=s["d"], n_head=s["heads"],
                            vocab_size=s["V"], n_positions=s["ctx"])
        return GPT2LMHeadModel(config).eval()


def bert(s: dict[str, int]) -> Any:
    """transformers' BertModel with its pooler."""
    from transformers import BertConfig, BertModel

    with _quiet():
        config = BertConfig(num_hidden_layers=s["n"], hidden_size=s["d"],
                            num_attention_heads=s["heads"], intermediate_size=s["ff"],
                            vocab_size=s["V"], max_position_embeddings=s["ctx"],
                            type_vocab_size=s["types"])
        return BertModel(config, add_pooling_layer=True).eval()


def llama(s: dict[str, int], meta: bool = False) -> Any:
    """transformers' LlamaForCausalLM as Llama 2 configures it: as many key/value heads as
    heads, an untied head; on the meta device (no memory) with ``meta``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    with _quiet():
        config = LlamaConfig(num_hidden_layers=s["n"], hidden_size=s["d"],
                             num_attention_heads=s["heads"], num_key_value_heads=s["heads"],
                             intermediate_size=s["ff"], vocab_size=s["V"],
                             max_position_embeddings=4096, rms_norm_eps=1e-5,
                             tie_word_embeddings=False)
        with torch.device("meta") if meta else contextlib.nullcontext():
            return LlamaForCausalLM(config).eval()


def vit(s: dict[str, int]) -> Any:
    """torchvision's VisionTransformer (vit_b_16 at the defaults); torchvision builds it for one
    square image size, ``H``."""
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=s["H"], patch_size=s["p"], num_layers=s["n"],
                             num_heads=s["heads"], hidden_dim=s["d"], mlp_dim=s["mlp"],
                             num_classes=s["classes"]).eval()


def convnext(s: dict[str, int]) -> Any:
    """torchvision's ConvNeXt (convnext_tiny at the defaults: stochastic depth 0.1)."""
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt

    C = s["C"]
    setting = [CNBlockConfig(C, 2 * C, s["n1"]), CNBlockConfig(2 * C, 4 * C, s["n2"]),
               CNBlockConfig(4 * C, 8 * C, s["n3"]), CNBlockConfig(8 * C, None, s["n4"])]
    return ConvNeXt(setting, stochastic_depth_prob=0.1, num_classes=s["classes"]).eval()


def efficientnetb0_keras(s: dict[str, int]) -> Any:
    """keras.applications.EfficientNetB0(weights=None) on H × W × 3 (a fresh session, so the
    automatic names are rescaling, normalization)."""
    import keras

    keras.backend.clear_session()
    return keras.applications.EfficientNetB0(weights=None, input_shape=(s["H"], s["W"], 3),
                                             classes=s.get("classes", 1000))


def build(file: str, s: dict[str, int]) -> Any:
    """The twin of ``examples/<file>`` at the sizes ``s`` (defaults filled in)."""
    sizes = {**DEFAULTS[file], **s}
    return _BUILDERS[file](sizes)


def count(model: Any) -> int:
    """Parameters, each shared tensor once (GPT-2's tied head), torch or Keras."""
    if hasattr(model, "count_params"):
        return int(model.count_params())
    return sum(p.numel() for p in model.parameters())


_BUILDERS = {"gpt2.arch": gpt2, "bert_base.arch": bert, "llama2_7b.arch": llama,
             "vit_b16.arch": vit, "convnext_tiny.arch": convnext,
             "efficientnetb0_keras.arch": efficientnetb0_keras}
