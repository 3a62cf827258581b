#!/usr/bin/env python3
"""Reference token ids for amkd's C++ tokenizer, computed by the libraries Hugging Face users run.

Usage:
  python scripts/make_tokenizer_reference.py OUTDIR [DATADIR]
  python scripts/make_tokenizer_reference.py bench OUTDIR/<name> [REPEATS]

Generate mode writes, for each tokenizer below, OUTDIR/<name>/ laid out like a model directory without
weights (tokenizer.json and/or tokenizer.model, tokenizer_config.json, special_tokens_map.json) plus
OUTDIR/<name>/reference.jsonl, one line per text:
  {"text": t, "ids": [...], "ids_special": [...], "decoded": s, "roundtrip": decoded == t}
  gpt2                copied from DATADIR/tokenizers/gpt2 (tokenizer.json, byte-level BPE)
  mistral_json        DATADIR/tokenizers/mistral_v1 without tokenizer.model (HF fast path)
  mistral_sp          DATADIR/tokenizers/mistral_v1 without tokenizer.json (sentencepiece path)
  bpe_trained         byte-level BPE trained here: Split(Llama-3 regex) + ByteLevel(use_regex=False),
                      added special and non-special tokens, TemplateProcessing post-processor
  bpe_nfc             bpe_trained's vocabulary in Qwen2's layout: NFC normalizer, Qwen2's split regex
  sp_bpe_trained      sentencepiece BPE trained here (Llama recipe: identity normalization, byte fallback)
  sp_unigram_trained  sentencepiece unigram trained here (byte fallback, whitespace collapsing left on)
tokenizer.json directories are encoded with `tokenizers.Tokenizer` (truncation and padding switched off),
sentencepiece directories with `sentencepiece.SentencePieceProcessor` (pinned to 0.1.99, the 0.1.x line of
the libsentencepiece amkd links: 0.2.x breaks exact score ties of unigram models differently).

Bench mode times the library on the texts of OUTDIR/<name>/reference.jsonl on one thread and prints one
JSON line per mode, for comparison with amkd's C++ tokenizer on the same texts.

The texts are every distinct instruction/input/output/prompt/question/answer string of
DATADIR/eval/*.jsonl, the lines of the small text files in DATADIR, and ~210 hand-written edge cases.
Everything is deterministic: same inputs, same output bytes.
"""
import os
import sys

