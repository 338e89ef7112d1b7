// SPDX-License-Identifier: Apache-2.0
// The pickle machine (CPython's Lib/pickle.py, _Unpickler, is the
// reference): a stack of object indices, MARKs as stack heights (CPython's
// metastack), a memo. Every count that grows with the input (objects,
// stack, marks, memo, container items) is bounded by the same budget, and
// every length is checked against the bytes left before it is used.
#include "pack/pickle.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {
namespace {

struct OpName {
  uint8_t code;
  const char* name;
};
// Every opcode of protocols 0 to 5, so that a refusal can name it.
constexpr OpName kOpNames[] = {
    {'(', "MARK"},          {'.', "STOP"},           {'0', "POP"},           {'1', "POP_MARK"},
    {'2', "DUP"},           {'F', "FLOAT"},          {'I', "INT"},           {'J', "BININT"},
    {'K', "BININT1"},       {'L', "LONG"},           {'M', "BININT2"},       {'N', "NONE"},
    {'P', "PERSID"},        {'Q', "BINPERSID"},      {'R', "REDUCE"},        {'S', "STRING"},
    {'T', "BINSTRING"},     {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"},      {'X', "BINUNICODE"},
    {'a', "APPEND"},        {'b', "BUILD"},          {'c', "GLOBAL"},        {'d', "DICT"},
    {'}', "EMPTY_DICT"},    {'e', "APPENDS"},        {'g', "GET"},           {'h', "BINGET"},
    {'i', "INST"},          {'j', "LONG_BINGET"},    {'l', "LIST"},          {']', "EMPTY_LIST"},
    {'o', "OBJ"},           {'p', "PUT"},            {'q', "BINPUT"},        {'r', "LONG_BINPUT"},
    {'s', "SETITEM"},       {'t', "TUPLE"},          {')', "EMPTY_TUPLE"},   {'u', "SETITEMS"},
    {'G', "BINFLOAT"},      {0x80, "PROTO"},         {0x81, "NEWOBJ"},       {0x82, "EXT1"},
    {0x83, "EXT2"},         {0x84, "EXT4"},          {0x85, "TUPLE1"},       {0x86, "TUPLE2"},
    {0x87, "TUPLE3"},       {0x88, "NEWTRUE"},       {0x89, "NEWFALSE"},     {0x8a, "LONG1"},
    {0x8b, "LONG4"},        {'B', "BINBYTES"},       {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"},
    {0x8d, "BINUNICODE8"},  {0x8e, "BINBYTES8"},     {0x8f, "EMPTY_SET"},    {0x90, "ADDITEMS"},
    {0x91, "FROZENSET"},    {0x92, "NEWOBJ_EX"},     {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"},
    {0x95, "FRAME"},        {0x96, "BYTEARRAY8"},    {0x97, "NEXT_BUFFER"},  {0x98, "READONLY_BUFFER"},
};

const char* OpcodeName(uint8_t code) {
  for (const OpName& o : kOpNames) {
    if (o.code == code) return o.name;
  }
  return nullptr;
}

struct DTypeName {
  const char* name;
  SourceDType dtype;
};
// torch.save names a storage by its typed class, whatever the torch
// version (2.x maps its untyped storages back to these names).
constexpr DTypeName kStorageTypes[] = {
    {"FloatStorage", SourceDType::kFloat32}, {"DoubleStorage", SourceDType::kFloat64},
    {"HalfStorage", SourceDType::kFloat16},  {"BFloat16Storage", SourceDType::kBFloat16},
    {"LongStorage", SourceDType::kInt64},    {"IntStorage", SourceDType::kInt32},
    {"ShortStorage", SourceDType::kInt16},   {"CharStorage", SourceDType::kInt8},
    {"ByteStorage", SourceDType::kUInt8},    {"BoolStorage", SourceDType::kBool},
};
constexpr DTypeName kDTypes[] = {
    {"float32", SourceDType::kFloat32}, {"float", SourceDType::kFloat32},   {"float64", SourceDType::kFloat64},
    {"double", SourceDType::kFloat64},  {"float16", SourceDType::kFloat16}, {"half", SourceDType::kFloat16},
    {"bfloat16", SourceDType::kBFloat16}, {"int64", SourceDType::kInt64},   {"long", SourceDType::kInt64},
    {"int32", SourceDType::kInt32},     {"int", SourceDType::kInt32},       {"int16", SourceDType::kInt16},
    {"short", SourceDType::kInt16},     {"int8", SourceDType::kInt8},       {"uint8", SourceDType::kUInt8},
    {"bool", SourceDType::kBool},
};

template <size_t N>
const DTypeName* FindName(const DTypeName (&table)[N], std::string_view name) {
  for (const DTypeName& d : table) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// Longest module or class name a GLOBAL line may hold; Python's are far
// shorter, and the bound keeps a line without '\n' from being scanned far.
constexpr size_t kMaxGlobalLine = 256;

class Machine {
 public:
  Machine(std::span<const uint8_t> bytes, const std::string& what, const Limits& limits)
      : in_(bytes), what_(what), weights_(limits.weights), budget_(PickleBudget(limits)),
        limit_(PickleBudgetLimit(limits)) {}

  Result<Pickle> Run();

 private:
  Status Err(StatusCode code, const std::string& m, std::string_view limit = {}) const {
    return Status(code, what_ + ": offset " + std::to_string(op_at_) + ": " + m, limit);
  }
  Status Malformed(const std::string& m) const { return Err(StatusCode::kFormatError, m); }
  Status OverBudget(const char* what) const {
    return Err(StatusCode::kLimitExceeded,
               std::string("more than ") + std::to_string(budget_) + " pickle " + what + " (" +
                   std::to_string(kPickleObjectsPerWeight) + " per weight allowed by " + LimitText("weights", weights_) +
                   ", at most " + std::to_string(kMaxPickleObjects) + ")",
               limit_);
  }

  // Input.
  Status Take(uint64_t n, const uint8_t** out) {
    if (n > in_.size() - pos_) {
      return Malformed(std::string(name_) + " needs " + Bytes(n) + " but only " + Bytes(in_.size() - pos_) +
                       " are left: the pickle is truncated");
    }
    *out = in_.data() + pos_;
    pos_ += n;
    return Status::Ok();
  }
  Status Unsigned(unsigned n, uint64_t* v) {
    const uint8_t* p = nullptr;
    TFQ_RETURN_IF_ERROR(Take(n, &p));
    *v = LoadLE(p, n);
    return Status::Ok();
  }

  // The arena and the stack.
  Status Push(uint32_t i) {
    if (stack_.size() >= budget_) return OverBudget("stack entries");
    stack_.push_back(i);
    return Status::Ok();
  }
  Status New(PickleObject o) {
    if (p_.objects.size() >= budget_) return OverBudget("objects");
    p_.objects.push_back(o);
    return Push(static_cast<uint32_t>(p_.objects.size() - 1));
  }
  Status NewScalar(PickleKind kind, int64_t integer) { return New({kind, 0, integer, 0}); }
  Status NewString(PickleKind kind, const uint8_t* p, uint64_t n) {
    p_.strings.emplace_back(reinterpret_cast<const char*>(p), n);
    return New({kind, static_cast<uint32_t>(p_.strings.size() - 1), 0, 0});
  }
  // Moves stack_[from, end) into a new container.
  Status NewContainer(PickleKind kind, size_t from) {
    uint64_t n = stack_.size() - from;
    if (n > budget_ - items_) return OverBudget("container items");
    items_ += n;
    p_.items.emplace_back(stack_.begin() + static_cast<ptrdiff_t>(from), stack_.end());
    stack_.resize(from);
    return New({kind, static_cast<uint32_t>(p_.items.size() - 1), 0, 0});
  }
  // Where the objects since the last MARK start (CPython's current stack).
  size_t Base() const { return marks_.empty() ? 0 : marks_.back(); }
  Status Pop(uint32_t* i) {
    if (stack_.size() <= Base()) return Malformed(std::string(name_) + " on an empty stack");
    *i = stack_.back();
    stack_.pop_back();
    return Status::Ok();
  }
  Status Top(uint32_t* i) const {
    if (stack_.size() <= Base()) return Malformed(std::string(name_) + " on an empty stack");
    *i = stack_.back();
    return Status::Ok();
  }
  Status PopMark(size_t* from) {
    if (marks_.empty()) return Malformed(std::string(name_) + " without a MARK");
    *from = marks_.back();
    marks_.pop_back();
    return Status::Ok();
  }
  Status AddItems(uint32_t container, PickleKind want, size_t from) {
    const PickleObject& c = p_.objects[container];
    if (c.kind != want) {
      return Malformed(std::string(name_) + " on " + std::string(PickleKindName(c.kind)) + ", expected a " +
                       std::string(PickleKindName(want)));
    }
    uint64_t n = stack_.size() - from;
    if (want == PickleKind::kDict && n % 2) return Malformed(std::string(name_) + " with a key but no value");
    if (n > budget_ - items_) return OverBudget("container items");
    items_ += n;
    auto& items = p_.items[c.index];
    items.insert(items.end(), stack_.begin() + static_cast<ptrdiff_t>(from), stack_.end());
    stack_.resize(from);
    return Status::Ok();
  }
  Status Memo(uint64_t key) {
    uint32_t top = 0;
    TFQ_RETURN_IF_ERROR(Top(&top));
    if (memo_.size() >= budget_ && !memo_.count(key)) return OverBudget("memo entries");
    memo_[key] = top;
    return Status::Ok();
  }
  Status Get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return Malformed(std::string(name_) + " of memo entry " + std::to_string(key) + ", never stored");
    return Push(it->second);
  }

  Status Step(uint8_t op, bool* stop);
  Status Integer(unsigned n);
  Status GlobalLine(std::string_view* out);
  Status Global(std::string_view module, std::string_view name);
  Status Reduce();
  Status PersistentId();
  Status RebuildTensor(const std::vector<uint32_t>& args);
  Status IntTuple(uint32_t i, const char* what, std::vector<int64_t>* out) const;

  std::span<const uint8_t> in_;
  const std::string& what_;
  uint64_t weights_, budget_;
  std::string_view limit_;  // what raises budget_, if anything
  uint64_t items_ = 0;
  size_t pos_ = 0, op_at_ = 0;
  const char* name_ = "";  // the opcode being run
  Pickle p_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
};

Result<Pickle> Machine::Run() {
  if (in_.empty()) return Err(StatusCode::kFormatError, "the pickle is empty");
  while (true) {
    op_at_ = pos_;
    if (pos_ >= in_.size()) return Err(StatusCode::kFormatError, "the pickle ends without STOP: it is truncated");
    uint8_t op = in_[pos_++];
    const char* name = OpcodeName(op);
    if (!name) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      return Malformed(std::string("byte ") + hex + " is not a pickle opcode");
    }
    name_ = name;
    bool stop = false;
    TFQ_RETURN_IF_ERROR(Step(op, &stop));
    if (stop) return std::move(p_);
  }
}

Status Machine::Step(uint8_t op, bool* stop) {
  uint64_t n = 0;
  uint32_t a = 0, b = 0;
  size_t from = 0;
  const uint8_t* p = nullptr;
  switch (op) {
    case 0x80: {  // PROTO
      TFQ_RETURN_IF_ERROR(Unsigned(1, &n));
      if (n > 5) return Err(StatusCode::kUnsupported, "pickle protocol " + std::to_string(n) + " (this reader knows 2 to 5)");
      return Status::Ok();
    }
    case 0x95:  // FRAME: a buffering hint; the whole pickle is in memory already
      TFQ_RETURN_IF_ERROR(Unsigned(8, &n));
      if (n > in_.size() - pos_) return Malformed("a frame of " + Bytes(n) + " runs past the pickle's end");
      return Status::Ok();
    case '.':
      TFQ_RETURN_IF_ERROR(Pop(&a));
      p_.root = a;
      *stop = true;
      return Status::Ok();
    case '(':
      if (marks_.size() >= budget_) return OverBudget("marks");
      marks_.push_back(stack_.size());
      return Status::Ok();
    case '}': return NewContainer(PickleKind::kDict, stack_.size());
    case ']': return NewContainer(PickleKind::kList, stack_.size());
    case ')': return NewContainer(PickleKind::kTuple, stack_.size());
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      size_t k = op - 0x84u;
      if (stack_.size() - Base() < k) return Malformed(std::string(name_) + " needs " + std::to_string(k) + " objects on the stack");
      return NewContainer(PickleKind::kTuple, stack_.size() - k);
    }
    case 't':
      TFQ_RETURN_IF_ERROR(PopMark(&from));
      return NewContainer(PickleKind::kTuple, from);
    case 'l':
      TFQ_RETURN_IF_ERROR(PopMark(&from));
      return NewContainer(PickleKind::kList, from);
    case 'd':
      TFQ_RETURN_IF_ERROR(PopMark(&from));
      if ((stack_.size() - from) % 2) return Malformed("DICT with a key but no value");
      return NewContainer(PickleKind::kDict, from);
    case 'a':
      if (stack_.size() - Base() < 2) return Malformed("APPEND needs a list and a value on the stack");
      return AddItems(stack_[stack_.size() - 2], PickleKind::kList, stack_.size() - 1);
    case 's':
      if (stack_.size() - Base() < 3) return Malformed("SETITEM needs a dict, a key and a value on the stack");
      return AddItems(stack_[stack_.size() - 3], PickleKind::kDict, stack_.size() - 2);
    case 'e': case 'u':
      TFQ_RETURN_IF_ERROR(PopMark(&from));
      if (from <= Base()) return Malformed(std::string(name_) + " with nothing to add to below its MARK");
      return AddItems(stack_[from - 1], op == 'e' ? PickleKind::kList : PickleKind::kDict, from);
    case 'J':
      TFQ_RETURN_IF_ERROR(Unsigned(4, &n));
      return NewScalar(PickleKind::kInt, static_cast<int32_t>(static_cast<uint32_t>(n)));
    case 'K':
      TFQ_RETURN_IF_ERROR(Unsigned(1, &n));
      return NewScalar(PickleKind::kInt, static_cast<int64_t>(n));
    case 'M':
      TFQ_RETURN_IF_ERROR(Unsigned(2, &n));
      return NewScalar(PickleKind::kInt, static_cast<int64_t>(n));
    case 0x8a:
      TFQ_RETURN_IF_ERROR(Unsigned(1, &n));
      return Integer(static_cast<unsigned>(n));
    case 0x8b:
      TFQ_RETURN_IF_ERROR(Unsigned(4, &n));
      if (n > 8) return Err(StatusCode::kUnsupported, "an integer of " + Bytes(n) + " (this reader takes 64 bits at most)");
      return Integer(static_cast<unsigned>(n));
    case 'G': {
      TFQ_RETURN_IF_ERROR(Take(8, &p));
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = bits << 8 | p[i];  // big-endian
      return New({PickleKind::kFloat, 0, 0, BitCast<double>(bits)});
    }
    case 'N': return NewScalar(PickleKind::kNone, 0);
    case 0x88: return NewScalar(PickleKind::kBool, 1);
    case 0x89: return NewScalar(PickleKind::kBool, 0);
    case 'X': case 0x8c: case 0x8d: case 'T': case 'U': case 'B': case 'C': case 0x8e: {
      unsigned len_bytes = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
      TFQ_RETURN_IF_ERROR(Unsigned(len_bytes, &n));
      if (op == 'T' && n >= uint64_t{1} << 31) return Malformed("BINSTRING with a negative length");
      TFQ_RETURN_IF_ERROR(Take(n, &p));
      bool bytes = op == 'B' || op == 'C' || op == 0x8e;
      return NewString(bytes ? PickleKind::kBytes : PickleKind::kString, p, n);
    }
    case 'q':
      TFQ_RETURN_IF_ERROR(Unsigned(1, &n));
      return Memo(n);
    case 'r':
      TFQ_RETURN_IF_ERROR(Unsigned(4, &n));
      return Memo(n);
    case 0x94: return Memo(memo_.size());
    case 'h':
      TFQ_RETURN_IF_ERROR(Unsigned(1, &n));
      return Get(n);
    case 'j':
      TFQ_RETURN_IF_ERROR(Unsigned(4, &n));
      return Get(n);
    case 'c': {
      std::string_view module, name;
      TFQ_RETURN_IF_ERROR(GlobalLine(&module));
      TFQ_RETURN_IF_ERROR(GlobalLine(&name));
      return Global(module, name);
    }
    case 0x93: {  // STACK_GLOBAL
      TFQ_RETURN_IF_ERROR(Pop(&b));
      TFQ_RETURN_IF_ERROR(Pop(&a));
      if (p_.at(a).kind != PickleKind::kString || p_.at(b).kind != PickleKind::kString) {
        return Malformed("STACK_GLOBAL on a " + std::string(PickleKindName(p_.at(a).kind)) + " and a " +
                         std::string(PickleKindName(p_.at(b).kind)) + ", expected two strings");
      }
      return Global(p_.string_of(a), p_.string_of(b));
    }
    case 'R': return Reduce();
    case 'b': {  // BUILD
      TFQ_RETURN_IF_ERROR(Pop(&a));
      TFQ_RETURN_IF_ERROR(Top(&b));
      // A state_dict is an OrderedDict with a _metadata attribute (module
      // versions): attributes are not tensors, so the state is dropped.
      if (p_.at(b).kind != PickleKind::kDict) {
        return Malformed("BUILD on " + std::string(PickleKindName(p_.at(b).kind)) + " (only a dict's attributes are taken)");
      }
      return Status::Ok();
    }
    case 'Q': return PersistentId();
    default:
      return Err(StatusCode::kUnsupported, std::string("refusing pickle opcode ") + name_ +
                                               ": a checkpoint's pickle needs only those that build tensors and plain containers");
  }
}

// LONG1/LONG4: little-endian two's complement.
Status Machine::Integer(unsigned n) {
  if (n > 8) return Err(StatusCode::kUnsupported, "an integer of " + Bytes(n) + " (this reader takes 64 bits at most)");
  const uint8_t* p;
  TFQ_RETURN_IF_ERROR(Take(n, &p));
  uint64_t v = LoadLE(p, n);
  if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  return NewScalar(PickleKind::kInt, static_cast<int64_t>(v));
}

Status Machine::GlobalLine(std::string_view* out) {
  size_t left = in_.size() - pos_;
  const uint8_t* start = in_.data() + pos_;
  const void* nl = std::memchr(start, '\n', std::min(left, kMaxGlobalLine + 1));
  if (!nl) {
    if (left <= kMaxGlobalLine) return Malformed("GLOBAL's name has no end of line: the pickle is truncated");
    return Malformed("GLOBAL's name is longer than " + std::to_string(kMaxGlobalLine) + " bytes");
  }
  size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nl) - start);
  *out = std::string_view(reinterpret_cast<const char*>(start), len);
  pos_ += len + 1;
  return Status::Ok();
}

