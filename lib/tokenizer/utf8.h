#pragma once
// Minimal UTF-8 helpers for the tokenizers (code-point iteration and validation).
#include <cstdint>
#include <string>
#include <string_view>

namespace amkd::utf8 {

// Length in bytes of the code point starting at s[i] (1 for an invalid lead byte).
size_t char_length(std::string_view s, size_t i);
// Whether `s` is well-formed UTF-8.
bool valid(std::string_view s);
// Appends the UTF-8 encoding of code point `cp`.
void append(std::string& out, char32_t cp);
// Decodes the code point at s[i] (s must be valid there).
char32_t decode(std::string_view s, size_t i);
// Replaces ill-formed sequences by U+FFFD, as Rust's String::from_utf8_lossy does.
std::string lossy(std::string_view bytes);

}  // namespace amkd::utf8