# Set before tokenizers is imported anywhere: its thread pool (rayon) reads these once, and bench mode
# must measure one thread. HF_HUB_OFFLINE makes a mistyped directory fail instead of becoming a Hub lookup.
if len(sys.argv) > 1 and sys.argv[1] == "bench":
    os.environ["RAYON_NUM_THREADS"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
from pathlib import Path  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"
TEXT_FIELDS = ("instruction", "input", "output", "prompt", "question", "answer")

# The Llama 3 pre-tokenizer regex (Qwen2's differs only in \p{N} instead of \p{N}{1,3}). Llama-3/Qwen2
# tokenizer.json files put it in a Split pre-tokenizer ahead of ByteLevel(use_regex=False) rather than
# using ByteLevel's built-in GPT-2 regex, so that is the layout amkd must read.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
BPE_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
BPE_PLAIN_ADDED = "<tool>"  # added, not special: matched in text like a special, kept by skip_special_tokens


def edge_cases():
    """Hand-written texts aimed at the places where tokenizer implementations usually diverge."""
    nfc = unicodedata.normalize("NFC", "café naïve Ångström")
    nfd = unicodedata.normalize("NFD", nfc)
    return [
        # Empty and whitespace-only: prefix-space rules and whitespace collapsing show up here first.
        "", " ", "  ", "   ", "\n", "\n\n\n", "\r\n", "\r", "\t", "\t\t", " \n ", "\n ", " \n", "\u00a0",
        "\u3000", "\u2028", "\u200b", "\ufeff",
        # Spaces around words.
        "a", "a b", "a  b", "a   b", "a    b", "   lead", "trail   ", "  both  ", " x", "x ", " x ",
        "Hello world", " Hello world", "Hello  world ", "Hello\nworld", "Hello\n\nworld", "Hello\r\nworld",
        "Hello \n world", "line1\n  indented\n\tTabbed\n", "word\n", "\nword", " \n\n  \t x",
        # Contractions: the regexes special-case them, case-insensitively in Llama 3's.
        "don't", "Don't", "DON'T", "I'LL", "i'll", "it's", "IT'S", "we've", "they're", "I'm", "she'd",
        "can't won't shouldn't", "'s", "'S", "rock 'n' roll", "o'clock", "\u2019s it\u2019s don\u2019t",
        # Digits: \p{N}{1,3} chunks, sentencepiece split_digits, full-width and non-ASCII digits.
        "0", "7", "12", "123", "1234", "12345", "1234567890123456789", "3.14159", "-42", "+1e-10",
        "1,000,000", "$1,234.56", "2024-01-15", "10:30pm", "v1.2.3", "0x1F", "\uff13", "\uff11\uff12\uff13",
        "\u0663\u0664\u0665", "\u096b\u096c", "\u00bd \u00b2 \u2167", "a1b2c3", "abc123def",
        # Scripts.
        "你好，世界！", "日本語のテキストです。", "한국어 문장", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
        "สวัสดีชาวโลก", "Привет, мир!", "Γειά σου Κόσμε", "Straße über été", "Tiếng Việt", "ქართული", "Այո",
        "mixed \u4e2d\u6587 and English", "\u0410\u0411\u0412abc\u0430\u0431\u0432",
        # Composition: NFC and NFD of the same words, combining marks, joiners.
        nfc, nfd, "e\u0301", "\u00e9", "a\u0300\u0301\u0302", "\u0915\u094d\u200d\u0937", "a\u200db", "a\u200cb",
        "\u0301", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f",
        # Emoji: multi-codepoint sequences that byte-level BPE splits mid-character.
        "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f1fa\U0001f1f8\U0001f1ef\U0001f1f5",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\u2764\ufe0f", "I \u2764\ufe0f NY",
        "\U0001f3f3\ufe0f\u200d\U0001f308", "emoji\U0001f600in\U0001f601text", "\U0001f600\U0001f600\U0001f600",
        # Code with tabs and indentation.
        "def f(x):\n    return x * 2\n",
        "def g(a, b):\n\tif a:\n\t\treturn b\n\treturn None\n",
        "#include <stdio.h>\nint main(void) {\n  printf(\"hi\\n\");\n  return 0;\n}\n",
        '{"key": [1, 2, 3], "nested": {"a": null, "b": true}}',
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "x = {'a': 1}  # comment\n\n\nclass A:\n    pass",
        "    indented four\n        eight\n", "if(a&&b||!c){x->y=z>>2;}", "SELECT * FROM t WHERE id=1;",
        "<div class=\"x\">&amp;&lt;</div>", "path/to/file.txt C:\\Windows\\System32", "https://example.com/a?b=c&d=e",
        "user@example.com", "#hashtag @mention", "snake_case camelCase PascalCase kebab-case",
        # Special-token strings inside text: matched as specials by `tokenizers`, plain text for sentencepiece.
        "<s>", "</s>", "<unk>", "<s></s>", "<s>hello</s>", " <s> x", "a <s> b", "hello<s>world", "<s> ",
        "<|endoftext|>", "hello<|endoftext|>world", " <|endoftext|> ", "<|endoftext|><|endoftext|>",
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "<|im_start|>", "<|endoftext",
        "<|ENDOFTEXT|>", "<tool>", "call <tool> now", "x<tool>y", "<tool><tool>", " <tool> ", "<tool", "<TOOL>",
        "<0x41>", "[INST] hi [/INST]",
        # The sentencepiece whitespace marker written literally, and byte-fallback look-alikes.
        "\u2581", "\u2581\u2581", "a\u2581b", "\u2581hello", "hello \u2581 world", " \u2581", "\u0120hello \u010a",
        # Control characters and other odd code points.
        "\x00", "a\x00b", "\x07", "bell\x07ring", "\x1b[31mred\x1b[0m", "\x7f", "\x0b\x0c", "\x85",
        "\ufffd", "\U0010ffff", "\ue000", "\U0001d400\U0001d401", "\u00ad", "\u2063",
        # Punctuation runs and repeats.
        "!!!", "???!!!", "...", "\u2026", "---", "===", "'''", '"""', "hello!!! world???", "(a) [b] {c}",
        "\u201cquoted\u201d \u2018single\u2019", "\u00ab\u00bb \u2014 \u2013", "a/b\\c|d", "~`^_*",
        # Long words and long runs, to exercise many merges in one pre-token.
        "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
        "a" * 300, "ab" * 200, " " * 100, "\n" * 40, "x" + " " * 17 + "y", "\u4e2d" * 50, "\U0001f600" * 20,
        "abcdefghijklmnopqrstuvwxyz" * 8, "9" * 64, "-" * 80, "=" * 33 + "\n",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
        "labore et dolore magna aliqua.",
        # Casing.
        "HELLO WORLD", "hELLO wORLD", "The THE the", "McDonald's iPhone", "A.B.C.", "U.S.A.",
    ]


def collect_data_texts(data_dir):
    """Strings from the eval sets (in file and field order) and lines of the small text files in data/."""
    texts = []
    for path in sorted((data_dir / "eval").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                for key in TEXT_FIELDS:
                    value = record.get(key)
                    for v in value if isinstance(value, list) else [value]:
                        if isinstance(v, str):
                            texts.append(v)
    for path in sorted(data_dir.rglob("*")):
        # Tokenizer files are inputs, not text; skipping their folder keeps the text set fixed when one is added.
        if (not path.is_file() or "tokenizers" in path.relative_to(data_dir).parts
                or path.suffix in (".jsonl", ".json", ".bin", ".model") or path.stat().st_size > 1 << 20):
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        texts.extend(content.split("\n"))
    return texts


def build_texts(data_dir):
    """Edge cases first, then data texts; distinct except that "" is kept twice on purpose (first edge
    case and last line), so readers see an empty text both in the middle and at the end of the file."""
    out, seen = [], set()
    for t in edge_cases() + collect_data_texts(data_dir):
        if t not in seen:
            seen.add(t)
            out.append(t)
    out.append("")
    return out


def training_lines(data_texts, limit, max_chars=2000):
    """Non-empty lines of the data texts, every k-th so all eval sets are represented; sentencepiece is
    trained on lines (as Llama's was), which is why it has no "\\n" piece and falls back to <0x0A>."""
    lines = [ln for t in data_texts for ln in t.split("\n") if ln.strip()]
    step = max(1, len(lines) // limit)
    return [ln[:max_chars] for ln in lines[::step][:limit]]


# ---------------------------------------------------------------------------------------------------------
# Tokenizer directories


def copy_files(src, dst, names):
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copyfile(src / n, dst / n)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def train_bpe(out_dir, corpus):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    # initial_alphabet: all 256 byte symbols get a token even if the corpus lacks them, so no text can
    # hit a missing symbol (the model has no unk token).
    trainer = trainers.BpeTrainer(vocab_size=2000, min_frequency=2, show_progress=False,
                                  special_tokens=BPE_SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    bos = BPE_SPECIALS[0]
    # Llama 3's layout: ByteLevel (offsets only) then a template that prepends the bos token.
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1",
                                      special_tokens=[(bos, tok.token_to_id(bos))]),
    ])
    # Like Qwen2.5's <tool_call>: matched as a unit in text but not special (survives skip_special_tokens).
    tok.add_tokens([AddedToken(BPE_PLAIN_ADDED, special=False, normalized=False)])
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    added = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                       "single_word": False, "special": t != BPE_PLAIN_ADDED}
             for t in BPE_SPECIALS + [BPE_PLAIN_ADDED]}
    write_json(out_dir / "tokenizer_config.json", {
        "added_tokens_decoder": added, "bos_token": bos, "eos_token": "<|im_end|>", "pad_token": None,
        "unk_token": None, "clean_up_tokenization_spaces": False, "model_max_length": 4096,
        "tokenizer_class": "PreTrainedTokenizerFast"})
    write_json(out_dir / "special_tokens_map.json", {"bos_token": bos, "eos_token": "<|im_end|>"})


