#include "catch_torch.h"

#include <ctime>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "data/instruction_data.h"
#include "data/training_set.h"
#include "model/gguf_file.h"
#include "test_paths.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/prompt_template.h"

using namespace amkd;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path reference_dir() {
  return test::work_dir() / "chat_template_reference";
}

std::vector<json> read_rows(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  return rows;
}

std::vector<ChatMessage> messages_of(const json& row) {
  std::vector<ChatMessage> out;
  for (const auto& m : row["messages"]) out.push_back({m["role"], m["content"]});
  return out;
}

std::string today() {  // strftime_now("%d %b %Y") as the Llama-3 template calls it
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, "%d %b %Y", &local));
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A tokenizer directory: the reference's `name` (tokenizer.json and tokenizer_config.json) with
// the config's chat_template replaced (json null: removed).
fs::path tokenizer_copy(const std::string& name, const std::string& scratch,
                        const json& chat_template) {
  const fs::path dir = test::scratch(scratch);
  fs::copy_file(reference_dir() / name / "tokenizer.json", dir / "tokenizer.json");
  json config = json::parse(std::ifstream(reference_dir() / name / "tokenizer_config.json"));
  if (chat_template.is_null())
    config.erase("chat_template");
  else
    config["chat_template"] = chat_template;
  write(dir / "tokenizer_config.json", config.dump());
  return dir;
}

// Compares one reference directory's rows (written by scripts/make_chat_template_reference.py
// with transformers' apply_chat_template) with amkd's rendering, ids and masks.
void check_against_reference(const std::string& name, const std::string& tokenizer_dir,
                             bool expect_offset_mask) {
  const auto tok = load_tokenizer(tokenizer_dir);
  const ChatTemplate tmpl = ChatTemplate::load(tokenizer_dir);
  const auto rows = read_rows(reference_dir() / name / "reference.jsonl");
  REQUIRE(rows.size() >= 10);
  int rendered = 0, refused = 0, masked = 0;
  for (const json& row : rows) {
    INFO(name << ": " << row["messages"].dump() << " add_generation_prompt "
              << row["add_generation_prompt"]);
    const auto messages = messages_of(row);
    const bool gen = row["add_generation_prompt"];
    if (row.contains("error")) {
      try {
        tmpl.render(messages, gen);
        FAIL("rendered where transformers raised " << row["error"]);
      } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::EndsWith(": " + row["error"].get<std::string>()));
        CHECK_THAT(e.what(), Catch::Contains("chat_template line"));
      }
      ++refused;
      continue;
    }
    if (row["date"] != today()) {  // the reference was made on another day: dates differ
      WARN("reference made on " << row["date"] << ", skipped");
      continue;
    }
    const std::string text = tmpl.render(messages, gen);
    CHECK(text == row["text"].get<std::string>());
    CHECK(tok->encode(text, false) == row["ids"].get<std::vector<int64_t>>());
    ++rendered;
    if (row.contains("assistant_mask")) {
      const ChatEncoding enc = encode_chat(*tok, tmpl, messages);
      CHECK(enc.example.ids == row["ids"].get<std::vector<int64_t>>());
      const auto want = row["assistant_mask"].get<std::vector<int>>();
      CHECK(std::vector<int>(enc.example.loss_mask.begin(), enc.example.loss_mask.end()) == want);
      CHECK(enc.offset_mask == expect_offset_mask);
      const auto first = std::find(want.begin(), want.end(), 1) - want.begin();
      CHECK(enc.example.prompt_length == first);
      ++masked;
    }
  }
  CHECK(rendered >= 5);
  CHECK(masked >= 2);
  (void)refused;
}

}  // namespace

