#!/usr/bin/env python3
"""Time chunkbench's chunkers against the Python chunkers users would pick instead.

Every tool chunks the same UTF-8 text (one temporary file) into pieces of `--size` cl100k
tokens with no overlap, and the script prints one Markdown table of throughput (MB/s, MB =
1e6 bytes of input) and of chunkbench's throughput divided by each tool's. With
`--per-document`, the input files stay documents of their own (one temporary file each, the list
repeated): every tool chunks them one call per document, as a corpus is chunked (chunkbench: one
process, `chunkbench chunk --timing --strategy S FILE...`), and the times are summed.

- chunkbench's chunking call is timed in process by chunkbench itself (`chunkbench chunk --timing
  --strategy S FILE`, which prints the call's seconds on stderr; the tokenizer is loaded before
  the clock starts and its memo of token counts starts empty in every process). The whole
  process (start, cl100k load, reading, writing every chunk as JSON to /dev/null) is timed too and
  shown in a column of its own, with its bare overhead on a tiny file under the table.
- Python tools are timed in process, the chunking call only (time.perf_counter), after one
  untimed warm-up call that loads the tokenizer. A fresh chunker object is built before every
  timed call, outside the timer, and memoisation caches are cleared, so no call is served from
  a cache the previous call filled (chonkie's RecursiveChunker and semchunk memoise token counts).
- Best of `--runs` rounds; within a round the tools run one after another, round-robin (the order
  rotates each round), so machine noise hits all of them alike.

Run it through run.sh, which makes the venv with the pinned packages of requirements.txt.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import glob
import hashlib
import importlib.metadata
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SCRIPT_DIR = Path(__file__).resolve().parent
REPO = SCRIPT_DIR.parent.parent
DEFAULT_DIR = REPO / "datasets" / "larkspur" / "documents"
DEFAULT_BINARY = REPO / "target" / "release" / "chunkbench"
TARGET_BYTES = 2_000_000
ENCODING = "cl100k_base"
PACKAGES = ["chonkie", "langchain-text-splitters", "semchunk", "tiktoken"]

# tiktoken fetches cl100k_base.tiktoken from this address on first use and caches it in
# $TIKTOKEN_CACHE_DIR under the SHA-1 of the address; the SHA-256 is the one tiktoken checks.
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# input


def shown(path: Path) -> str:
    """A path as printed: relative to the repository when inside it, else as given."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def load_text(args: argparse.Namespace) -> tuple[list[str], str]:
    """The input documents (trailing newlines stripped) and a description of where they came from."""
    if args.text:
        files = [Path(f) for f in args.text]
        source = f"{len(files)} file(s): " + ", ".join(shown(f) for f in files)
    else:
        d = Path(args.dir) if args.dir else DEFAULT_DIR
        if not d.is_dir():
            sys.exit(f"error: {d} is not a directory")
        files = sorted(p for p in d.iterdir() if p.suffix in (".md", ".txt") and p.is_file())
        if not files:
            sys.exit(f"error: no .md or .txt files in {d}")
        kinds = "/".join(sorted({p.suffix for p in files}))
        source = f"the {len(files)} {kinds} files of {shown(d)}"
    parts = []
    for f in files:
        try:
            parts.append(f.read_bytes().decode("utf-8").rstrip("\n"))
        except (OSError, UnicodeDecodeError) as e:
            sys.exit(f"error: cannot read {f} as UTF-8: {e}")
    return parts, source


# --------------------------------------------------------------------------------------------
# tokenizer file: tiktoken downloads it from outside PyPI; seed its cache from a local copy


def seed_tiktoken_cache(explicit: str | None) -> str:
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if cache is None:
        cache = os.environ.get("DATA_GYM_CACHE_DIR")
    if cache is None:
        cache = os.path.join(tempfile.gettempdir(), "data-gym-cache")  # tiktoken's default
    if cache == "":
        return "tiktoken cache disabled (TIKTOKEN_CACHE_DIR is empty): tiktoken downloads it"
    target = Path(cache) / hashlib.sha1(CL100K_URL.encode()).hexdigest()

    def valid(p: Path) -> bytes | None:
        try:
            data = p.read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == CL100K_SHA256 else None

    if valid(target) is not None:
        return "tiktoken's cache"
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    cargo_home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    pattern = str(cargo_home / "registry" / "src" / "*" / "tiktoken-rs-*" / "assets" / "cl100k_base.tiktoken")
    candidates += [Path(p) for p in sorted(glob.glob(pattern), reverse=True)]
    for cand in candidates:
        data = valid(cand)
        if data is None:
            if explicit and cand == Path(explicit):
                log(f"warning: {cand} is not cl100k_base.tiktoken (SHA-256 differs); ignored")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        if explicit and cand == Path(explicit):
            return "copied from the --cl100k file (SHA-256 checked)"
        return "copied from the tiktoken-rs crate in the Cargo registry (SHA-256 checked)"
    return "not found locally: tiktoken downloads it"