Status Machine::Global(std::string_view module, std::string_view name) {
  auto make = [&](PickleGlobal g, SourceDType d) { return New({PickleKind::kGlobal, static_cast<uint32_t>(d), static_cast<int64_t>(g), 0}); };
  if (module == "collections" && name == "OrderedDict") return make(PickleGlobal::kOrderedDict, SourceDType::kFloat32);
  if (module == "torch._utils") {
    if (name == "_rebuild_tensor_v2") return make(PickleGlobal::kRebuildTensorV2, SourceDType::kFloat32);
    if (name == "_rebuild_parameter") return make(PickleGlobal::kRebuildParameter, SourceDType::kFloat32);
    if (name == "_rebuild_parameter_with_state") return make(PickleGlobal::kRebuildParameterWithState, SourceDType::kFloat32);
  }
  std::string full = std::string(module) + "." + std::string(name);
  if (module == "torch") {
    if (const DTypeName* d = FindName(kStorageTypes, name)) return make(PickleGlobal::kStorageType, d->dtype);
    if (const DTypeName* d = FindName(kDTypes, name)) return make(PickleGlobal::kDType, d->dtype);
    if (name.size() > 7 && name.substr(name.size() - 7) == "Storage") {
      return Err(StatusCode::kUnsupported, "storage type " + Quoted(full) +
                                               " holds elements tfjs cannot hold (complex or quantized)");
    }
  }
  return Err(StatusCode::kUnsupported, "refusing global " + Quoted(full) +
                                           ": a checkpoint may only rebuild tensors (save the model's state_dict(), "
                                           "not the model or other Python objects)");
}