def train_sentencepiece(out_dir, lines, model_type):
    import sentencepiece as spm

    if hasattr(spm, "set_random_generator_seed"):
        spm.set_random_generator_seed(20240101)
    common = dict(vocab_size=1000, model_type=model_type, byte_fallback=True, character_coverage=0.9995,
                  normalization_rule_name="identity", unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                  num_threads=1,  # one thread: the unigram EM sums in thread order
                  input_sentence_size=0, shuffle_input_sentence=False, max_sentence_length=8192)
    if model_type == "bpe":
        # The Llama / Mistral recipe: no whitespace collapsing, digits split one by one, pieces of spaces.
        common.update(remove_extra_whitespaces=False, split_digits=True, allow_whitespace_only_pieces=True)
    # The unigram model keeps sentencepiece's default remove_extra_whitespaces=true: a .model reader has to
    # honour normalizer_spec, and this is the flag models in the wild flip most (T5, ALBERT, XLNet).
    model = io.BytesIO()
    with open(os.devnull, "w") as quiet:
        spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, logstream=quiet, **common)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tokenizer.model").write_bytes(model.getvalue())
    write_sp_config(out_dir)


def write_sp_config(out_dir):
    write_json(out_dir / "tokenizer_config.json", {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "pad_token": None, "legacy": True, "clean_up_tokenization_spaces": False,
        "tokenizer_class": "LlamaTokenizer", "model_max_length": 4096})
    write_json(out_dir / "special_tokens_map.json", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})