# --------------------------------------------------------------------------------------------
# tools


@dataclass
class Tool:
    task: str
    name: str
    # chunkbench: the strategy; Python: a setup returning `make`, which builds a fresh
    # chunk function (text -> list of chunks) outside the timer
    strategy: str | None = None
    # chunkbench: files chunked at once (`chunk --jobs`; 0 = one per core)
    jobs: int = 1
    setup: Callable[[], Callable[[], Callable[[str], list]]] | None = None
    make: Callable[[], Callable[[str], list]] | None = None
    chunks: int | None = None
    # chunkbench: the chunking call's own seconds (its `--timing` line); Python: the call's
    times: list[float] = field(default_factory=list)
    # chunkbench only: the whole process's seconds (start, tokenizer load, output included)
    process_times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def is_chunkbench(self) -> bool:
        return self.strategy is not None


def reason(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".replace("\n", " ").strip()
    return text if len(text) <= 160 else text[:157] + "..."


def clear_caches(obj: object) -> None:
    """Clear functools caches on the object's class (chonkie memoises token counts there)."""
    for name in dir(type(obj)):
        attr = getattr(type(obj), name, None)
        clear = getattr(attr, "cache_clear", None)
        if callable(clear):
            clear()


_ENC = None


def cl100k():
    global _ENC
    if _ENC is None:
        import tiktoken

        try:
            _ENC = tiktoken.get_encoding(ENCODING)
        except Exception as e:
            raise RuntimeError(
                f"tiktoken cannot load {ENCODING} ({type(e).__name__}: no local copy, no download); "
                f"pass --cl100k FILE"
            ) from e
    return _ENC


def py_tools(size: int) -> list[Tool]:
    def chonkie_token():
        from chonkie import TokenChunker

        enc = cl100k()

        def make():
            return TokenChunker(tokenizer=enc, chunk_size=size, chunk_overlap=0).chunk

        return make

    def langchain_token():
        from langchain_text_splitters import TokenTextSplitter

        cl100k()

        def make():
            return TokenTextSplitter(encoding_name=ENCODING, chunk_size=size, chunk_overlap=0).split_text

        return make

    def chonkie_recursive():
        from chonkie import RecursiveChunker

        enc = cl100k()

        def make():
            c = RecursiveChunker(tokenizer=enc, chunk_size=size)
            clear_caches(c)
            return c.chunk

        return make

    def langchain_recursive():
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        cl100k()

        def make():
            return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
                encoding_name=ENCODING, chunk_size=size, chunk_overlap=0
            ).split_text

        return make

    def semchunk_recursive():
        import semchunk

        enc = cl100k()

        def make():
            return semchunk.chunkerify(enc, size)  # memoises token counts: a fresh one each run

        return make

    def chonkie_sentence():
        from chonkie import SentenceChunker

        enc = cl100k()

        def make():
            c = SentenceChunker(tokenizer=enc, chunk_size=size, chunk_overlap=0)
            clear_caches(c)
            return c.chunk

        return make

    return [
        Tool("token windows", "chonkie `TokenChunker`", setup=chonkie_token),
        Tool("token windows", "LangChain `TokenTextSplitter`", setup=langchain_token),
        Tool("recursive", "chonkie `RecursiveChunker`", setup=chonkie_recursive),
        Tool("recursive", "LangChain `RecursiveCharacterTextSplitter`", setup=langchain_recursive),
        Tool("recursive", "semchunk `chunkerify`", setup=semchunk_recursive),
        Tool("sentence", "chonkie `SentenceChunker`", setup=chonkie_sentence),
    ]


def threads_label(jobs: int) -> str:
    n = jobs or os.cpu_count() or 1
    return f"{n} thread{'s' if n > 1 else ''}"


