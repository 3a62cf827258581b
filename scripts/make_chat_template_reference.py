#!/usr/bin/env python3
"""Reference renderings of chat templates by transformers' apply_chat_template, for amkd's C++ Jinja.

Usage: python scripts/make_chat_template_reference.py OUTDIR DATADIR [GGUF_FILE]

For each template below, OUTDIR/<name>/ is a tokenizer directory (tokenizer.json and
tokenizer_config.json with the template as chat_template) and OUTDIR/<name>/reference.jsonl holds
one line per conversation and add_generation_prompt:
  {"messages", "add_generation_prompt", "text", "ids", "date"}      rendered and tokenized
  {"messages", "add_generation_prompt", "error", "date"}            raise_exception's message
  ... plus "assistant_mask" for conversations ending with an assistant turn (no generation prompt):
  transformers' return_assistant_tokens_mask, from the same template with {% generation %} around
  what each assistant turn adds (its content and end of turn), token offsets against those spans.
The templates are written in the structure of public chat templates (SmolLM2-Instruct's ChatML with
a default system, Llama-3.2's with header tokens, bos and the date system block, Qwen2.5's without
tools, Mistral-7B-Instruct-v0.1's [INST] with role alternation, Gemma's <start_of_turn> without a
system role). Tokenizers: DATADIR/tokenizers/gpt2 with the templates' special tokens added (ids
50257...), and DATADIR/tokenizers/mistral_v1 (tokenizer.json: Metaspace, so pieces tokenized alone
differ from the whole and amkd masks by character offsets).
With GGUF_FILE (the SmolLM2-135M-Instruct quickstart teacher), OUTDIR/smollm2_gguf/reference.jsonl
holds the same lines for the real template and tokenizer as transformers reads them from the GGUF
file (no masks: that template has no generation markers).
"""
import copy
import json
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from transformers import AutoTokenizer  # noqa: E402

ADDED = ["<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|start_header_id|>",
         "<|end_header_id|>", "<|eot_id|>", "<bos>", "<start_of_turn>", "<end_of_turn>"]

# GEN/ENDGEN become {% generation %}/{% endgeneration %} in the masked variant and nothing otherwise.
SMOLLM2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n'}}"
    "{% if message['role'] == 'assistant' %}GEN{{ message['content'] + '<|im_end|>' + '\n'}}ENDGEN"
    "{% else %}{{ message['content'] + '<|im_end|>' + '\n'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

QWEN2 = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" and not message.tool_calls %}
        {{- '<|im_start|>' + message.role + '\\n' }}GEN{{- message.content + '<|im_end|>' + '\\n' }}ENDGEN
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

LLAMA3 = """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {%- if message.role == 'assistant' %}
            {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}GEN{{- message['content'] | trim + '<|eot_id|>' }}ENDGEN
        {%- else %}
            {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
        {%- endif %}
    {%- else %}
        {{- raise_exception("tool calls are not part of this test template") }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""

MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}GEN{{ message['content'] + eos_token}}ENDGEN"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")

GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' }}"
    "{% if role == 'model' %}GEN{{ message['content'] | trim + '<end_of_turn>\n' }}ENDGEN"
    "{% else %}{{ message['content'] | trim + '<end_of_turn>\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")

# name -> (template, base tokenizer, special tokens for tokenizer_config.json)
CASES = {
    "smollm2": (SMOLLM2, "gpt2", {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
                                  "pad_token": "<|im_end|>", "unk_token": "<|endoftext|>"}),
    "qwen2": (QWEN2, "gpt2", {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    "llama3": (LLAMA3, "gpt2", {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    "mistral": (MISTRAL, "mistral_v1", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
    "gemma": (GEMMA, "gpt2", {"bos_token": "<bos>", "eos_token": "<end_of_turn>",
                              "pad_token": "<|endoftext|>"}),
}

SYSTEM = {"role": "system", "content": "  You answer in one line, café-style. "}
U1 = {"role": "user", "content": "Summarise: tokenizers split text into ids (42 of them)."}
A1 = {"role": "assistant", "content": "Text becomes ids. "}
U2 = {"role": "user", "content": "And back?\n\nNaïve 東京 question 🤖"}
A2 = {"role": "assistant", "content": " Decoding  maps ids to text.\n"}

CONVERSATIONS = [
    ([U1], True), ([U1], False), ([SYSTEM, U1], True), ([SYSTEM, U1], False),
    ([U1, A1], False), ([SYSTEM, U1, A1], False), ([U1, A1, U2], True),
    ([U1, A1, U2, A2], False), ([SYSTEM, U1, A1, U2, A2], False),
    ([U1, U2], True), ([U1, A1, A2], False),
]


def with_added_tokens(src: Path, dst: Path, special: dict, template: str):
    dst.mkdir(parents=True)
    tj = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    if src.name == "gpt2":
        next_id = 1 + max(max(tj["model"]["vocab"].values()), *(t["id"] for t in tj["added_tokens"]))
        for content in ADDED:
            tj["added_tokens"].append({"id": next_id, "content": content, "single_word": False,
                                       "lstrip": False, "rstrip": False, "normalized": False,
                                       "special": True})
            next_id += 1
    (dst / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    config = json.loads((src / "tokenizer_config.json").read_text(encoding="utf-8"))
    for key in ("added_tokens_decoder", "chat_template"):
        config.pop(key, None)
    config.update(special)
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config["chat_template"] = template
    (dst / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2),
                                               encoding="utf-8")


def reference_lines(tok, template_plain, template_gen):
    lines = []
    for messages, gen in CONVERSATIONS:
        row = {"messages": messages, "add_generation_prompt": gen,
               "date": datetime.now().strftime("%d %b %Y")}
        try:
            text = tok.apply_chat_template(copy.deepcopy(messages), tokenize=False,
                                           add_generation_prompt=gen, chat_template=template_plain)
        except Exception as e:  # jinja2.TemplateError from raise_exception
            row["error"] = str(e)
            lines.append(row)
            continue
        ids = tok.apply_chat_template(copy.deepcopy(messages), tokenize=True, add_generation_prompt=gen,
                                      chat_template=template_plain, return_dict=True)["input_ids"]
        assert ids == tok(text, add_special_tokens=False).input_ids
        row["text"], row["ids"] = text, ids
        if template_gen is not None and not gen and messages[-1]["role"] == "assistant":
            out = tok.apply_chat_template(copy.deepcopy(messages), tokenize=True, return_dict=True,
                                          chat_template=template_gen, return_assistant_tokens_mask=True)
            assert out["input_ids"] == ids, "the generation markers changed the rendering"
            row["assistant_mask"] = out["assistant_masks"]
        lines.append(row)
    return lines


def write_lines(path: Path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for row in lines:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    out, data = Path(sys.argv[1]), Path(sys.argv[2])
    gguf = sys.argv[3] if len(sys.argv) > 3 else None
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, (template, base, special) in CASES.items():
        plain = template.replace("ENDGEN", "").replace("GEN", "")
        gen = template.replace("ENDGEN", "{% endgeneration %}").replace("GEN", "{% generation %}")
        with_added_tokens(data / "tokenizers" / base, out / name, special, plain)
        tok = AutoTokenizer.from_pretrained(out / name)
        write_lines(out / name / "reference.jsonl", reference_lines(tok, plain, gen))
    if gguf:
        folder, file = os.path.split(os.path.abspath(gguf))
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        (out / "smollm2_gguf").mkdir()
        write_lines(out / "smollm2_gguf" / "reference.jsonl",
                    reference_lines(tok, tok.chat_template, None))
    print(f"wrote chat template references to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
