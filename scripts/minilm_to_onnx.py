#!/usr/bin/env python3
"""Convert the all-MiniLM-L6-v2 safetensors BERT weights into an fp32 ONNX graph.

No torch: the graph is written node by node with the `onnx` helper API, and the
weights are read with `safetensors` + `numpy`.

Graph contract (what fastembed / ONNX Runtime consumers rely on):
  inputs   input_ids, attention_mask, token_type_ids   int64 [batch, sequence]
  output   last_hidden_state                            float32 [batch, sequence, 384]
  opset 17 (default domain only), IR version 8.

The output file is deterministic: same weights + same pinned `onnx`/`protobuf`
give the same bytes on every run (fixed producer name/version, fixed node and
initializer order, no timestamps, no random names).

After writing the graph the script verifies itself (unless --no-verify):
  * tokenises 3 fixed sentences of different lengths with the real
    tokenizer.json (python `tokenizers` package),
  * computes reference sentence embeddings with a float64 numpy BERT run on
    each sentence alone (no padding at all),
  * runs the ONNX graph with onnxruntime (full graph optimisation, as the Rust
    side uses) on the padded batch,
  * mean-pools + L2-normalises both and requires max |diff| < 1e-5.
The output is written to OUTPUT.tmp and only renamed to OUTPUT once the check
passes, so a failed or interrupted run never leaves a plausible-looking file.

Usage:
  minilm_to_onnx.py --model-dir DIR --output model.onnx [--no-verify]
DIR must contain model.safetensors, config.json and (for verification)
tokenizer.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import NoReturn

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

# --- fixed facts about the model we convert ---------------------------------
EXPECTED_CONFIG = {
    "model_type": "bert",
    "hidden_size": 384,
    "num_hidden_layers": 6,
    "num_attention_heads": 12,
    "intermediate_size": 1536,
    "hidden_act": "gelu",  # exact erf GELU in HF BERT
    "vocab_size": 30522,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "position_embedding_type": "absolute",
}
OPSET = 17
IR_VERSION = 8  # opset 17 needs IR >= 8; keep the oldest that works for wide runtime support
PRODUCER_NAME = "chunkbench-minilm_to_onnx"
PRODUCER_VERSION = "1"
# Additive attention mask value for padded keys (same choice as HF transformers:
# the most negative float32, so exp() underflows to exactly 0).
MASK_NEG = float(np.finfo(np.float32).min)

# Verification sentences: different lengths so the batch has real padding,
# plus punctuation / accents / a number to exercise the tokenizer.
VERIFY_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Chunking splits long documents into passages; each passage is then embedded "
    "with a small sentence-transformer model (MiniLM, 384 dimensions) and stored "
    "in a vector index for retrieval-augmented generation.",
    "Café prices rose 12% in 2024!",
]
TOLERANCE = 1e-5


def fail(msg: str) -> NoReturn:
    print(f"minilm_to_onnx: error: {msg}", file=sys.stderr)
    sys.exit(1)


# --- loading -----------------------------------------------------------------
def load_config(model_dir: str) -> dict:
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {path}: {e}")
    for key, want in EXPECTED_CONFIG.items():
        if cfg.get(key) != want:
            fail(f"config.json: {key}={cfg.get(key)!r}, this converter only handles {want!r}")
    return cfg


def load_weights(model_dir: str) -> dict[str, np.ndarray]:
    path = os.path.join(model_dir, "model.safetensors")
    try:
        w = load_file(path)
    except Exception as e:  # safetensors raises several types
        fail(f"cannot read {path}: {e}")
    # Some checkpoints prefix tensor names with "bert."; normalise.
    w = {k[5:] if k.startswith("bert.") else k: v for k, v in w.items()}
    for k, v in w.items():
        if v.dtype.kind == "f" and v.dtype != np.float32:
            w[k] = v.astype(np.float32)
    return w


# --- graph construction ---------------------------------------------------------
class GraphBuilder:
    """Tiny helper that keeps nodes and initializers in creation order."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._init_names: set[str] = set()
        self._counter = 0

    def init(self, name: str, array: np.ndarray) -> str:
        if name in self._init_names:
            raise ValueError(f"duplicate initializer {name}")
        self._init_names.add(name)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const_i64(self, name: str, values: list[int]) -> str:
        return self.init(name, np.array(values, dtype=np.int64))

    def const_f32(self, name: str, value: float) -> str:
        return self.init(name, np.array(value, dtype=np.float32))

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        """Add a single-output node; its output tensor has the node's name."""
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name