def all_tools(size: int, jobs: list[int]) -> list[Tool]:
    py = py_tools(size)
    by_task = {t: [p for p in py if p.task == t] for t in ("token windows", "recursive", "sentence")}
    tools = []
    for task, specs in (
        ("token windows", [f"fixed:size={size}"]),
        ("recursive", [f"recursive:size={size}", f"recursive:size={size},splitter=chroma"]),
        ("sentence", [f"sentence:size={size}"]),
    ):
        for spec in specs:
            for j in jobs:
                name = f"chunkbench `{spec}`" + (f", {threads_label(j)}" if len(jobs) > 1 else "")
                tools.append(Tool(task, name, strategy=spec, jobs=j))
        tools += by_task[task]
    return tools


# --------------------------------------------------------------------------------------------
# running


def run_chunkbench(binary: str, strategy: str, paths: list[str], count: bool,
                   jobs: int = 1) -> tuple[float, float, int | None]:
    """(the chunking calls' seconds, as the process reports them; the whole process's seconds;
    the number of chunks when `count`). One process chunks every file of `paths`, each a document,
    `jobs` files at once."""
    cmd = [binary, "chunk", "--timing", "--jobs", str(jobs), "--strategy", strategy, *paths]
    stdout = subprocess.PIPE if count else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {err[-1] if err else 'no message'}")
    # "chunking: N bytes [of F files] into C chunks in S s (R MB/s)"
    call = next((line for line in err if line.startswith("chunking: ")), None)
    if call is None:
        raise RuntimeError("no `chunking:` line on stderr (a chunkbench without `chunk --timing`?)")
    seconds = float(call.split(" in ")[1].split(" s")[0])
    chunks = sum(1 for line in proc.stdout.splitlines() if line.strip()) if count else None
    return seconds, elapsed, chunks


def run_python(tool: Tool, texts: list[str]) -> tuple[float, int]:
    """One chunker, built outside the timer, chunks every document of `texts` in turn."""
    assert tool.make is not None
    fn = tool.make()
    gc.collect()
    t0 = time.perf_counter()
    results = [fn(t) for t in texts]
    elapsed = time.perf_counter() - t0
    n = sum(len(r) for r in results)
    del results, fn
    return elapsed, n


def warm_up(tool: Tool, binary: str, paths: list[str], texts: list[str]) -> None:
    try:
        if tool.is_chunkbench:
            _, _, tool.chunks = run_chunkbench(binary, tool.strategy, paths, count=True, jobs=tool.jobs)
        else:
            assert tool.setup is not None
            tool.make = tool.setup()
            _, tool.chunks = run_python(tool, texts)
    except Exception as e:  # a peer that cannot import or run is reported, not fatal
        tool.error = reason(e)


def timed(tool: Tool, binary: str, paths: list[str], texts: list[str]) -> None:
    if tool.error:
        return
    try:
        if tool.is_chunkbench:
            elapsed, process, _ = run_chunkbench(binary, tool.strategy, paths, count=False,
                                                 jobs=tool.jobs)
            tool.process_times.append(process)
        else:
            elapsed, _ = run_python(tool, texts)
        tool.times.append(elapsed)
    except Exception as e:
        tool.error = reason(e)


# --------------------------------------------------------------------------------------------
# report


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            info = f.read()
    except OSError:
        info = ""
    for key in ("model name", "Hardware", "Processor", "cpu model", "uarch"):
        for line in info.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == key and v.strip():
                return v.strip()
    return platform.processor() or "unknown"


def cores() -> str:
    n = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = n
    return f"{n} cores" if usable == n else f"{n} cores ({usable} usable)"


def versions(binary: str) -> str:
    parts = []
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        parts.append(out or "chunkbench ?")
    except Exception:
        parts.append("chunkbench ?")
    parts.append(f"Python {platform.python_version()}")
    for pkg in PACKAGES:
        try:
            parts.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{pkg} not installed")
    return ", ".join(parts)


def variant(tool: Tool, jobs: list[int]) -> str:
    """A chunkbench variant's short name within its task: its splitter (recursive), and its
    threads when several thread counts are timed."""
    strategy = tool.strategy or ""
    params = dict(p.split("=", 1) for p in strategy.partition(":")[2].split(",") if "=" in p)
    parts = [params.get("splitter", "text")] if strategy.startswith("recursive") else []
    if len(jobs) > 1:
        parts.append(threads_label(tool.jobs))
    return ", ".join(parts)


