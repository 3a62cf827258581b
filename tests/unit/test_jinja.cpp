#include "catch_torch.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "tokenizer/jinja_template.h"

using namespace amkd;
using amkd::jinja::Template;
using amkd::jinja::Value;

namespace {

struct Case {
  const char* name;
  const char* source;
  const char* variables;  // JSON object
  const char* expected;
};

// Rendered by jinja2 3.1.6 in the environment transformers 5 compiles chat templates in
// (transformers.utils.chat_template_utils._compile_jinja_template): trim_blocks, lstrip_blocks,
// loop controls, transformers' tojson.
const Case kCases[] =
    {
        {"ws_trim_lstrip", R"J(  {% if true %}
    yes
  {% endif %}
end
)J",
         R"J({})J", R"J(    yes
end)J"},
        {"ws_minus", R"J(a  
 {%- if true -%}  
 b 
 {%- endif %} c)J",
         R"J({})J", R"J(ab c)J"},
        {"ws_plus", R"J(x
  {%+ if true +%}
y{% endif %})J",
         R"J({})J", R"J(x
  
y)J"},
        {"ws_comment", R"J(a
  {# note #}
b {#- x -#}  c)J",
         R"J({})J", R"J(a
bc)J"},
        {"ws_expr", R"J(a
  {{ 'v' }}
{{- ' w ' -}}
 z)J",
         R"J({})J", R"J(a
  v w z)J"},
        {"literals",
         R"J({{ 'it\'s' }}|{{ "q\"\n\t\u00e9\x41" }}|{{ 1_000 + 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 / 2 }}|{{ 2 ** 10 }}|{{ 1.5 * 2 }}|{{ 0.1 + 0.2 }}|{{ 1e20 }}|{{ 1e-5 }})J",
         R"J({})J", R"J(it's|q"
	éA|1002|3|-4|2|3.5|1024|3.0|0.30000000000000004|1e+20|1e-05)J"},
        {"reprs",
         R"J({{ [1, 'a', none, true, {'k': [2.5]}] }}|{{ none }}|{{ false }}|{{ "it's" ~ 3 }}|{{ ['it\'s'] }})J",
         R"J({})J", R"J([1, 'a', None, True, {'k': [2.5]}]|None|False|it's3|["it's"])J"},
        {"logic",
         R"J({{ 0 or 'x' }}|{{ 'a' and 'b' }}|{{ not none }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 'b' in 'abc' }}|{{ 'z' not in ['a'] }}|{{ 'k' in {'k': 1} }}|{{ 'x' if false }}|{{ 'y' if 0 else 'n' }})J",
         R"J({})J", R"J(x|b|True|True|False|True|True|True||n)J"},
        {"tests",
         R"J({{ x is defined }}{{ y is defined }}{{ none is none }}{{ 'a' is string }}{{ 3 is number }}{{ 3 is integer }}{{ 3.0 is float }}{{ {} is mapping }}{{ [] is iterable }}{{ 4 is even }}{{ 4 is odd }}{{ 9 is divisibleby 3 }}{{ 2 is not eq 3 }}{{ true is true }}{{ 1 is true }}{{ 'AB' is upper }})J",
         R"J({"x": 1})J",
         R"J(TrueFalseTrueTrueTrueTrueTrueTrueTrueTrueFalseTrueTrueTrueFalseTrue)J"},
        {"filters",
         R"J({{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ [1,2,3] | length }}|{{ 'héllo' | length }}|{{ 'MiXed' | upper }}{{ 'MiXed' | lower }}|{{ 'hello world-wide (x)' | title }}|{{ 'hELLO' | capitalize }}|{{ u | default('d') }}|{{ '' | default('e', true) }}|{{ [3,4] | first }}{{ [3,4] | last }}|{{ ['a','b'] | join(', ') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'ab' | list }}|{{ {'a': 1, 'b': 2} | items | list }}|{{ '42' | int + 1 }}|{{ 'x' | int }}|{{ '3.9' | int }}|{{ 3 | string ~ 'x' }}|{{ [1,2] | reverse | list }}|{{ -3 | abs }})J",
         R"J({})J",
         R"J(a b|a|3|5|MIXEDmixed|Hello World-Wide (X)|Hello|d|e|34|a, b|bba|['a', 'b']|[('a', 1), ('b', 2)]|43|0|3|3x|[2, 1]|3)J"},
        {"tojson",
         R"J({{ {'a': 'é"\n', 'b': [1, 2.5, none, true], 'c': {}} | tojson }}|{{ {'a': [1, {'b': 2}], 'e': []} | tojson(indent=2) }}|{{ 'x' | tojson }})J",
         R"J({})J", R"J({"a": "é\"\n", "b": [1, 2.5, null, true], "c": {}}|{
  "a": [
    1,
    {
      "b": 2
    }
  ],
  "e": []
}|"x")J"},
        {"select",
         R"J({{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join('+') }}|{{ ms | rejectattr('role', 'eq', 'user') | list | length }}|{{ ms | map(attribute='missing', default='-') | join }}|{{ [0, 1, '', 'a'] | select | list }}|{{ ms | selectattr('extra') | list | length }}|{{ ['a','b'] | map('upper') | join }})J",
         R"J({"ms": [{"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1", "extra": 1}, {"role": "user", "content": "u2"}]})J",
         R"J(u1+u2|1|---|[1, 'a']|1|AB)J"},
        {"methods",
         R"J({{ '  pad '.strip() }}|{{ 'xxhixx'.lstrip('x') }}|{{ 'hi  '.rstrip() }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'bc')) }}|{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(' ', 1) }}|{{ "they're bill's".title() }}|{{ 'ab'.upper() }}|{{ 'a-b'.replace('-', '+') }}|{{ {'k': 'v'}.get('k') }}{{ {'k': 'v'}.get('z', 'd') }}{{ {'k': 'v'}.get('z') }}|{{ {'a': 1}.items() | list }}|{{ {'a': 1}.keys() | list }}|{{ '-'.join(['x', 'y']) }}|{{ 'hello'.find('l') }})J",
         R"J({})J",
         R"J(pad|hixx|hi|TrueTrue|['a', 'b', 'c']|['a', 'b', '', 'c']|['a', 'b c']|They'Re Bill'S|AB|a+b|vdNone|[('a', 1)]|['a']|x-y|2)J"},
        {"loops",
         R"J({% for m in ms %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}/{{ loop.revindex }}/{{ loop.first }}/{{ loop.last }}/{{ loop.previtem is defined }}:{{ m }} {% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}|{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}|{% for m in ms if m != 'b' %}{{ m }}{{ loop.length }}{% endfor %}|{% for x in range(5) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}|{% for x in range(1, 10, 4) %}{{ x }}{% endfor %})J",
         R"J({"ms": ["a", "b", "c"]})J",
         R"J(1/0/3/3/True/False/False:a 2/1/3/2/False/False/True:b 3/2/3/1/False/True/True:c |empty|a=1;b=2;|a2c2|02|[h][é]|159)J"},
        {"scoping",
         R"J({% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}|{% set ns = namespace(total=0, found=false) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }}{{ ns.found }}|{% if true %}{% set y = 'in-if' %}{% endif %}{{ y }}|{% set block %}A{{ 1 + 1 }}B{% endset %}{{ block }}|{% set t = 1, 2 %}{{ t }})J",
         R"J({})J", R"J(23|1|6True|in-if|A2B|(1, 2))J"},
        {"slices",
         R"J({{ ms[1:] }}|{{ ms[:-1] }}|{{ ms[::-1] }}|{{ ms[-1] }}|{{ 'hello'[1:3] }}|{{ 'héllo'[::2] }}|{{ ms[5] is defined }}|{{ ms[0:10:3] }})J",
         R"J({"ms": [1, 2, 3, 4]})J",
         R"J([2, 3, 4]|[1, 2, 3]|[4, 3, 2, 1]|4|el|hlo|False|[1, 4])J"},
        {"attrs",
         R"J({{ m.role }}|{{ m['content'] }}|{{ m.missing is defined }}|{{ m.get('role') }}|{{ ms[0].role }}|{{ ms.0.role }}|{{ 'tool_calls' in m }})J",
         R"J({"m": {"role": "user", "content": "hi"}, "ms": [{"role": "r0"}]})J",
         R"J(user|hi|False|user|r0|r0|False)J"},
        {"concat",
         R"J({{ 'a' ~ 1 ~ none ~ true }}|{{ [1] + [2] }}|{{ 'ab' * 3 }}|{{ 'x' + 'y' }}|{{ (1, 2) }}|{{ () }}|{{ {'a': 1, 'a': 2} }})J",
         R"J({})J", R"J(a1NoneTrue|[1, 2]|ababab|xy|(1, 2)|()|{'a': 2})J"},
};

