#!/usr/bin/env python3
"""Convert the all-mpnet-base-v2 safetensors MPNet weights into an fp32 ONNX graph.

No torch: the graph is written node by node with the `onnx` helper API (the
small graph helpers are shared with minilm_to_onnx.py), the weights are read
with `safetensors` + `numpy`.

Architecture (HF transformers' MPNetModel, as sentence-transformers runs it):
  * embeddings = LayerNorm(word[input_ids] + position[position_ids]); no token
    types. position_ids as HF's create_position_ids_from_input_ids: non-pad
    tokens get padding_idx + 1 + their index (2, 3, ...), pad tokens get
    padding_idx (= pad_token_id = 1).
  * 12 encoder layers, hidden 768, 12 heads, FFN 3072, exact (erf) GELU,
    post-LayerNorm with eps from config.json (1e-5).
  * one relative position bias, computed once from T5-style buckets of
    (key index - query index) (32 buckets, max distance 128) and the encoder's
    relative_attention_bias table [32, 12], added to every layer's attention
    scores before the padding mask. The bucket of each relative position is a
    fixed integer table (an initializer, sliced to the sequence length); the
    converter computes it the way HF does (float32 log, truncation) and checks
    it against the table recorded from HF's own MPNetEncoder in the reference
    file, so bucket boundaries cannot silently drift.

Graph contract (what fastembed / ONNX Runtime consumers rely on):
  inputs   input_ids, attention_mask   int64 [batch, sequence]   (sequence <= 512)
  output   last_hidden_state            float32 [batch, sequence, 768]
  opset 17 (default domain only), IR version 8.
Padding must use pad_token_id (1), as the tokenizer does: the position ids
are derived from input_ids, exactly like HF.

Deterministic: same weights + same pinned `onnx`/`protobuf` give the same
bytes on every run (fixed producer, fixed node and initializer order, no
timestamps, no random names).

After writing the graph the script verifies itself (unless --no-verify):
  * tokenises the sentences of the reference file (mpnet_reference.json) with
    tokenizer.json (python `tokenizers`, truncation at max_seq_length from
    sentence_bert_config.json) and requires exactly the token ids that
    sentence-transformers produced,
  * runs the ONNX graph with onnxruntime (full graph optimisation, as the Rust
    side uses) on the padded batch, mean-pools over the attention mask and
    L2-normalises,
  * compares with a float64 numpy MPNet run on each sentence alone (no
    padding): pooled max |diff| < 1e-5 (and per-token states on real tokens),
  * compares with sentence-transformers' own embeddings stored in the
    reference file: every cosine >= 0.99999.
The output is written to OUTPUT.tmp and only renamed to OUTPUT once the checks
pass, so a failed or interrupted run never leaves a plausible-looking file.

The reference file is produced once, with sentence-transformers itself, by
scripts/mpnet_reference.py (its header says how); it is committed.

Usage:
  mpnet_to_onnx.py --model-dir DIR --output model.onnx [--reference FILE] [--no-verify]
DIR must contain model.safetensors and config.json, and for verification
tokenizer.json and sentence_bert_config.json.
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
from onnx import TensorProto, helper
from safetensors.numpy import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minilm_to_onnx import GraphBuilder, layer_norm, linear, mean_pool_normalise  # noqa: E402

EXPECTED_CONFIG = {
    "model_type": "mpnet",
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",  # exact erf GELU in HF MPNet
    "vocab_size": 30527,
    "max_position_embeddings": 514,
    "pad_token_id": 1,
    "relative_attention_num_buckets": 32,
}
MAX_DISTANCE = 128  # HF MPNetEncoder.relative_position_bucket default
OPSET = 17
IR_VERSION = 8
PRODUCER_NAME = "chunkbench-mpnet_to_onnx"
PRODUCER_VERSION = "1"
MASK_NEG = float(np.finfo(np.float32).min)  # HF's additive mask value for padded keys
POOLED_TOLERANCE = 1e-5  # max |onnx - float64 reference| on pooled, normalised embeddings
MIN_COSINE_ST = 0.99999  # min cosine against sentence-transformers' embeddings
DEFAULT_REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpnet_reference.json")


def fail(msg: str) -> NoReturn:
    print(f"mpnet_to_onnx: error: {msg}", file=sys.stderr)
    sys.exit(1)


# --- loading -----------------------------------------------------------------
def load_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {path}: {e}")


def load_config(model_dir: str) -> dict:
    cfg = load_json(os.path.join(model_dir, "config.json"))
    for key, want in EXPECTED_CONFIG.items():
        if cfg.get(key) != want:
            fail(f"config.json: {key}={cfg.get(key)!r}, this converter only handles {want!r}")
    return cfg


def load_weights(model_dir: str, cfg: dict) -> dict[str, np.ndarray]:
    path = os.path.join(model_dir, "model.safetensors")
    try:
        w = load_file(path)
    except Exception as e:  # safetensors raises several types
        fail(f"cannot read {path}: {e}")
    w = {k[6:] if k.startswith("mpnet.") else k: v for k, v in w.items()}
    for k, v in w.items():
        if v.dtype.kind == "f" and v.dtype != np.float32:
            w[k] = v.astype(np.float32)
    H, NB, NH = cfg["hidden_size"], cfg["relative_attention_num_buckets"], cfg["num_attention_heads"]
    shapes = {
        "embeddings.word_embeddings.weight": (cfg["vocab_size"], H),
        "embeddings.position_embeddings.weight": (cfg["max_position_embeddings"], H),
        "encoder.relative_attention_bias.weight": (NB, NH),
    }
    for k, shape in shapes.items():
        if k not in w or w[k].shape != shape:
            fail(f"model.safetensors: {k} missing or not {shape}")
    return w


# --- relative position buckets -------------------------------------------------------
def relative_position_bucket(relative_position: np.ndarray, num_buckets: int, max_distance: int) -> np.ndarray:
    """HF MPNetEncoder.relative_position_bucket, with its float32 arithmetic."""
    n = -relative_position.astype(np.int64)
    num_buckets //= 2
    ret = (n < 0).astype(np.int64) * num_buckets
    n = np.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    with np.errstate(divide="ignore"):  # log(0) in the is_small branch, discarded
        large = (np.log(n.astype(np.float32) / np.float32(max_exact))
                 / np.float32(math.log(max_distance / max_exact))
                 * np.float32(num_buckets - max_exact))
    large = max_exact + np.where(is_small, 0, large).astype(np.int64)  # .to(long) truncates
    large = np.minimum(large, num_buckets - 1)
    return ret + np.where(is_small, n, large)


def max_tokens(cfg: dict) -> int:
    # positions run from pad_token_id + 1 up to max_position_embeddings - 1
    return cfg["max_position_embeddings"] - cfg["pad_token_id"] - 1


def bucket_table(cfg: dict) -> np.ndarray:
    """[S_max, S_max] int64: bucket of (key j - query i)."""
    s = max_tokens(cfg)
    idx = np.arange(s, dtype=np.int64)
    return relative_position_bucket(idx[None, :] - idx[:, None], cfg["relative_attention_num_buckets"],
                                    MAX_DISTANCE)


# --- graph construction ---------------------------------------------------------
def build_model(cfg: dict, w: dict[str, np.ndarray]) -> onnx.ModelProto:
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    HD = H // NH
    PAD = cfg["pad_token_id"]
    eps = float(cfg["layer_norm_eps"])
    g = GraphBuilder()

    c_one = g.const_f32("const.one", 1.0)
    c_half = g.const_f32("const.half", 0.5)
    c_sqrt2 = g.const_f32("const.sqrt2", math.sqrt(2.0))
    c_mask_neg = g.const_f32("const.mask_neg", MASK_NEG)
    c_scale = g.const_f32("const.attn_scale", 1.0 / math.sqrt(HD))  # 1/8: exact
    c_heads_shape = g.const_i64("const.heads_shape", [0, 0, NH, HD])  # 0 = copy dim
    c_merge_shape = g.const_i64("const.merge_shape", [0, 0, H])

    # --- embeddings -----------------------------------------------------------
    word = g.init("embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"])
    pos = g.init("embeddings.position_embeddings.weight", w["embeddings.position_embeddings.weight"])
    e_word = g.op("Gather", [word, "input_ids"], "embeddings/word/Gather", axis=0)
    # position_ids = cumsum(input_ids != pad, axis 1) * (input_ids != pad) + pad
    c_pad = g.const_i64("const.pad_token_id", [PAD])
    is_pad = g.op("Equal", ["input_ids", c_pad], "embeddings/position/Equal")
    not_pad = g.op("Not", [is_pad], "embeddings/position/Not")
    not_pad = g.op("Cast", [not_pad], "embeddings/position/Cast", to=TensorProto.INT64)
    c_axis_scalar = g.init("const.axis1_scalar", np.array(1, dtype=np.int64))
    cums = g.op("CumSum", [not_pad, c_axis_scalar], "embeddings/position/CumSum")
    pos_ids = g.op("Mul", [cums, not_pad], "embeddings/position/Mul")
    pos_ids = g.op("Add", [pos_ids, c_pad], "embeddings/position/Add")
    e_pos = g.op("Gather", [pos, pos_ids], "embeddings/position/Gather", axis=0)
    e_sum = g.op("Add", [e_word, e_pos], "embeddings/Add_position")
    x = layer_norm(g, e_sum, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps,
                   "embeddings.LayerNorm")

    # --- relative position bias [NH, S, S] + additive padding mask [B, 1, 1, S] -> [B, NH, S, S]
    buckets = g.init("encoder.relative_position_buckets", bucket_table(cfg))
    rel_w = g.init("encoder.relative_attention_bias.weight", w["encoder.relative_attention_bias.weight"])
    seq_len = g.op("Shape", ["input_ids"], "bias/seq_len", start=1, end=2)  # int64 [1]
    ends = g.op("Concat", [seq_len, seq_len], "bias/ends", axis=0)
    c_zero2 = g.const_i64("const.zero_2", [0, 0])
    c_axes01 = g.const_i64("const.axes_01", [0, 1])
    b_idx = g.op("Slice", [buckets, c_zero2, ends, c_axes01], "bias/buckets/Slice")  # [S, S]
    bias = g.op("Gather", [rel_w, b_idx], "bias/Gather", axis=0)  # [S, S, NH]
    bias = g.op("Transpose", [bias], "bias/Transpose", perm=[2, 0, 1])  # [NH, S, S]

    m_f = g.op("Cast", ["attention_mask"], "mask/Cast", to=TensorProto.FLOAT)
    m_inv = g.op("Sub", [c_one, m_f], "mask/Sub")
    m_add = g.op("Mul", [m_inv, c_mask_neg], "mask/Mul")
    c_unsq_axes = g.const_i64("const.mask_unsqueeze_axes", [1, 2])
    mask = g.op("Unsqueeze", [m_add, c_unsq_axes], "mask/Unsqueeze")  # [B, 1, 1, S]
    # scores + bias + mask, as HF adds them; bias + mask is the same for every layer.
    bias_mask = g.op("Add", [bias, mask], "bias/AddMask")  # [B, NH, S, S]

    # --- encoder layers ---------------------------------------------------------
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"

        def W(name: str) -> np.ndarray:
            return w[f"{p}.{name}"]

        heads = {}
        for kind in ("q", "k", "v"):
            proj = linear(g, x, W(f"attention.attn.{kind}.weight"), W(f"attention.attn.{kind}.bias"),
                          f"{p}.attention.attn.{kind}")
            r = g.op("Reshape", [proj, c_heads_shape], f"{p}.attention.attn.{kind}/Reshape")
            perm = [0, 2, 3, 1] if kind == "k" else [0, 2, 1, 3]
            heads[kind] = g.op("Transpose", [r], f"{p}.attention.attn.{kind}/Transpose", perm=perm)

        scores = g.op("MatMul", [heads["q"], heads["k"]], f"{p}.attention.attn/QK")
        scores = g.op("Mul", [scores, c_scale], f"{p}.attention.attn/Scale")
        scores = g.op("Add", [scores, bias_mask], f"{p}.attention.attn/AddBiasMask")
        probs = g.op("Softmax", [scores], f"{p}.attention.attn/Softmax", axis=-1)
        ctx = g.op("MatMul", [probs, heads["v"]], f"{p}.attention.attn/PV")
        ctx = g.op("Transpose", [ctx], f"{p}.attention.attn/ctx_Transpose", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, c_merge_shape], f"{p}.attention.attn/ctx_Reshape")

        attn = linear(g, ctx, W("attention.attn.o.weight"), W("attention.attn.o.bias"), f"{p}.attention.attn.o")
        attn = g.op("Add", [attn, x], f"{p}.attention/Residual")
        x = layer_norm(g, attn, W("attention.LayerNorm.weight"), W("attention.LayerNorm.bias"), eps,
                       f"{p}.attention.LayerNorm")

        h = linear(g, x, W("intermediate.dense.weight"), W("intermediate.dense.bias"), f"{p}.intermediate.dense")
        t = g.op("Div", [h, c_sqrt2], f"{p}.intermediate.gelu/Div")
        t = g.op("Erf", [t], f"{p}.intermediate.gelu/Erf")
        t = g.op("Add", [t, c_one], f"{p}.intermediate.gelu/Add")
        t = g.op("Mul", [h, t], f"{p}.intermediate.gelu/Mul")
        t = g.op("Mul", [t, c_half], f"{p}.intermediate.gelu/Mul_half")
        out = linear(g, t, W("output.dense.weight"), W("output.dense.bias"), f"{p}.output.dense")
        out = g.op("Add", [out, x], f"{p}.output/Residual")
        x = layer_norm(g, out, W("output.LayerNorm.weight"), W("output.LayerNorm.bias"), eps,
                       f"{p}.output.LayerNorm")

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output/Identity"))

    dims = ["batch", "sequence"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in ("input_ids", "attention_mask")]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [H])]
    graph = helper.make_graph(g.nodes, "all-mpnet-base-v2", inputs, outputs, initializer=g.inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
        ir_version=IR_VERSION,
        doc_string="sentence-transformers/all-mpnet-base-v2 MPNet encoder (fp32), "
                   "converted from model.safetensors without torch.",
    )
    onnx.checker.check_model(model, full_check=True)
    return model


# --- float64 numpy reference -------------------------------------------------------
_erf = np.frompyfunc(math.erf, 1, 1)


def reference_hidden(cfg: dict, w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """MPNet forward pass for ONE unpadded sequence (no pad tokens), float64. Returns [S, H]."""
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    HD = H // NH
    PAD = cfg["pad_token_id"]
    eps = float(cfg["layer_norm_eps"])
    f = {k: v.astype(np.float64) for k, v in w.items() if v.dtype.kind == "f"}

    def ln(x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * f[f"{name}.weight"] + f[f"{name}.bias"]

    def lin(x, name):
        return x @ f[f"{name}.weight"].T + f[f"{name}.bias"]

    S = len(ids)
    if (ids == PAD).any():
        raise ValueError("reference_hidden takes unpadded sequences")
    x = f["embeddings.word_embeddings.weight"][ids] + f["embeddings.position_embeddings.weight"][np.arange(S) + PAD + 1]
    x = ln(x, "embeddings.LayerNorm")
    rel = np.arange(S)[None, :] - np.arange(S)[:, None]
    bucket = relative_position_bucket(rel, cfg["relative_attention_num_buckets"], MAX_DISTANCE)
    bias = f["encoder.relative_attention_bias.weight"][bucket].transpose(2, 0, 1)  # [NH, S, S]
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}.attention"
        q = lin(x, f"{p}.attn.q").reshape(S, NH, HD).transpose(1, 0, 2)
        k = lin(x, f"{p}.attn.k").reshape(S, NH, HD).transpose(1, 0, 2)
        v = lin(x, f"{p}.attn.v").reshape(S, NH, HD).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(HD) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(S, H)
        x = ln(lin(ctx, f"{p}.attn.o") + x, f"{p}.LayerNorm")
        p = f"encoder.layer.{i}"
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)).astype(np.float64))
        x = ln(lin(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


# --- verification -----------------------------------------------------------------
def verify(onnx_path: str, model_dir: str, cfg: dict, w: dict[str, np.ndarray], ref: dict) -> None:
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as e:
        fail(f"verification needs onnxruntime and tokenizers ({e}); or pass --no-verify")

    # 1. the bucket table against HF's own function (recorded in the reference file)
    rb = ref["relative_position_buckets"]
    rel = np.arange(rb["min_relative_position"], rb["min_relative_position"] + len(rb["buckets"]))
    mine = relative_position_bucket(rel, cfg["relative_attention_num_buckets"], MAX_DISTANCE)
    bad = np.nonzero(mine != np.array(rb["buckets"]))[0]
    if len(bad):
        fail(f"relative position buckets differ from HF's at relative positions {rel[bad][:10].tolist()}")
    print(f"verify: relative position buckets match HF's for relative positions "
          f"{rel[0]}..{rel[-1]}")

    # 2. tokenisation as sentence-transformers does it
    max_len = int(load_json(os.path.join(model_dir, "sentence_bert_config.json"))["max_seq_length"])
    if max_len != ref["max_seq_length"]:
        fail(f"sentence_bert_config.json max_seq_length {max_len} != reference {ref['max_seq_length']}")
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()  # tokenizer.json ships fixed 128 padding/truncation; like fastembed, override
    tok.enable_truncation(max_len)
    sents = ref["sentences"]
    texts = [s["text"] for s in sents]
    singles = tok.encode_batch(texts)
    for s, e in zip(sents, singles):
        if e.ids != s["input_ids"]:
            fail(f"tokenisation differs from sentence-transformers' for {s['text'][:40]!r}")
    lens = [len(e.ids) for e in singles]
    print(f"verify: {len(texts)} sentences tokenised exactly as sentence-transformers did, "
          f"token lengths {lens}")

    # 3. onnxruntime on the padded batch
    pad = cfg["pad_token_id"]
    S = max(lens)
    ids = np.full((len(texts), S), pad, dtype=np.int64)
    mask = np.zeros((len(texts), S), dtype=np.int64)
    for b, e in enumerate(singles):
        ids[b, :len(e.ids)] = e.ids
        mask[b, :len(e.ids)] = 1
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    names = ([i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()])
    if names != (["input_ids", "attention_mask"], ["last_hidden_state"]):
        fail(f"unexpected graph inputs/outputs {names}")
    (hidden,) = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})
    if hidden.shape != (len(texts), S, cfg["hidden_size"]) or hidden.dtype != np.float32:
        fail(f"unexpected output {hidden.dtype} {hidden.shape}")
    got = mean_pool_normalise(hidden, mask)

    # 4. float64 numpy reference, each sentence alone
    ref_hidden = [reference_hidden(cfg, w, np.array(e.ids)) for e in singles]
    want = np.stack([mean_pool_normalise(h, np.ones(len(h))) for h in ref_hidden])
    tok_diff = max(float(np.abs(hidden[b, :n].astype(np.float64) - ref_hidden[b]).max())
                   for b, n in enumerate(lens))
    diff = float(np.abs(got - want).max())
    cos64 = (got * want).sum(-1)
    print(f"verify: onnx vs float64 numpy: pooled max |diff| = {diff:.3e} (tolerance {POOLED_TOLERANCE:g}), "
          f"min cosine = {cos64.min():.12f}; last_hidden_state max |diff| on real tokens = {tok_diff:.3e}")
    if not np.isfinite(diff) or diff >= POOLED_TOLERANCE:
        fail(f"onnx vs float64 reference: max abs diff {diff:.3e} >= {POOLED_TOLERANCE:g}")

    # 5. sentence-transformers' embeddings
    st = np.array([s["embedding"] for s in sents], dtype=np.float64)
    st /= np.linalg.norm(st, axis=-1, keepdims=True)
    cos_st = (got * st).sum(-1)
    cos_64_st = (want * st).sum(-1)
    print(f"verify: onnx vs sentence-transformers: min cosine = {cos_st.min():.12f} "
          f"(required >= {MIN_COSINE_ST}), max |diff| = {np.abs(got - st).max():.3e}; "
          f"float64 numpy vs sentence-transformers: min cosine = {cos_64_st.min():.12f}")
    print("verify: per-sentence 1 - cosine, onnx vs sentence-transformers: "
          + " ".join(f"{1.0 - c:.1e}" for c in cos_st))
    if not np.all(cos_st >= MIN_COSINE_ST):
        fail(f"onnx vs sentence-transformers: min cosine {cos_st.min():.9f} < {MIN_COSINE_ST}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True, help="dir with model.safetensors, config.json, tokenizer.json")
    ap.add_argument("--output", required=True, help="where to write the .onnx file")
    ap.add_argument("--reference", default=DEFAULT_REFERENCE,
                    help="sentence-transformers reference embeddings (default: mpnet_reference.json beside this script)")
    ap.add_argument("--no-verify", action="store_true", help="skip all checks of the written graph")
    args = ap.parse_args()

    cfg = load_config(args.model_dir)
    ref = None if args.no_verify else load_json(args.reference)
    w = load_weights(args.model_dir, cfg)
    model = build_model(cfg, w)
    data = model.SerializeToString()
    n_nodes, n_inits = len(model.graph.node), len(model.graph.initializer)
    del model

    tmp = args.output + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        del data
        if not args.no_verify:
            verify(tmp, args.model_dir, cfg, w, ref)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {args.output} ({os.path.getsize(args.output)} bytes, {n_nodes} nodes, "
          f"{n_inits} initializers, opset {OPSET})")


if __name__ == "__main__":
    main()
