#include "config/recipe_loader.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"
#include "common/errors.h"

namespace amkd {
namespace {

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, int64_t>) return "an integer";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, std::vector<double>>) return "a list of numbers";
}

template <class T>
const char* short_type_name() {
  if constexpr (std::is_same_v<T, std::string>) return "string";
  if constexpr (std::is_same_v<T, int64_t>) return "integer";
  if constexpr (std::is_same_v<T, double>) return "number";
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::vector<double>>) return "list of numbers";
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "an undefined value";
  }
}

template <class T>
bool convert(const YAML::Node& n, T& out) {
  try {
    if constexpr (std::is_same_v<T, std::vector<double>>) {
      if (!n.IsSequence()) return false;
      out.clear();
      for (const auto& item : n) {
        if (!item.IsScalar()) return false;
        out.push_back(item.as<double>());
      }
      return true;
    } else {
      if (!n.IsScalar()) return false;
      out = n.as<T>();
      return true;
    }
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

std::string yaml_scalar(const std::string& v) {
  // Plain for ordinary words and paths that YAML reads back as that string, else double-quoted.
  static const std::regex word(R"([A-Za-z_/.]([A-Za-z0-9_./:+-]*[A-Za-z0-9_./+-])?)");
  if (std::regex_match(v, word)) {
    YAML::Node n(v);
    double d;
    bool b;
    if (!YAML::convert<double>::decode(n, d) && !YAML::convert<bool>::decode(n, b) &&
        !YAML::Load(v).IsNull())
      return v;
  }
  std::string q = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20) {
      q += fmt::format("\\x{:02x}", c);
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "\"";
}

namespace {

template <class T>
std::string render(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return yaml_scalar(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    std::vector<std::string> parts;
    for (double d : v) parts.push_back(render(d));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  } else if constexpr (std::is_same_v<T, double>) {
    std::string s = fmt::format("{}", v);
    // Keep it a float for YAML readers ("1" would read back as an integer).
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
  } else {
    return fmt::format("{}", v);
  }
}

struct Problems {
  std::vector<std::string> lines;
  std::string file;
  std::set<std::string> from_flags;  // key paths set by --set

  std::string where(const std::string& path, const YAML::Node& n) const {
    if (from_flags.count(path)) return fmt::format("--set {}", path);
    const YAML::Mark m = n.Mark();
    if (m.is_null() || file.empty()) return file.empty() ? "recipe" : file;
    return fmt::format("{}:{}", file, m.line + 1);
  }
  void add(const std::string& path, const YAML::Node& n, const std::string& expected,
           const std::string& found) {
    if (from_flags.count(path))  // the location already names the key
      lines.push_back(fmt::format("--set {}: expected {}, found {}", path, expected, found));
    else
      lines.push_back(
          fmt::format("{}: {}: expected {}, found {}", where(path, n), path, expected, found));
  }
  void unknown(const std::string& path, const YAML::Node& key, const std::string& name,
               const std::vector<std::string>& known) {
    std::string hint = did_you_mean(name, known);
    lines.push_back(fmt::format("{}: unknown key '{}'{}", where(path, key), path,
                                hint.empty()
                                    ? fmt::format(" (known here: {})", fmt::join(known, ", "))
                                    : fmt::format(" (did you mean '{}'?)", hint)));
  }
};

void check_unknown(const YAML::Node& map, const std::string& prefix,
                   const std::vector<std::string>& known, Problems& problems) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node& key = it->first;
    if (!key.IsScalar()) {
      problems.lines.push_back(fmt::format("{}: a key under '{}' is not a plain name",
                                           problems.where(prefix, key),
                                           prefix.empty() ? "(top)" : prefix));
      continue;
    }
    const std::string name = key.Scalar();
    if (!seen.insert(name).second) {
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      problems.lines.push_back(
          fmt::format("{}: '{}' is given twice (which one would apply is unclear)",
                      problems.where(path, key), path));
      continue;
    }
    if (std::find(known.begin(), known.end(), name) == known.end())
      problems.unknown(prefix.empty() ? name : prefix + "." + name, key, name, known);
  }
}

class FieldLoader {
 public:
  FieldLoader(const YAML::Node& node, std::string prefix, Problems& problems)
      : node_(node), prefix_(std::move(prefix)), problems_(problems) {}

  template <class T, class R = std::nullptr_t>
  void field(const char* key, T& value, const char* /*doc*/, R rule = nullptr) {
    known_.push_back(key);
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) return;
    const std::string path = prefix_ + "." + key;
    T parsed{};
    if (!convert(n, parsed)) {
      problems_.add(path, n, type_name<T>(), describe(n));
      return;
    }
    if constexpr (!std::is_same_v<R, std::nullptr_t>) {
      const std::string expected = rule(parsed);
      if (!expected.empty()) {
        problems_.add(path, n, expected, render(parsed));
        return;
      }
    }
    value = parsed;
  }
  void finish() { check_unknown(node_, prefix_, known_, problems_); }

 private:
  const YAML::Node& node_;
  std::string prefix_;
  Problems& problems_;
  std::vector<std::string> known_;
};