def linear(g: GraphBuilder, x: str, w: np.ndarray, b: np.ndarray, prefix: str) -> str:
    """y = x @ W^T + b (torch Linear layout: W is [out, in])."""
    wt = g.init(f"{prefix}.weight_t", w.T.astype(np.float32))
    bb = g.init(f"{prefix}.bias", b.astype(np.float32))
    mm = g.op("MatMul", [x, wt], f"{prefix}/MatMul")
    return g.op("Add", [mm, bb], f"{prefix}/Add")


def layer_norm(g: GraphBuilder, x: str, w: np.ndarray, b: np.ndarray, eps: float, prefix: str) -> str:
    scale = g.init(f"{prefix}.weight", w)
    bias = g.init(f"{prefix}.bias", b)
    return g.op("LayerNormalization", [x, scale, bias], f"{prefix}/LayerNorm", axis=-1, epsilon=eps)


def build_model(cfg: dict, w: dict[str, np.ndarray]) -> onnx.ModelProto:
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    HD = H // NH
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    g = GraphBuilder()

    # Shared constants.
    c_one = g.const_f32("const.one", 1.0)
    c_half = g.const_f32("const.half", 0.5)
    c_sqrt2 = g.const_f32("const.sqrt2", math.sqrt(2.0))
    c_mask_neg = g.const_f32("const.mask_neg", MASK_NEG)
    c_scale = g.const_f32("const.attn_scale", 1.0 / math.sqrt(HD))
    c_zero_1d = g.const_i64("const.zero_1d", [0])
    c_heads_shape = g.const_i64("const.heads_shape", [0, 0, NH, HD])  # 0 = copy dim
    c_merge_shape = g.const_i64("const.merge_shape", [0, 0, H])

    # --- embeddings -----------------------------------------------------------
    word = g.init("embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"])
    ttype = g.init("embeddings.token_type_embeddings.weight", w["embeddings.token_type_embeddings.weight"])
    pos = g.init("embeddings.position_embeddings.weight", w["embeddings.position_embeddings.weight"])

    e_word = g.op("Gather", [word, "input_ids"], "embeddings/word/Gather", axis=0)
    e_type = g.op("Gather", [ttype, "token_type_ids"], "embeddings/token_type/Gather", axis=0)
    # Position embeddings: rows [0, seq_len) of the table as a 1-D Slice.
    # (Range + Gather breaks ORT's full graph optimisation: "Starts must be a 1-D array".)
    seq_len = g.op("Shape", ["input_ids"], "embeddings/position/seq_len", start=1, end=2)  # int64 [1]
    e_pos = g.op("Slice", [pos, c_zero_1d, seq_len, c_zero_1d], "embeddings/position/Slice")  # [S, H]
    e_sum = g.op("Add", [e_word, e_type], "embeddings/Add_type")
    e_sum = g.op("Add", [e_sum, e_pos], "embeddings/Add_position")  # broadcast [B,S,H] + [S,H]
    x = layer_norm(g, e_sum, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps,
                   "embeddings.LayerNorm")

    # --- additive attention mask: 0 for real tokens, MASK_NEG for padding; [B,1,1,S]
    m_f = g.op("Cast", ["attention_mask"], "mask/Cast", to=TensorProto.FLOAT)
    m_inv = g.op("Sub", [c_one, m_f], "mask/Sub")
    m_add = g.op("Mul", [m_inv, c_mask_neg], "mask/Mul")
    c_unsq_axes = g.const_i64("const.mask_unsqueeze_axes", [1, 2])
    mask = g.op("Unsqueeze", [m_add, c_unsq_axes], "mask/Unsqueeze")

    # --- encoder layers ---------------------------------------------------------
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"

        def W(name: str) -> np.ndarray:
            return w[f"{p}.{name}"]

        # Self-attention projections -> [B, NH, S, HD] (K as [B, NH, HD, S]).
        heads = {}
        for kind in ("query", "key", "value"):
            proj = linear(g, x, W(f"attention.self.{kind}.weight"), W(f"attention.self.{kind}.bias"),
                          f"{p}.attention.self.{kind}")
            r = g.op("Reshape", [proj, c_heads_shape], f"{p}.attention.self.{kind}/Reshape")
            perm = [0, 2, 3, 1] if kind == "key" else [0, 2, 1, 3]
            heads[kind] = g.op("Transpose", [r], f"{p}.attention.self.{kind}/Transpose", perm=perm)

        scores = g.op("MatMul", [heads["query"], heads["key"]], f"{p}.attention.self/QK")
        scores = g.op("Mul", [scores, c_scale], f"{p}.attention.self/Scale")
        scores = g.op("Add", [scores, mask], f"{p}.attention.self/AddMask")
        probs = g.op("Softmax", [scores], f"{p}.attention.self/Softmax", axis=-1)
        ctx = g.op("MatMul", [probs, heads["value"]], f"{p}.attention.self/PV")
        ctx = g.op("Transpose", [ctx], f"{p}.attention.self/ctx_Transpose", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, c_merge_shape], f"{p}.attention.self/ctx_Reshape")

        attn = linear(g, ctx, W("attention.output.dense.weight"), W("attention.output.dense.bias"),
                      f"{p}.attention.output.dense")
        attn = g.op("Add", [attn, x], f"{p}.attention.output/Residual")
        x = layer_norm(g, attn, W("attention.output.LayerNorm.weight"), W("attention.output.LayerNorm.bias"),
                       eps, f"{p}.attention.output.LayerNorm")

        # Feed-forward with exact GELU: 0.5 * h * (1 + erf(h / sqrt(2))).
        h = linear(g, x, W("intermediate.dense.weight"), W("intermediate.dense.bias"),
                   f"{p}.intermediate.dense")
        t = g.op("Div", [h, c_sqrt2], f"{p}.intermediate.gelu/Div")
        t = g.op("Erf", [t], f"{p}.intermediate.gelu/Erf")
        t = g.op("Add", [t, c_one], f"{p}.intermediate.gelu/Add")
        t = g.op("Mul", [h, t], f"{p}.intermediate.gelu/Mul")
        t = g.op("Mul", [t, c_half], f"{p}.intermediate.gelu/Mul_half")
        out = linear(g, t, W("output.dense.weight"), W("output.dense.bias"), f"{p}.output.dense")
        out = g.op("Add", [out, x], f"{p}.output/Residual")
        x = layer_norm(g, out, W("output.LayerNorm.weight"), W("output.LayerNorm.bias"), eps,
                       f"{p}.output.LayerNorm")

    # Name the final tensor `last_hidden_state` with an Identity node.
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output/Identity"))

    dims = ["batch", "sequence"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, dims)
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [H])]
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, outputs, initializer=g.inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
        ir_version=IR_VERSION,
        doc_string="sentence-transformers/all-MiniLM-L6-v2 BERT encoder (fp32), "
                   "converted from model.safetensors without torch.",
    )
    onnx.checker.check_model(model, full_check=True)
    return model


