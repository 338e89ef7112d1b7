// SPDX-License-Identifier: Apache-2.0
// Name and size tables for dtypes and encodings (spec section 2, TY
// DTYPE_VALUE_SIZE_MAP).
#include "tfjs_quant/dtype.h"

namespace tfq {

std::string_view DTypeName(DType d) {
  switch (d) {
    case DType::kFloat32: return "float32";
    case DType::kInt32: return "int32";
    case DType::kBool: return "bool";
    case DType::kString: return "string";
    case DType::kComplex64: return "complex64";
  }
  return "?";
}

std::optional<DType> ParseDType(std::string_view s) {
  if (s == "float32") return DType::kFloat32;
  if (s == "int32") return DType::kInt32;
  if (s == "bool") return DType::kBool;
  if (s == "string") return DType::kString;
  if (s == "complex64") return DType::kComplex64;
  return std::nullopt;
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kRaw: return "raw";
    case Encoding::kUint8: return "uint8";
    case Encoding::kUint16: return "uint16";
    case Encoding::kFloat16: return "float16";
  }
  return "?";
}

std::string_view StoredName(DType d, Encoding e) { return e == Encoding::kRaw ? DTypeName(d) : EncodingName(e); }

std::optional<Encoding> ParseQuantizationDType(std::string_view s) {
  if (s == "uint8") return Encoding::kUint8;
  if (s == "uint16") return Encoding::kUint16;
  if (s == "float16") return Encoding::kFloat16;
  return std::nullopt;
}

unsigned DTypeElementBytes(DType d) {
  switch (d) {
    case DType::kFloat32: return 4;
    case DType::kInt32: return 4;
    case DType::kBool: return 1;
    case DType::kString: return 0;
    case DType::kComplex64: return 8;
  }
  return 0;
}

unsigned EncodingElementBytes(Encoding e) {
  switch (e) {
    case Encoding::kUint8: return 1;
    case Encoding::kUint16: return 2;
    case Encoding::kFloat16: return 2;
    case Encoding::kRaw: return 0;
  }
  return 0;
}

}  // namespace tfq