class SectionLoader {
 public:
  SectionLoader(const YAML::Node& root, Problems& problems) : root_(root), problems_(problems) {}

  template <class S>
  void section(const char* name, S& s, const char* /*doc*/) {
    known_.push_back(name);
    const YAML::Node n = root_[name];
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
      problems_.add(name, n, "a mapping of keys", describe(n));
      return;
    }
    FieldLoader fields(n, name, problems_);
    s.visit(fields);
    fields.finish();
  }
  void finish() { check_unknown(root_, "", known_, problems_); }

 private:
  const YAML::Node& root_;
  Problems& problems_;
  std::vector<std::string> known_;
};

void apply_override(YAML::Node& root, const std::string& text, Problems& problems) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    problems.lines.push_back(fmt::format("--set {}: expected key.path=value", text));
    return;
  }
  const std::string path = text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    problems.lines.push_back(fmt::format("--set {}: value is not valid YAML ({})", path, e.msg));
    return;
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  if (parts.empty() || std::find(parts.begin(), parts.end(), "") != parts.end()) {
    problems.lines.push_back(fmt::format("--set {}: malformed key path", path));
    return;
  }
  // Walk with fresh handles: yaml-cpp's operator= on a Node rebinds, so assign via reset().
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      problems.lines.push_back(fmt::format("--set {}: '{}' is not a section", path, parts[i]));
      return;
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
    problems.from_flags.insert(path.substr(0, dot));  // sections the flag may have created
  problems.from_flags.insert(path);
}

struct DumpFields {
  std::ostringstream& out;
  template <class T, class R = std::nullptr_t>
  void field(const char* key, T& value, const char*, R = nullptr) {
    out << "  " << key << ": " << render(value) << "\n";
  }
};

struct DumpSections {
  std::ostringstream& out;
  template <class S>
  void section(const char* name, S& s, const char*) {
    out << name << ":\n";
    DumpFields fields{out};
    s.visit(fields);
  }
};

struct DocFields {
  std::vector<RecipeKeyDoc>& docs;
  std::string prefix;
  template <class T, class R = std::nullptr_t>
  void field(const char* key, T& value, const char* doc, R = nullptr) {
    docs.push_back({prefix + "." + key, short_type_name<T>(), render(value), doc});
  }
};

struct DocSections {
  std::vector<RecipeKeyDoc>& docs;
  template <class S>
  void section(const char* name, S& s, const char*) {
    DocFields fields{docs, name};
    s.visit(fields);
  }
};

// Rules that involve several keys; checked once each key is valid on its own.
void check_consistency(const Recipe& r, Problems& problems) {
  if (r.data.max_prompt_length >= r.data.max_length)
    problems.lines.push_back(fmt::format(
        "data.max_prompt_length ({}) must be below data.max_length ({}), leaving room for the "
        "response",
        r.data.max_prompt_length, r.data.max_length));
}

}  // namespace

Recipe load_recipe(const RecipeSource& source) {
  Problems problems;
  problems.file = source.path;
  YAML::Node root;
  if (!source.path.empty()) {
    std::ifstream in(source.path, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read recipe file", source.path));
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    try {
      root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
      throw InputError(fmt::format("{}:{}: YAML nested too deeply", source.path, e.mark.line + 1));
    } catch (const YAML::Exception& e) {
      throw InputError(fmt::format("{}:{}:{}: not valid YAML: {}", source.path, e.mark.line + 1,
                                   e.mark.column + 1, e.msg));
    }
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw InputError(fmt::format("{}: a recipe is a mapping of sections, found {}", source.path,
                                 describe(root)));
  for (const auto& text : source.overrides) apply_override(root, text, problems);

  Recipe recipe;
  SectionLoader loader(root, problems);
  recipe.visit(loader);
  loader.finish();
  if (problems.lines.empty()) check_consistency(recipe, problems);
  if (!problems.lines.empty()) {
    std::string msg = fmt::format("{} problem{} in the recipe:", problems.lines.size(),
                                  problems.lines.size() == 1 ? "" : "s");
    for (const auto& line : problems.lines) msg += "\n  " + line;
    throw InputError(msg);
  }
  return recipe;
}

std::string dump_recipe(const Recipe& recipe) {
  std::ostringstream out;
  Recipe copy = recipe;  // visitors take mutable references
  DumpSections dumper{out};
  copy.visit(dumper);
  return out.str();
}

std::vector<RecipeKeyDoc> describe_recipe() {
  std::vector<RecipeKeyDoc> docs;
  Recipe defaults;
  DocSections sections{docs};
  defaults.visit(sections);
  return docs;
}

}  // namespace amkd