def fmt_rate(r: float) -> str:
    return f"{r:.0f}" if r >= 100 else f"{r:.1f}" if r >= 10 else f"{r:.2f}"


def cell(s: str) -> str:
    return s.replace("|", "\\|")


def report(
    tools: list[Tool], overhead: Tool, n_bytes: int, source: str, repeat: int, args, started: str,
    load: str, tokenizer_source: str, tiny_bytes: int, n_docs: int,
) -> str:
    if args.per_document:
        shape = (f"repeated {repeat}×, {n_docs} documents chunked one at a time (one call per "
                 "document; chunkbench: one process for all, chunking as many files at once as it has threads)")
    else:
        shape = f"joined by blank lines, repeated {repeat}×, in one file"
    lines = [
        "## chunkbench and Python chunkers, side by side",
        "",
        f"- date: {started} UTC",
        f"- machine: {platform.machine()}, {cpu_model()}, {cores()}, load average {load} at start",
        f"- input: {n_bytes:,} bytes ({n_bytes / 1e6:.2f} MB) of UTF-8 text: {cell(source)}, "
        f"{shape}",
        f"- chunks of at most {args.size} tiktoken {ENCODING} tokens, no overlap; "
        f"{ENCODING}.tiktoken for Python's tiktoken: {tokenizer_source}",
        f"- N = {args.runs}: the best of {args.runs} timed round{'s' if args.runs > 1 else ''}, "
        "tools round-robin within each round",
        f"- versions: {versions(args.chunkbench)}",
        "",
        f"| task | tool | chunks | MB/s, chunking call (best of {args.runs}) | chunkbench ÷ tool "
        f"| MB/s, whole process (best of {args.runs}) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    rate: dict[int, float] = {}
    for i, t in enumerate(tools):
        if not t.error and t.times:
            rate[i] = n_bytes / 1e6 / min(t.times)
    for i, t in enumerate(tools):
        ours = [j for j, o in enumerate(tools) if o.task == t.task and o.is_chunkbench]
        if i in rate:
            mbs = fmt_rate(rate[i])
            if t.is_chunkbench:
                ratio = ""
            else:
                ratio = " · ".join(
                    (f"{rate[j] / rate[i]:.2f}" if j in rate else "—")
                    + (f" ({variant(tools[j], args.jobs)})" if len(ours) > 1 else "")
                    for j in ours
                )
        else:
            mbs = f"failed: {cell(t.error or 'no timed run')}"
            ratio = "—"
        process = fmt_rate(n_bytes / 1e6 / min(t.process_times)) if t.process_times else ""
        chunks = f"{t.chunks:,}" if t.chunks is not None and not t.error else "—"
        lines.append(f"| {t.task} | {t.name} | {chunks} | {mbs} | {ratio} | {process} |")
    lines.append("")
    lines.append(
        "chunkbench ÷ tool: chunkbench's MB/s on the task over the tool's (one figure per chunkbench "
        "variant of the task); above 1, chunkbench is faster. Every tool is timed in process, the "
        "chunking call only, with its tokenizer loaded: chunkbench reports its own call's time "
        "(`chunkbench chunk --timing`; its memo of token counts starts empty in every process), the "
        "Python tools are timed around the call after a warm-up call, a fresh chunker built before "
        "each call outside the timer. chunkbench's whole process (start, cl100k load, reading the "
        "file, writing every chunk as a JSON line to /dev/null) is the last column. The Python "
        "chunkers run on one thread (one call at a time); a chunkbench row with more threads "
        "chunks that many documents at once (`chunkbench chunk --jobs N`), as `chunkbench run` does."
    )
    lines.append("")
    if overhead.error or not overhead.process_times:
        lines.append(f"chunkbench's process overhead could not be measured: {overhead.error}.")
    else:
        lines.append(
            f"chunkbench's process overhead, `chunkbench chunk --strategy fixed:size={args.size}` on a "
            f"{tiny_bytes}-byte file (best of {args.runs}): {min(overhead.process_times) * 1e3:.1f} ms, "
            "included in the whole-process column."
        )
    lines.append("")
    lines.append(
        "Chunk counts come from each tool's warm-up call, to show the outputs are of a kind; the "
        "tools cut at different places (separators, sentence rules, whitespace handling), so "
        "their counts are not expected to agree."
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunkbench", default=str(DEFAULT_BINARY),
                    help="the chunkbench binary [default: target/release/chunkbench of the repository]")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--text", nargs="+", metavar="FILE", help="text files to concatenate")
    src.add_argument("--dir", help="concatenate the .md and .txt files of DIR "
                                   "[default: datasets/larkspur/documents]")
    ap.add_argument("--repeat", type=int, default=None,
                    help=f"repeat the text N times [default: enough for {TARGET_BYTES / 1e6:.0f} MB]")
    ap.add_argument("--size", type=int, default=256, help="chunk size in cl100k tokens [default: 256]")
    ap.add_argument("--per-document", action="store_true",
                    help="chunk each file as a document of its own (one call per document), "
                         "instead of all of them joined into one text")
    ap.add_argument("--jobs", type=int, nargs="+", metavar="N",
                    help="chunkbench's files chunked at once (`chunk --jobs`; 0 = one per core), "
                         "each timed as a variant of its own; Python's chunkers run on one thread "
                         "[default: 1, and with --per-document also 0]")
    ap.add_argument("--runs", type=int, default=3, help="timed rounds; the best counts [default: 3]")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--cl100k", metavar="FILE",
                    help="a cl100k_base.tiktoken file to seed tiktoken's cache with "
                         "[default: tiktoken-rs's copy in the Cargo registry, if any]")
    args = ap.parse_args()
    if args.jobs is None:
        args.jobs = [1, 0] if args.per_document else [1]
    if any(j < 0 for j in args.jobs):
        ap.error("--jobs must be 0 (one per core) or more")
    if args.runs < 1 or args.size < 1 or (args.repeat is not None and args.repeat < 1):
        ap.error("--runs, --size and --repeat must be at least 1")

    binary = Path(args.chunkbench)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        log(f"error: no chunkbench binary at {binary}: run `cargo build --release` in the repository "
            "first (or pass --chunkbench PATH)")
        return 2
    args.chunkbench = str(binary)

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    try:
        load = f"{os.getloadavg()[0]:.2f}"
    except OSError:
        load = "?"

    parts, source = load_text(args)
    one_bytes = len("\n\n".join(parts).encode("utf-8"))
    if one_bytes == 0:
        sys.exit("error: the input text is empty")
    repeat = args.repeat or max(1, math.ceil(TARGET_BYTES / one_bytes))
    if args.per_document:
        docs = [p + "\n" for p in parts if p]
    else:
        docs = ["\n\n".join(["\n\n".join(parts)] * repeat) + "\n"]

    tokenizer_source = seed_tiktoken_cache(args.cl100k)
    tmp = Path(tempfile.mkdtemp(prefix="chunkbench-peers-"))
    try:
        files = []
        for i, doc in enumerate(docs):
            files.append(tmp / f"input-{i:04d}.txt")
            files[-1].write_bytes(doc.encode("utf-8"))
        tiny = tmp / "tiny.txt"
        tiny_text = b"Hello world. This is a tiny file.\n"
        tiny.write_bytes(tiny_text)
        # read back, so every tool sees exactly the bytes in the files
        rounds = repeat if args.per_document else 1
        paths = [str(f) for f in files] * rounds
        texts = [f.read_bytes().decode("utf-8") for f in files] * rounds
        n_bytes = sum(len(t.encode("utf-8")) for t in texts)

        tools = all_tools(args.size, args.jobs)
        overhead = Tool("overhead", "chunkbench overhead", strategy=f"fixed:size={args.size}")

        log(f"input: {n_bytes:,} bytes in {len(texts)} document(s); warm-up ...")
        for t in tools:
            warm_up(t, args.chunkbench, paths, texts)
            log(f"  {t.task}: {t.name}: " + (f"failed: {t.error}" if t.error else f"{t.chunks} chunks"))
        warm_up(overhead, args.chunkbench, [str(tiny)], [""])

        everyone = tools + [overhead]
        for r in range(args.runs):
            log(f"round {r + 1}/{args.runs} ...")
            k = r % len(everyone)
            for t in everyone[k:] + everyone[:k]:
                if t is overhead:
                    timed(t, args.chunkbench, [str(tiny)], [""])
                else:
                    timed(t, args.chunkbench, paths, texts)

        table = report(tools, overhead, n_bytes, source, repeat, args, started, load, tokenizer_source,
                       len(tiny_text), len(texts))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    sys.stdout.write(table)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table, encoding="utf-8")
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