def make_qwen2_style(src, dst):
    """Qwen2's tokenizer.json layout on the trained vocabulary: an NFC normalizer, Qwen2's split regex
    (single \\p{N} digits), ByteLevel without its own regex, and no BOS post-processor."""
    copy_files(src, dst, ["tokenizer_config.json", "special_tokens_map.json"])
    with open(src / "tokenizer.json", encoding="utf-8") as f:
        tok = json.load(f)
    tok["normalizer"] = {"type": "NFC"}
    tok["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")
    tok["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    write_json(dst / "tokenizer.json", tok)


def build_dirs(out, data_dir, data_texts):
    """Returns {name: seconds spent building}."""
    timings = {}
    t0 = time.perf_counter()
    gpt2, mistral = data_dir / "tokenizers" / "gpt2", data_dir / "tokenizers" / "mistral_v1"
    configs = ["tokenizer_config.json", "special_tokens_map.json"]
    copy_files(gpt2, out / "gpt2", ["tokenizer.json"] + configs)
    copy_files(mistral, out / "mistral_json", ["tokenizer.json"] + configs)
    copy_files(mistral, out / "mistral_sp", ["tokenizer.model"] + configs)
    timings["copies"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_bpe(out / "bpe_trained", data_texts)
    timings["bpe_trained"] = time.perf_counter() - t0
    make_qwen2_style(out / "bpe_trained", out / "bpe_nfc")
    lines = training_lines(data_texts, 6000)
    for name, model_type in (("sp_bpe_trained", "bpe"), ("sp_unigram_trained", "unigram")):
        t0 = time.perf_counter()
        train_sentencepiece(out / name, lines, model_type)
        timings[name] = time.perf_counter() - t0
    return timings


# ---------------------------------------------------------------------------------------------------------
# Encoding with the reference libraries


def load_hf(dir_):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(dir_ / "tokenizer.json"))
    # gpt2's tokenizer.json carries truncation (64) and fixed padding (64); amkd ignores both.
    tok.no_truncation()
    tok.no_padding()
    return tok


def load_sp(dir_):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(dir_ / "tokenizer.model"))


