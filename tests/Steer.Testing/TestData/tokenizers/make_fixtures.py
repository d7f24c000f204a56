"""Writes the small tokenizer.json fixtures of the Hugging Face tokenizer tests (see ../README.md).

Each vocabulary is chosen by hand below: the byte alphabet plus the words listed, whose merges are made left to
right, after a few common pairs that take priority. Run: python3 make_fixtures.py (writes beside this file).
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

B2C = byte_alphabet()

def to_byte_level(text):
    return "".join(B2C[b] for b in text.encode("utf-8"))

def build(base, words, common_pairs):
    vocab = {t: i for i, t in enumerate(base)}
    merges = []
    def add(a, b):
        if (a, b) in merges: return
        for t in (a, b):
            assert t in vocab, t
        merges.append((a, b))
        if a + b not in vocab: vocab[a + b] = len(vocab)
    for a, b in common_pairs: add(a, b)
    for w in words:
        acc = w[0]
        for c in w[1:]:
            add(acc, c); acc += c
    return vocab, merges

ENGLISH = ["Hello", "hello", "world", "the", "The", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
           "can", "don", "is", "test", "token", "izer", "steer", "ing", "love", "hate", "you", "and", "of"]

def byte_level_model(words, merges_as_pairs, ignore_merges, extra_vocab=()):
    base = [B2C[b] for b in range(256)]
    pieces = []
    for w in words:
        pieces += [to_byte_level(w), to_byte_level(" " + w)]
    pieces += [to_byte_level(x) for x in ["'s", "'t", "'re", "12", "123", "\n\n", "  ", "中", "文", "中文", "é", "!", "."]]
    common = [("Ġ", "t"), ("h", "e"), ("i", "n"), ("e", "r"), ("o", "n"), ("l", "l")]
    vocab, merges = build(base, pieces, common)
    for t in extra_vocab:
        vocab.setdefault(t, len(vocab))
    return {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
            "vocab": vocab, "merges": [list(m) if merges_as_pairs else f"{m[0]} {m[1]}" for m in merges]}

def added(id, content, special=True, lstrip=False, rstrip=False, normalized=False):
    return {"id": id, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}

LLAMA3_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

def split_byte_level(regex):
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}

def llama3():
    # "Ġsteering" is in the vocabulary but no merge makes it: with ignore_merges it is still one token.
    model = byte_level_model(ENGLISH, merges_as_pairs=False, ignore_merges=True, extra_vocab=["Ġsteering"])
    n = len(model["vocab"])
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eot_id|>"]
    tok = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [added(n + i, s) for i, s in enumerate(specials)],
           "normalizer": None, "pre_tokenizer": split_byte_level(LLAMA3_REGEX),
           "post_processor": {"type": "Sequence", "processors": [
               {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
               {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [n], "tokens": ["<|begin_of_text|>"]}}}]},
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
           "model": model}
    config = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "clean_up_tokenization_spaces": True,
              "model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"}
    return tok, config

def qwen():
    model = byte_level_model(ENGLISH, merges_as_pairs=True, ignore_merges=False)
    n = len(model["vocab"])
    tokens = [added(n, "<|endoftext|>"), added(n + 1, "<|im_start|>"), added(n + 2, "<|im_end|>"),
              added(n + 3, "<tool_call>", special=False), added(n + 4, "</tool_call>", special=False)]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens,
           "normalizer": {"type": "NFC"}, "pre_tokenizer": split_byte_level(QWEN_REGEX),
           "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
           "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
           "model": model}
    config = {"add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
              "unk_token": None, "errors": "replace", "model_max_length": 131072, "tokenizer_class": "Qwen2Tokenizer"}
    return tok, config

def sentencepiece_model():
    base = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    chars = list("▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-") + ["中", "é"]
    base += [c for c in chars if c not in base]
    pieces = ["▁" + w for w in ENGLISH] + ENGLISH + ["▁▁", "▁▁▁▁", "'s", "n't", "12", "▁1"]
    common = [("▁", "t"), ("h", "e"), ("i", "n"), ("e", "r"), ("o", "n"), ("l", "l")]
    vocab, merges = build(base, pieces, common)
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}

SP_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}

def bos_template():
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}

SP_SPECIALS = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")]

def llama2():
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": SP_SPECIALS,
           "normalizer": {"type": "Sequence", "normalizers": [
               {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
           "pre_tokenizer": None, "post_processor": bos_template(), "decoder": SP_DECODER, "model": sentencepiece_model()}
    config = {"add_bos_token": True, "add_eos_token": False,
              "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
              "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
              "pad_token": None, "unk_token": "<unk>", "legacy": True, "tokenizer_class": "LlamaTokenizer"}
    return tok, config

def mistral():
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": SP_SPECIALS,
           "normalizer": None,
           "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
           "post_processor": bos_template(), "decoder": SP_DECODER, "model": sentencepiece_model()}
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
              "pad_token": None, "unk_token": "<unk>", "legacy": False}
    return tok, config

def metaspace_always():
    # A variant of the Metaspace form: prepend_scheme "always", split on "▁", the Metaspace decoder (which does
    # not turn <0xNN> tokens back into bytes), and a non-special added token that swallows the space before it.
    model = sentencepiece_model()
    tokens = SP_SPECIALS + [added(len(model["vocab"]), "<mask>", special=False, lstrip=True)]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens, "normalizer": None,
           "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
           "post_processor": None,
           "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
           "model": model}
    return tok, None

for name, make in [("llama3", llama3), ("qwen2", qwen), ("llama2", llama2), ("mistral", mistral), ("metaspace-always", metaspace_always)]:
    tok, config = make()
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
    if config is not None:
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=1)
    print(name, len(tok["model"]["vocab"]), "tokens", len(tok["model"]["merges"]), "merges")