// scripts/make_chat_template_reference.py: templates in the structure of SmolLM2's, Qwen2's,
// Llama-3's, Mistral's and Gemma's, rendered and tokenized by transformers; assistant masks from
// transformers' return_assistant_tokens_mask ({% generation %} around what each assistant turn
// adds).
TEST_CASE("chat templates render, tokenize and mask as transformers' apply_chat_template",
          "[chat][reference]") {
  for (const std::string name : {"smollm2", "qwen2", "gemma"}) {
    SECTION(name) {
      check_against_reference(name, (reference_dir() / name).string(), false);
    }
  }
  // Pieces tokenized alone differ from the whole, so the masks come from character offsets:
  // GPT-2's pre-tokenizer keeps "\n\n" together at the end of a piece but splits it before a word
  // (Llama-3's header ends "\n\n"); Mistral's tokenizer.json marks the start of every piece.
  for (const std::string name : {"llama3", "mistral"}) {
    SECTION(name) {
      check_against_reference(name, (reference_dir() / name).string(), true);
    }
  }
}

TEST_CASE("raise_exception paths of the Mistral and Gemma templates reach the caller", "[chat]") {
  const ChatTemplate mistral = ChatTemplate::load((reference_dir() / "mistral").string());
  const ChatTemplate gemma = ChatTemplate::load((reference_dir() / "gemma").string());
  const std::vector<ChatMessage> twice_user = {{"user", "a"}, {"user", "b"}};
  const std::vector<ChatMessage> system = {{"system", "s"}, {"user", "a"}};
  CHECK_THROWS_WITH(
      mistral.render(twice_user, true),
      Catch::EndsWith("Conversation roles must alternate user/assistant/user/assistant/..."));
  CHECK_THROWS_WITH(gemma.render(system, true), Catch::EndsWith("System role not supported"));
  CHECK_THROWS_WITH(
      gemma.render(system, true),
      Catch::StartsWith((reference_dir() / "gemma" / "tokenizer_config.json").string() +
                        ": chat_template line 1: "));
}

TEST_CASE("the SmolLM2 GGUF chat template converts and renders as transformers reads it",
          "[chat][gguf]") {
  const char* env = std::getenv("AMKD_TEACHER_GGUF");
  const char* home = std::getenv("HOME");
  const fs::path gguf =
      env ? fs::path(env)
          : fs::path(home ? home : "") / ".cache/amkd/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(reference_dir() / "smollm2_gguf" / "reference.jsonl") || !fs::exists(gguf)) {
    WARN("no SmolLM2 GGUF teacher (scripts/fetch_teacher.sh): skipped");
    return;
  }
  const fs::path dir = test::scratch("chat_smollm2_gguf");
  for (const auto& [file, text] :
       tokenizer_files_from_gguf(GgufFile(gguf.string()).metadata(), gguf.string()))
    write(dir / file, text);
  const auto tok = load_tokenizer(dir.string());
  const ChatTemplate tmpl = ChatTemplate::load(dir.string());
  int checked = 0;
  for (const json& row : read_rows(reference_dir() / "smollm2_gguf" / "reference.jsonl")) {
    if (row.contains("error")) continue;
    INFO(row["messages"].dump());
    const std::string text = tmpl.render(messages_of(row), row["add_generation_prompt"]);
    CHECK(text == row["text"].get<std::string>());
    CHECK(tok->encode(text, false) == row["ids"].get<std::vector<int64_t>>());
    ++checked;
  }
  CHECK(checked >= 10);
  // The assistant turns end with <|im_end|>, the tokenizer's EOS: generation stops there.
  const auto im_end = tok->id_of("<|im_end|>");
  REQUIRE(im_end);
  CHECK(end_of_turn_id(*tok, tmpl) == im_end);
  CHECK(tok->special().eos == im_end);
  const ChatEncoding enc = encode_chat(*tok, tmpl, {{"user", "Hi"}, {"assistant", "Hello there."}});
  CHECK_FALSE(enc.offset_mask);
  std::vector<int64_t> response(enc.example.ids.begin() + enc.example.prompt_length,
                                enc.example.ids.end());
  CHECK(tok->decode(response) == "Hello there.<|im_end|>\n");
  CHECK(std::count(enc.example.loss_mask.begin(), enc.example.loss_mask.end(), 1) ==
        static_cast<int64_t>(response.size()));
}