Status Machine::Reduce() {
  uint32_t args, callable;
  TFQ_RETURN_IF_ERROR(Pop(&args));
  TFQ_RETURN_IF_ERROR(Pop(&callable));
  const PickleObject c = p_.at(callable);
  if (c.kind != PickleKind::kGlobal) {
    return Malformed("REDUCE calls a " + std::string(PickleKindName(c.kind)) + ", not an allowed global");
  }
  if (p_.at(args).kind != PickleKind::kTuple) {
    return Malformed("REDUCE with arguments in a " + std::string(PickleKindName(p_.at(args).kind)) + ", not a tuple");
  }
  // A copy: New() may grow p_.items and move the vectors.
  const std::vector<uint32_t> a = p_.items_of(args);
  switch (static_cast<PickleGlobal>(c.integer)) {
    case PickleGlobal::kOrderedDict:
      if (!a.empty()) return Malformed("OrderedDict called with " + std::to_string(a.size()) + " arguments, expected none");
      return NewContainer(PickleKind::kDict, stack_.size());
    case PickleGlobal::kRebuildTensorV2: return RebuildTensor(a);
    case PickleGlobal::kRebuildParameter:
    case PickleGlobal::kRebuildParameterWithState: {
      size_t want = static_cast<PickleGlobal>(c.integer) == PickleGlobal::kRebuildParameter ? 3 : 4;
      if (a.size() != want || p_.at(a[0]).kind != PickleKind::kTensor) {
        return Malformed("_rebuild_parameter expects a tensor and " + std::to_string(want - 1) + " more arguments");
      }
      return Push(a[0]);  // a Parameter is its tensor here
    }
    case PickleGlobal::kStorageType:
    case PickleGlobal::kDType: break;
  }
  return Malformed("REDUCE calls a storage type or dtype, which a checkpoint never does");
}

