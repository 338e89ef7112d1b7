// SPDX-License-Identifier: Apache-2.0
// Logical dtypes of manifest entries and the stored encodings tfjs decodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tfq {

// The entry's "dtype": what tfjs builds the tensor as.
enum class DType : uint8_t { kFloat32, kInt32, kBool, kString, kComplex64 };

// How the entry's bytes are stored: as the dtype itself (kRaw), or under a
// "quantization" object with one of the three dtypes tfjs dequantizes.
enum class Encoding : uint8_t { kRaw, kUint8, kUint16, kFloat16 };

std::string_view DTypeName(DType d);
std::optional<DType> ParseDType(std::string_view s);
std::string_view EncodingName(Encoding e);  // kRaw -> "raw"
// How a weight is stored, for tables: the encoding, or the dtype if raw
// ("uint8", "float32").
std::string_view StoredName(DType d, Encoding e);
// "uint8", "uint16", "float16" only (the manifest's quantization dtypes).
std::optional<Encoding> ParseQuantizationDType(std::string_view s);

// Bytes per element of a fixed-size dtype; 0 for string (variable length).
unsigned DTypeElementBytes(DType d);
// Bytes per element as stored (1 for uint8, 2 for uint16/float16).
unsigned EncodingElementBytes(Encoding e);

}  // namespace tfq
