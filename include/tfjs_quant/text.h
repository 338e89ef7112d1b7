// SPDX-License-Identifier: Apache-2.0
// Text from the input made safe to show: weight names, paths and dtype
// strings come from files anyone may have written, and end up in messages
// and on terminals. They are shown with control characters, invalid UTF-8
// and invisible direction overrides escaped, and cut to a bounded length, so
// that a 16 MiB name or an ESC sequence can neither flood nor drive the
// user's terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tfq {

// How many bytes of a name a message shows by default.
inline constexpr size_t kShownBytes = 160;

// `s` with "\n", "\t", "\r", "\xNN" (other control bytes and invalid UTF-8)
// and "\uNNNN" (C1 controls, line separators, direction marks and
// overrides, zero-width characters) escapes; if
// longer than `max_bytes`, cut at a character boundary and ended with
// "...(N bytes)". Backslashes are shown as they are.
std::string Printable(std::string_view s, size_t max_bytes = kShownBytes);

// True if `s` is valid UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF): what JSON text and JavaScript strings can hold as is.
bool IsUtf8(std::string_view s);
// Printable(s) in single quotes: 'conv1/kernel'.
std::string Quoted(std::string_view s, size_t max_bytes = kShownBytes);

// "1 byte", "60 bytes".
std::string Bytes(unsigned long long n);

}  // namespace tfq