# --- float64 numpy reference -------------------------------------------------------
def reference_hidden(cfg: dict, w: dict[str, np.ndarray], ids: np.ndarray, types: np.ndarray) -> np.ndarray:
    """BERT forward pass for ONE unpadded sequence, float64. Returns [S, H]."""
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    HD = H // NH
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    f = {k: v.astype(np.float64) for k, v in w.items() if v.dtype.kind == "f"}
    erf_v = np.vectorize(math.erf)

    def ln(x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * f[f"{name}.weight"] + f[f"{name}.bias"]

    def lin(x, name):
        return x @ f[f"{name}.weight"].T + f[f"{name}.bias"]

    S = len(ids)
    x = (f["embeddings.word_embeddings.weight"][ids]
         + f["embeddings.token_type_embeddings.weight"][types]
         + f["embeddings.position_embeddings.weight"][np.arange(S)])
    x = ln(x, "embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q = lin(x, f"{p}.attention.self.query").reshape(S, NH, HD).transpose(1, 0, 2)
        k = lin(x, f"{p}.attention.self.key").reshape(S, NH, HD).transpose(1, 0, 2)
        v = lin(x, f"{p}.attention.self.value").reshape(S, NH, HD).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(HD)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(S, H)
        x = ln(lin(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + erf_v(h / math.sqrt(2.0)))
        x = ln(lin(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers pooling: masked mean, then L2 normalisation. float64."""
    hidden = hidden.astype(np.float64)
    m = mask.astype(np.float64)[..., None]
    pooled = (hidden * m).sum(-2) / np.clip(m.sum(-2), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=-1, keepdims=True)


def verify(onnx_path: str, model_dir: str, cfg: dict, w: dict[str, np.ndarray]) -> float:
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as e:
        fail(f"verification needs onnxruntime and tokenizers ({e}); or pass --no-verify")

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    # tokenizer.json ships fixed 128 padding/truncation; like fastembed, pad to the longest instead.
    tok.no_truncation()
    tok.no_padding()
    singles = tok.encode_batch(VERIFY_SENTENCES)
    tok.enable_padding(pad_id=0, pad_token="[PAD]", pad_type_id=0)
    batch = tok.encode_batch(VERIFY_SENTENCES)
    lens = [len(e.ids) for e in singles]
    if len(set(lens)) < 2:
        fail("verification sentences must have different lengths to exercise padding")

    ids = np.array([e.ids for e in batch], dtype=np.int64)
    mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
    types = np.array([e.type_ids for e in batch], dtype=np.int64)

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    (hidden,) = sess.run(["last_hidden_state"],
                         {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    if hidden.shape != (len(VERIFY_SENTENCES), ids.shape[1], cfg["hidden_size"]) or hidden.dtype != np.float32:
        fail(f"unexpected output {hidden.dtype} {hidden.shape}")
    got = mean_pool_normalise(hidden, mask)

    want = np.stack([
        mean_pool_normalise(reference_hidden(cfg, w, np.array(e.ids), np.array(e.type_ids)),
                            np.ones(len(e.ids)))
        for e in singles
    ])
    # Also compare the unpadded token states directly (catches mask leaks per token).
    tok_diff = max(
        float(np.abs(hidden[b, :n].astype(np.float64)
                     - reference_hidden(cfg, w, np.array(singles[b].ids), np.array(singles[b].type_ids))).max())
        for b, n in enumerate(lens)
    )
    diff = float(np.abs(got - want).max())
    cos_min = float((got * want).sum(-1).min())
    print(f"verify: {len(VERIFY_SENTENCES)} sentences, token lengths {lens} (batch padded to {ids.shape[1]})")
    print(f"verify: pooled embeddings max |onnx - float64 reference| = {diff:.3e} (tolerance {TOLERANCE:g}), "
          f"min cosine = {cos_min:.9f}")
    print(f"verify: last_hidden_state max |diff| on real tokens = {tok_diff:.3e}")
    if not np.isfinite(diff) or diff >= TOLERANCE:
        fail(f"verification failed: max abs diff {diff:.3e} >= {TOLERANCE:g}")
    return diff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True, help="dir with model.safetensors, config.json, tokenizer.json")
    ap.add_argument("--output", required=True, help="where to write the .onnx file")
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-vs-numpy check")
    args = ap.parse_args()

    cfg = load_config(args.model_dir)
    w = load_weights(args.model_dir)
    model = build_model(cfg, w)
    data = model.SerializeToString()

    tmp = args.output + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if not args.no_verify:
            verify(tmp, args.model_dir, cfg, w)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {args.output} ({len(data)} bytes, {len(model.graph.node)} nodes, "
          f"{len(model.graph.initializer)} initializers, opset {OPSET})")


if __name__ == "__main__":
    main()