TEST_CASE("end-of-turn tokens of the templates are their special tokens", "[chat]") {
  const std::pair<const char*, const char*> ends[] = {{"smollm2", "<|im_end|>"},
                                                      {"qwen2", "<|im_end|>"},
                                                      {"llama3", "<|eot_id|>"},
                                                      {"gemma", "<end_of_turn>"},
                                                      {"mistral", "</s>"}};
  for (const auto& [name, token] : ends) {
    INFO(name);
    const std::string dir = (reference_dir() / name).string();
    const auto tok = load_tokenizer(dir);
    CHECK(end_of_turn_id(*tok, ChatTemplate::load(dir)) == tok->id_of(token));
  }
}

TEST_CASE("where the chat template comes from, and when there is none", "[chat]") {
  const std::string chatml =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  const std::vector<ChatMessage> hi = {{"user", "hi"}};
  SECTION("a list of named templates: the default one") {
    const fs::path dir = tokenizer_copy("smollm2", "chat_named",
                                        json::array({{{"name", "tool_use"}, {"template", "TOOLS"}},
                                                     {{"name", "default"}, {"template", chatml}}}));
    CHECK(ChatTemplate::load(dir.string()).render(hi, true) ==
          "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  SECTION("named templates without a default") {
    const fs::path dir = tokenizer_copy("smollm2", "chat_named_nodefault",
                                        json::array({{{"name", "rag"}, {"template", "R"}}}));
    CHECK_THROWS_WITH(ChatTemplate::load(dir.string()),
                      Catch::Contains("tokenizer_config.json: chat_template lists named templates "
                                      "but none is named \"default\""));
  }
  SECTION("chat_template.jinja beside tokenizer_config.json wins, as in transformers") {
    const fs::path dir = tokenizer_copy("smollm2", "chat_jinja_file", "IGNORED");
    write(dir / "chat_template.jinja", chatml + "\n");
    CHECK(ChatTemplate::load(dir.string()).render(hi, false) == "<|im_start|>user\nhi<|im_end|>\n");
    write(dir / "chat_template.jinja", "line one\n{% macro m() %}{% endmacro %}");
    CHECK_THROWS_WITH(ChatTemplate::load(dir.string()),
                      (dir / "chat_template.jinja").string() +
                          ": chat_template line 2: unsupported Jinja construct 'macro'");
  }
  SECTION("no template: an InputError naming the directory, also through data.template: chat") {
    const fs::path dir = tokenizer_copy("smollm2", "chat_missing", nullptr);
    CHECK_THROWS_WITH(
        ChatTemplate::load(dir.string()),
        Catch::StartsWith(dir.string() +
                          ": data.template: chat needs the tokenizer's chat template"));
    const auto tok = load_tokenizer(dir.string());
    CHECK_THROWS_AS(PromptTemplate("chat", "data.template", *tok), InputError);
    CHECK_NOTHROW(PromptTemplate("chat", "data.template"));  // the recipe check alone
  }
  SECTION("a template with bad syntax is refused when the recipe binds it") {
    const fs::path dir = tokenizer_copy("smollm2", "chat_bad", "{% if messages %}never closed");
    const auto tok = load_tokenizer(dir.string());
    CHECK_THROWS_WITH(
        PromptTemplate("chat", "data.template", *tok),
        Catch::Contains("chat_template line 1: 'if' is not closed (expected 'endif')"));
  }
}

TEST_CASE("data.template: chat renders prompts as apply_chat_template with the generation prompt",
          "[chat][template]") {
  const std::string dir = (reference_dir() / "qwen2").string();
  const auto tok = load_tokenizer(dir);
  const PromptTemplate chat("chat", "data.template", *tok);
  const ChatTemplate raw = ChatTemplate::load(dir);
  CHECK(chat.is_chat());
  CHECK(chat.render("Do this.", "With that.") ==
        raw.render({{"user", "Do this.\n\nWith that."}}, true));
  CHECK(chat.render("Do this.", "", "Be brief.") ==
        raw.render({{"system", "Be brief."}, {"user", "Do this."}}, true));
  // The template places the special tokens: no BOS added on top (Llama-3 puts bos_token itself).
  const std::string llama = (reference_dir() / "llama3").string();
  const auto llama_tok = load_tokenizer(llama);
  const PromptTemplate llama_chat("chat", "data.template", *llama_tok);
  const auto ids = llama_chat.prompt_ids(*llama_tok, llama_chat.render("Hi", ""));
  CHECK(std::count(ids.begin(), ids.end(), *llama_tok->id_of("<|begin_of_text|>")) == 1);
  CHECK(ids.front() == *llama_tok->id_of("<|begin_of_text|>"));
  // Unbound (as recipe validation builds it), a chat template cannot render.
  CHECK_THROWS_AS(PromptTemplate("chat", "data.template").render("a", ""), std::logic_error);
  CHECK(PromptTemplate("chat", "x").bound_to(*tok).render("Do this.", "With that.") ==
        chat.render("Do this.", "With that."));
}

TEST_CASE("training sets with data.template: chat mask every assistant turn of messages data",
          "[chat][data]") {
  const std::string dir = (reference_dir() / "smollm2").string();
  const auto tok = load_tokenizer(dir);
  const fs::path data = test::scratch("chat_training") / "chat.jsonl";
  write(data, json({{"messages",
                     {{{"role", "system"}, {"content", "Be brief."}},
                      {{"role", "user"}, {"content", "Hi"}},
                      {{"role", "assistant"}, {"content", "Hello."}},
                      {{"role", "user"}, {"content", "Bye"}},
                      {{"role", "assistant"}, {"content", "Goodbye."}},
                      {{"role", "user"}, {"content", "unanswered"}}}}})
                      .dump() +
                  "\n" +
                  json({{"instruction", "Add"}, {"input", "1 and 2"}, {"output", "3"}}).dump() +
                  "\n");
  const auto examples = load_instruction_data(data.string()).examples;
  REQUIRE(examples.size() == 2);
  CHECK(examples[0].system == "Be brief.");
  CHECK(examples[0].messages.size() == 6);

  const PromptTemplate chat("chat", "data.template", *tok);
  const EncodedSet set = encode_training_set(*tok, chat, examples, {256, 512, false});
  REQUIRE(set.examples.size() == 2);
  CHECK(set.offset_masks == 0);
  const EncodedExample& conv = set.examples[0];
  // Masked runs decode to each assistant turn's content and end of turn; the prompt and the user
  // turns (and the unanswered last user turn, dropped) carry no loss.
  std::vector<std::string> runs;
  for (size_t k = 0; k < conv.ids.size(); ++k) {
    if (!conv.loss_mask[k]) continue;
    size_t e = k;
    while (e < conv.ids.size() && conv.loss_mask[e]) ++e;
    runs.push_back(tok->decode({conv.ids.begin() + static_cast<std::ptrdiff_t>(k),
                                conv.ids.begin() + static_cast<std::ptrdiff_t>(e)}));
    k = e;
  }
  CHECK(runs == std::vector<std::string>{"Hello.<|im_end|>\n", "Goodbye.<|im_end|>\n"});
  const ChatTemplate raw = ChatTemplate::load(dir);
  CHECK(tok->decode(conv.ids) ==
        raw.render(
            std::vector<ChatMessage>(examples[0].messages.begin(), examples[0].messages.end() - 1),
            false));
  CHECK(tok->decode({conv.ids.begin(), conv.ids.begin() + conv.prompt_length}) ==
        raw.render({{"system", "Be brief."}, {"user", "Hi"}}, true));
  CHECK(set.response_tokens ==
        std::count(conv.loss_mask.begin(), conv.loss_mask.end(), 1) +
            std::count(set.examples[1].loss_mask.begin(), set.examples[1].loss_mask.end(), 1));
  // Single-turn data: [user: instruction + "\n\n" + input, assistant: output]; the response ends
  // with the template's end of turn, not an appended EOS.
  const EncodedExample& single = set.examples[1];
  CHECK(tok->decode({single.ids.begin() + single.prompt_length, single.ids.end()}) ==
        "3<|im_end|>\n");
  CHECK(tok->decode({single.ids.begin(), single.ids.begin() + single.prompt_length}) ==
        chat.render("Add", "1 and 2"));

  // Other templates keep the first user turn and the assistant turn after it.
  const EncodedSet plain =
      encode_training_set(*tok, PromptTemplate("chatml", "t"), examples, {256, 512, false});
  CHECK(tok->decode({plain.examples[0].ids.begin() + plain.examples[0].prompt_length,
                     plain.examples[0].ids.end()}) == "Hello.<|im_end|>");

  // data.on_long: a conversation over the limits is cut (prompt beginning, then the end) or
  // skipped.
  const int64_t n = static_cast<int64_t>(conv.ids.size());
  const EncodedSet cut =
      encode_training_set(*tok, chat, {examples[0]}, {conv.prompt_length - 2, n - 3, false});
  CHECK(cut.truncated_prompts == 1);
  CHECK(cut.truncated_responses == 1);
  CHECK(static_cast<int64_t>(cut.examples[0].ids.size()) == n - 3);
  const EncodedSet skipped =
      encode_training_set(*tok, chat, {examples[0]}, {conv.prompt_length, n - 1, true});
  CHECK(skipped.skipped_long == 1);
  CHECK(skipped.examples.empty());

  // A template error names the example.
  const auto gemma_tok = load_tokenizer((reference_dir() / "gemma").string());
  CHECK_THROWS_WITH(
      encode_training_set(*gemma_tok, PromptTemplate("chat", "data.template", *gemma_tok),
                          {examples[0]}, {256, 512, false}),
      Catch::StartsWith("example " + data.string() + ":1: ") &&
          Catch::EndsWith("System role not supported"));
}

TEST_CASE("messages data with Mistral's tokenizer is masked by character offsets", "[chat][data]") {
  const std::string dir = (reference_dir() / "mistral").string();
  const auto tok = load_tokenizer(dir);
  const ChatTemplate tmpl = ChatTemplate::load(dir);
  const ChatEncoding enc = encode_chat(
      *tok, tmpl,
      {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}, {"assistant", "Ciao."}});
  CHECK(enc.offset_mask);
  CHECK(enc.example.ids ==
        tok->encode(
            tmpl.render(
                {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}, {"assistant", "Ciao."}},
                false),
            false));
  std::vector<int64_t> masked;
  for (size_t k = 0; k < enc.example.ids.size(); ++k)
    if (enc.example.loss_mask[k]) masked.push_back(enc.example.ids[k]);
  CHECK(tok->decode(masked) == "Hello.</s>Ciao.</s>");
  CHECK(enc.example.ids.back() == *tok->special().eos);
}

TEST_CASE("a template that renders earlier turns differently once later ones follow is refused",
          "[chat]") {
  // Renders only the last message: a prefix of the conversation is not a prefix of the whole.
  const ChatTemplate last_only(
      "{{ messages[-1].content }}{% if add_generation_prompt %}>{% endif %}", "t.json", {});
  const auto tok = load_tokenizer((reference_dir() / "smollm2").string());
  CHECK_THROWS_WITH(encode_chat(*tok, last_only, {{"user", "a"}, {"assistant", "b"}}),
                    Catch::Contains("renders the conversation up to turn 2 differently"));
  CHECK_THROWS_WITH(encode_chat(*tok, last_only, {{"user", "a"}}),
                    Catch::Contains("no assistant turn"));
}
