// SPDX-License-Identifier: Apache-2.0
// nlohmann/json as the library uses it: built to abort rather than throw
// (the core is compiled without exceptions, and every input is checked
// before a call that could throw), and in an inline namespace of its own.
// A program that links the library and uses nlohmann/json with exceptions
// (the tool, the tests, a user's code) then has two separate copies of its
// inline functions instead of one copy of either, chosen by the linker.
// Include this, never <nlohmann/json.hpp>, in src/.
#pragma once

#define JSON_NOEXCEPTION 1
#define NLOHMANN_JSON_NAMESPACE nlohmann::json_abi_tfq_noexcept
#define NLOHMANN_JSON_NAMESPACE_BEGIN \
  namespace nlohmann {                \
  inline namespace json_abi_tfq_noexcept {
#define NLOHMANN_JSON_NAMESPACE_END \
  }                                 \
  }
#include <nlohmann/json.hpp>