std::string render(const std::string& source,
                   const nlohmann::json& variables = nlohmann::json::object(),
                   jinja::Limits limits = {}) {
  std::map<std::string, Value> vars;
  for (auto it = variables.begin(); it != variables.end(); ++it)
    vars[it.key()] = jinja::from_json(it.value());
  return Template(source, "tokenizer_config.json", limits).render(vars);
}

std::string error_of(const std::string& source,
                     const nlohmann::json& variables = nlohmann::json::object(),
                     jinja::Limits limits = {}) {
  try {
    render(source, variables, limits);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("Jinja snippets render as jinja2 renders them for transformers", "[jinja]") {
  int n = 0;
  for (const Case& c : kCases) {
    INFO(c.name << ":\n" << c.source);
    CHECK(render(c.source, nlohmann::json::parse(c.variables)) == c.expected);
    ++n;
  }
  CHECK(n == 18);
}

TEST_CASE("Jinja constructs outside the subset are refused when parsing, with construct and line",
          "[jinja]") {
  const std::pair<const char*, const char*> refused[] = {
      {"{% macro f() %}x{% endmacro %}",
       "chat_template line 1: unsupported Jinja construct 'macro'"},
      {"a\n\n{% include 'x.jinja' %}",
       "chat_template line 3: unsupported Jinja construct 'include'"},
      {"{% extends 'base' %}", "line 1: unsupported Jinja construct 'extends'"},
      {"{% call f() %}{% endcall %}", "line 1: unsupported Jinja construct 'call'"},
      {"{% filter upper %}x{% endfilter %}", "line 1: unsupported Jinja construct 'filter'"},
      {"x\n{% raw %}{{ y }}{% endraw %}", "line 2: unsupported Jinja construct 'raw'"},
      {"{% with a = 1 %}{% endwith %}", "line 1: unsupported Jinja construct 'with'"},
      {"{% do ns.update() %}", "line 1: unsupported Jinja construct 'do'"},
      {"{% frobnicate %}", "line 1: unsupported Jinja construct 'frobnicate'"},
      {"\n{{ messages | dictsort }}", "chat_template line 2: unsupported Jinja filter 'dictsort'"},
      {"{{ x is escaped }}", "line 1: unsupported Jinja test 'escaped'"},
      {"{{ '{}'.format(x) }}", "line 1: unsupported method 'format()'"},
      {"{{ lipsum(2) }}", "line 1: unsupported Jinja function 'lipsum()'"},
      {"{% for x in y %}{{ loop.cycle('a', 'b') }}{% endfor %}", "unsupported method 'cycle()'"},
      {"{% for x in y recursive %}{% endfor %}", "unsupported Jinja construct 'recursive loop'"},
      {"{% set a, b = 1, 2 %}", "unsupported Jinja construct 'set with several targets'"},
      {"{{ f(*args) }}", "unsupported Jinja function 'f()'"},
      {"{{ range(*args) }}", "unsupported Jinja construct '*args/**kwargs'"},
  };
  for (const auto& [source, message] : refused) {
    INFO(source);
    const std::string e = error_of(source, {{"x", 1}, {"y", {1}}});
    CHECK_THAT(e, Catch::Contains(message));
    CHECK_THAT(e, Catch::StartsWith("tokenizer_config.json: chat_template line"));
  }
}

TEST_CASE("malformed templates are InputErrors naming the line", "[jinja]") {
  const std::pair<const char*, const char*> malformed[] = {
      {"a\n{% if x %}b", "line 2: 'if' is not closed (expected 'endif')"},
      {"{% for m in messages %}\n{% if m %}x{% endfor %}",
       "line 2: unexpected 'endfor' inside the 'if' block of line 2"},
      {"{% for m in messages %}x", "line 1: 'for' is not closed (expected 'endfor')"},
      {"{% if x %}{% else %}{% elif y %}{% endif %}", "unexpected 'elif' inside the 'if' block"},
      {"x{% endif %}", "line 1: unexpected 'endif'"},
      {"{% set x %}abc", "'set' is not closed (expected 'endset')"},
      {"{{ x ", "line 1: unexpected end of template (the tag is not closed with '}}')"},
      {"a\n\n{# comment", "line 3: missing end of comment tag"},
      {"{{ 'abc }}", "line 1: unterminated string literal"},
      {"{{ (1 }}", "unexpected '}', expected ')'"},
      {"{{ 1 + }}", "line 1: unexpected end of tag"},
      {"{{ }}", "expected an expression"},
      {"{{ x y }}", "expected the end of print statement, got 'y'"},
      {"{% if %}{% endif %}", "line 1: unexpected end of tag"},
      {"{% break %}", "'break' outside a for loop"},
      {"{% for in x %}{% endfor %}", "expected 'in', got 'x'"},
      {"{{ x | }}", "expected a name, got end of tag"},
      {"{{ 'a' is }}", "expected a name"},
      {"{{ x[] }}", "empty subscript"},
      {"{{ 99999999999999999999 }}", "out of range"},
      {"{{ '\\xZZ' }}", "truncated \\x"},
      {"{{ $ }}", "unexpected character '$'"},
  };
  for (const auto& [source, message] : malformed) {
    INFO(source);
    CHECK_THAT(error_of(source), Catch::Contains(message));
  }
}

TEST_CASE("errors while rendering are InputErrors, and raise_exception carries its message",
          "[jinja]") {
  CHECK(error_of("ok\n{{ raise_exception('Conversation roles must alternate') }}") ==
        "tokenizer_config.json: chat_template line 2: Conversation roles must alternate");
  CHECK_THAT(error_of("{{ x.y }}"), Catch::Contains("line 1: 'x' is undefined"));
  CHECK_THAT(error_of("{{ messages[0].content }}"), Catch::Contains("'messages' is undefined"));
  CHECK_THAT(error_of("{{ 1 + 'a' }}"),
             Catch::Contains("unsupported operand type(s) for +: 'int' and 'str'"));
  CHECK_THAT(error_of("{{ 1 // 0 }}"), Catch::Contains("division or modulo by zero"));
  CHECK_THAT(error_of("{{ '%s' % 1 }}"),
             Catch::Contains("unsupported Jinja construct 'string formatting with %'"));
  CHECK_THAT(error_of("{% set x = 1 %}{% set x.a = 2 %}"),
             Catch::Contains("non-namespace object 'x'"));
  CHECK_THAT(error_of("{{ 'a'.strip(1, 2) }}"),
             Catch::Contains("strip() takes at most 1 argument"));
  CHECK_THAT(error_of("{{ x | tojson }}", {{"x", nullptr}}), Catch::Contains("(no error)"));
  CHECK_THAT(error_of("{{ y | tojson }}"), Catch::Contains("not JSON serializable"));
  CHECK_THAT(error_of("{{ 1 < 'a' }}"),
             Catch::Contains("'<' not supported between instances of 'int' and 'str'"));
  CHECK_THAT(error_of("{{ 9223372036854775807 + 1 }}"), Catch::Contains("integer overflow"));
}

TEST_CASE("hostile templates hit limits instead of exhausting memory or the stack", "[jinja]") {
  jinja::Limits small;
  small.max_output = 10000;
  small.max_iterations = 5000;
  CHECK_THAT(
      error_of("{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}", {}, small),
      Catch::Contains("nest deeper than"));
  CHECK_THAT(error_of(
                 "{{ x" +
                     [] {
                       std::string s;
                       for (int i = 0; i < 5000; ++i) s += ".a";
                       return s;
                     }() +
                     " }}",
                 {}, small),
             Catch::Contains("nest deeper than"));
  CHECK_THAT(error_of(
                 "{{ 1" +
                     [] {
                       std::string s;
                       for (int i = 0; i < 5000; ++i) s += " + 1";
                       return s;
                     }() +
                     " }}",
                 {}, small),
             Catch::Contains("nest deeper than"));
  std::string ifs;
  for (int i = 0; i < 100; ++i) ifs += "{% if true %}";
  CHECK_THAT(error_of(ifs, {}, small), Catch::Contains("blocks nest deeper than"));
  CHECK_THAT(error_of("{{ 'x' * 100000000000 }}", {}, small),
             Catch::Contains("grows beyond 10000"));
  CHECK_THAT(error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}",
                      {}, small),
             Catch::Contains("more than 5000 iterations"));
  CHECK_THAT(error_of("{% for i in range(10000000) %}{% endfor %}", {}, small),
             Catch::Contains("range() is longer than 5000 items"));
  CHECK_THAT(error_of("{% for i in range(3000) %}abcd{% endfor %}", {}, small),
             Catch::Contains("rendered text grows beyond 10000"));
  CHECK_THAT(error_of("{% set ns = namespace(s='x') %}{% for i in range(30) %}{% set ns.s = ns.s ~ "
                      "ns.s %}{% endfor %}",
                      {}, small),
             Catch::Contains("grows beyond 10000"));
  small.max_source = 100;
  CHECK_THAT(error_of(std::string(200, 'x'), {}, small), Catch::Contains("longer than 100"));
  CHECK_THAT(error_of("\xff"), Catch::Contains("not UTF-8"));
}