def encode_dir(dir_, texts):
    """Rows of reference.jsonl for one tokenizer directory."""
    if (dir_ / "tokenizer.json").exists():
        tok = load_hf(dir_)
        plain = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
        special = [e.ids for e in tok.encode_batch(texts, add_special_tokens=True)]
        decoded = tok.decode_batch(plain, skip_special_tokens=False)
    else:
        sp = load_sp(dir_)
        cfg = json.loads((dir_ / "tokenizer_config.json").read_text(encoding="utf-8"))
        prefix = [sp.piece_to_id(cfg["bos_token"])] if cfg.get("add_bos_token", True) else []
        suffix = [sp.piece_to_id(cfg["eos_token"])] if cfg.get("add_eos_token", False) else []
        plain = sp.encode(texts, out_type=int)
        special = [prefix + ids + suffix for ids in plain]
        decoded = sp.decode(plain)
    return [{"text": t, "ids": a, "ids_special": b, "decoded": d, "roundtrip": d == t}
            for t, a, b, d in zip(texts, plain, special, decoded)]


def write_reference(dir_, rows):
    # ensure_ascii=False: raw UTF-8 like tokenizer.json itself; json still escapes control characters,
    # so one record is one "\n"-terminated line (U+2028/U+2029 stay raw: split on "\n" only).
    with open(dir_ / "reference.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------------------
# Modes


def generate(out, data_dir):
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    data_texts = collect_data_texts(data_dir)
    texts = build_texts(data_dir)
    n_edge = len(edge_cases())
    print(f"texts: {len(texts)} = {n_edge} hand-written + {len(texts) - n_edge - 1} more from {data_dir} "
          f"+ a final empty string", flush=True)
    build_times = build_dirs(out, data_dir, data_texts)
    print("built: " + ", ".join(f"{k} {v:.2f}s" for k, v in build_times.items()), flush=True)
    for name in ("gpt2", "mistral_json", "mistral_sp", "bpe_trained", "bpe_nfc", "sp_bpe_trained", "sp_unigram_trained"):
        t0 = time.perf_counter()
        rows = encode_dir(out / name, texts)
        write_reference(out / name, rows)
        print(f"{name}: texts_count={len(rows)} roundtrip_true={sum(r['roundtrip'] for r in rows)} "
              f"tokens={sum(len(r['ids']) for r in rows)} time={time.perf_counter() - t0:.2f}s", flush=True)
    print(f"total {time.perf_counter() - start:.1f}s")


def bench(dir_, repeats):
    texts = []
    with open(dir_ / "reference.jsonl", encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    if (dir_ / "tokenizer.json").exists():
        tok = load_hf(dir_)
        impl = "hf-tokenizers"
        modes = {"encode-loop": lambda: [tok.encode(t, add_special_tokens=False) for t in texts],
                 "encode_batch-1-thread": lambda: tok.encode_batch(texts, add_special_tokens=False)}
    else:
        sp = load_sp(dir_)
        impl = "sentencepiece"
        modes = {"encode-loop": lambda: [sp.encode(t) for t in texts],
                 "encode_batch-1-thread": lambda: sp.encode(texts, num_threads=1)}
    for mode, fn in modes.items():
        fn()  # warm-up: first-call allocations and caches are not what the C++ side is compared with
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"impl": impl, "tokenizer": dir_.name, "mode": mode, "lines": len(texts), "bytes": nbytes,
                          "seconds": round(best, 4), "lines_per_s": round(len(texts) / best, 1),
                          "mb_per_s": round(nbytes / best / 1e6, 2), "repeats": repeats,
                          "add_special_tokens": False}), flush=True)


def main(argv):
    if len(argv) in (2, 3) and argv[0] == "bench":
        bench(Path(argv[1]), int(argv[2]) if len(argv) > 2 else 3)
        return
    if len(argv) in (1, 2) and argv[0] != "bench" and not argv[0].startswith("-"):
        generate(Path(argv[0]), Path(argv[1]) if len(argv) == 2 else DEFAULT_DATA)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