Status Machine::IntTuple(uint32_t i, const char* what, std::vector<int64_t>* out) const {
  const PickleObject& o = p_.at(i);
  if (o.kind != PickleKind::kTuple) {
    return Malformed(std::string("_rebuild_tensor_v2's ") + what + " is a " + std::string(PickleKindName(o.kind)) +
                     ", expected a tuple of integers");
  }
  for (uint32_t e : p_.items_of(i)) {
    if (p_.at(e).kind != PickleKind::kInt) {
      return Malformed(std::string("_rebuild_tensor_v2's ") + what + " holds a " +
                       std::string(PickleKindName(p_.at(e).kind)) + ", expected integers");
    }
    out->push_back(p_.at(e).integer);
  }
  return Status::Ok();
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
// backward_hooks[, metadata]).
Status Machine::RebuildTensor(const std::vector<uint32_t>& a) {
  if (a.size() != 6 && a.size() != 7) {
    return Malformed("_rebuild_tensor_v2 called with " + std::to_string(a.size()) + " arguments, expected 6 or 7");
  }
  if (p_.at(a[0]).kind != PickleKind::kStorage) {
    return Malformed("_rebuild_tensor_v2's storage is a " + std::string(PickleKindName(p_.at(a[0]).kind)));
  }
  if (p_.at(a[1]).kind != PickleKind::kInt) {
    return Malformed("_rebuild_tensor_v2's storage offset is a " + std::string(PickleKindName(p_.at(a[1]).kind)));
  }
  PickleTensor t;
  t.storage = p_.at(a[0]).index;
  t.offset = p_.at(a[1]).integer;
  TFQ_RETURN_IF_ERROR(IntTuple(a[2], "size", &t.shape));
  TFQ_RETURN_IF_ERROR(IntTuple(a[3], "stride", &t.strides));
  if (t.shape.size() != t.strides.size()) {
    return Malformed("_rebuild_tensor_v2's size has " + std::to_string(t.shape.size()) + " dimensions but its stride " +
                     std::to_string(t.strides.size()));
  }
  p_.tensors.push_back(std::move(t));
  return New({PickleKind::kTensor, static_cast<uint32_t>(p_.tensors.size() - 1), 0, 0});
}

// BINPERSID: ('storage', torch.FloatStorage, key, location, numel).
Status Machine::PersistentId() {
  uint32_t id;
  TFQ_RETURN_IF_ERROR(Pop(&id));
  if (p_.at(id).kind != PickleKind::kTuple) {
    return Malformed("a persistent id that is a " + std::string(PickleKindName(p_.at(id).kind)) + ", expected a tuple");
  }
  const std::vector<uint32_t>& t = p_.items_of(id);
  if (t.empty() || p_.at(t[0]).kind != PickleKind::kString || p_.string_of(t[0]) != "storage") {
    return Err(StatusCode::kUnsupported, "a persistent id that is not a ('storage', ...) tuple");
  }
  const PickleObject* type = t.size() == 5 ? &p_.at(t[1]) : nullptr;
  if (!type || type->kind != PickleKind::kGlobal || static_cast<PickleGlobal>(type->integer) != PickleGlobal::kStorageType ||
      p_.at(t[2]).kind != PickleKind::kString || p_.at(t[3]).kind != PickleKind::kString ||
      p_.at(t[4]).kind != PickleKind::kInt) {
    return Malformed("a storage id that is not ('storage', a storage type, key, location, element count)");
  }
  PickleStorage s;
  s.dtype = static_cast<SourceDType>(type->index);
  s.key = p_.string_of(t[2]);
  s.numel = p_.at(t[4]).integer;
  p_.storages.push_back(s);
  return New({PickleKind::kStorage, static_cast<uint32_t>(p_.storages.size() - 1), 0, 0});
}

}  // namespace

std::string_view PickleKindName(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone: return "None";
    case PickleKind::kBool: return "bool";
    case PickleKind::kInt: return "int";
    case PickleKind::kFloat: return "float";
    case PickleKind::kString: return "str";
    case PickleKind::kBytes: return "bytes";
    case PickleKind::kTuple: return "tuple";
    case PickleKind::kList: return "list";
    case PickleKind::kDict: return "dict";
    case PickleKind::kGlobal: return "global";
    case PickleKind::kStorage: return "storage";
    case PickleKind::kTensor: return "tensor";
  }
  return "?";
}

Result<Pickle> ParsePickle(std::span<const uint8_t> bytes, const std::string& what, const Limits& limits) {
  return Machine(bytes, what, limits).Run();
}

}  // namespace tfq
