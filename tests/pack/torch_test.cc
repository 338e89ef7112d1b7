// SPDX-License-Identifier: Apache-2.0
// The PyTorch reader against files written by torch.save
// (tests/pack/make_torch.py), and the restricted pickle machine against
// hostile pickles and archives built here.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "pack/fixtures.h"
#include "pack/pickle.h"
#include "pack/zip.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using Members = std::vector<std::pair<std::string, std::string>>;
using pack_test::ReadBytes;
using pack_test::Slurp;

std::string Le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>(i < 8 ? v >> (8 * i) & 0xff : 0);
  return s;
}

// A zip of stored members, as torch.save writes (without its padding).
std::string Zip(const Members& members) {
  std::string out, central;
  for (const auto& [name, data] : members) {
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const uint64_t at = out.size();
    const std::string sizes = Le(crc, 4) + Le(data.size(), 4) + Le(data.size(), 4) + Le(name.size(), 2);
    out += Le(0x04034b50, 4) + Le(20, 2) + Le(0, 8) + sizes + Le(0, 2) + name + data;
    central += Le(0x02014b50, 4) + Le(20, 2) + Le(20, 2) + Le(0, 8) + sizes + Le(0, 12) + Le(at, 4) + name;
  }
  const uint64_t dir_at = out.size();
  return out + central + Le(0x06054b50, 4) + Le(0, 4) + Le(members.size(), 2) + Le(members.size(), 2) +
         Le(central.size(), 4) + Le(dir_at, 4) + Le(0, 2);
}

// Pickle opcodes, written out.
std::string Str(std::string_view s) { return "X" + Le(s.size(), 4) + std::string(s); }
std::string Int(int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) return "J" + Le(static_cast<uint64_t>(v), 4);
  return "\x8a\x08" + Le(static_cast<uint64_t>(v), 8);
}
std::string Global(std::string_view module, std::string_view name) {
  return "c" + std::string(module) + "\n" + std::string(name) + "\n";
}
std::string Ints(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (int64_t x : v) s += Int(x);
  return s + "t";
}
// _rebuild_tensor_v2((storage id), offset, shape, strides, False, OrderedDict()).
std::string Tensor(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset,
                   int64_t numel, std::string_view key = "0", std::string_view type = "FloatStorage") {
  return Global("torch._utils", "_rebuild_tensor_v2") + "((" + Str("storage") + Global("torch", type) + Str(key) +
         Str("cpu") + Int(numel) + "tQ" + Int(offset) + Ints(shape) + Ints(strides) + "\x89" +
         Global("collections", "OrderedDict") + ")Rt" + "R";
}
// A protocol 2 pickle of {name: value, ...}; values are pickle text.
std::string DictPickle(const Members& items) {
  std::string s = "\x80\x02}(";
  for (const auto& [k, v] : items) s += Str(k) + v;
  return s + "u.";
}
std::string Floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}
std::string FloatRange(size_t n) {
  std::string s(n * 4, '\0');
  for (size_t i = 0; i < n; ++i) {
    float f = static_cast<float>(i);
    std::memcpy(s.data() + 4 * i, &f, 4);
  }
  return s;
}

// ReadTorch on an archive held in memory; the archive stays alive until
// the next call, for the tensors' bytes read from it.
Status ReadZip(const std::string& zip, std::vector<SourceTensor>* out, const Limits& limits = {}) {
  static std::unique_ptr<MemoryFiles> files;
  out->clear();
  files = std::make_unique<MemoryFiles>();
  files->Put("model.pt", zip);
  return ReadTorch(*files, "model.pt", limits, out);
}
Status ReadPickle(const std::string& pickle, const Members& storages, std::vector<SourceTensor>* out,
                  const Limits& limits = {}) {
  Members m{{"model/data.pkl", pickle}, {"model/version", "3\n"}};
  for (const auto& [k, v] : storages) m.emplace_back("model/data/" + k, v);
  return ReadZip(Zip(m), out, limits);
}

#define EXPECT_STATUS(status, code_, phrase)                                                \
  do {                                                                                      \
    const Status s_ = (status);                                                             \
    EXPECT_EQ(s_.code(), code_) << s_.message();                                            \
    EXPECT_NE(s_.message().find(phrase), std::string::npos) << "missing '" << (phrase)      \
                                                            << "' in: " << s_.message();    \
  } while (0)

// The fixtures, written by the real torch.save once per build (fixtures.h).
class TorchFiles : public pack_test::WriterTest {
 protected:
  TorchFiles() : WriterTest("make_torch.py") {}

  Status Read(std::string_view path, std::vector<SourceTensor>* out, const Limits& limits = {}) {
    return ReadTorch(*source_, path, limits, out);
  }

  // Reads `source` and checks it against expected.json's entries for it.
  std::vector<SourceTensor> ReadAndMatch(const std::string& source) {
    std::vector<SourceTensor> got;
    Status s = Read(source, &got);
    EXPECT_TRUE(s.ok()) << s.message();
    std::vector<pack_test::ExpectedTensor> want;
    for (pack_test::ExpectedTensor& e : pack_test::LoadExpected(dir_)) {
      if (e.source == source) want.push_back(std::move(e));
    }
    EXPECT_FALSE(want.empty());
    pack_test::ExpectTensors(got, want);
    return got;
  }

  // The members of a fixture, to rebuild it with some of them changed.
  Members MembersOf(const std::string& name) {
    Members out;
    auto file = OpenShared(*source_, name);
    EXPECT_TRUE(file.ok());
    auto zip = ZipArchive::Open(*file, name, Limits{});
    EXPECT_TRUE(zip.ok()) << zip.status().message();
    for (const auto& m : zip->members()) {
      auto f = zip->OpenMember(m, 1 << 20);
      EXPECT_TRUE(f.ok());
      std::string data(m.size, '\0');
      EXPECT_TRUE((*f)->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(data.data()), data.size())).ok());
      out.emplace_back(m.name, data);
    }
    return out;
  }
};

TEST_F(TorchFiles, ReadsAConvNetsStateDict) {
  auto got = ReadAndMatch("convnet.pt");
  ASSERT_EQ(got.size(), 9u);
  EXPECT_EQ(got[6].name, "bn.num_batches_tracked");
  EXPECT_EQ(got[6].dtype, SourceDType::kInt64);
  EXPECT_TRUE(got[6].shape.empty());
  EXPECT_NE(got[0].origin.find("convnet.pt"), std::string::npos) << got[0].origin;
  EXPECT_NE(got[0].origin.find("'convnet/data/0'"), std::string::npos) << got[0].origin;
}

TEST_F(TorchFiles, ReadsEveryDType) { ReadAndMatch("dtypes.pt"); }

TEST_F(TorchFiles, TakesTheModelStateDictOfACheckpoint) {
  // The optimizer's tensors (exp_avg...) and the epoch are left out.
  auto got = ReadAndMatch("checkpoint.pt");
  EXPECT_EQ(got.size(), 9u);
}

TEST_F(TorchFiles, GathersViewsAndNamesNestedContainers) {
  auto got = ReadAndMatch("views.pt");
  ASSERT_GE(got.size(), 3u);
  // head and tail are slices of one storage.
  EXPECT_EQ(got[1].origin, got[2].origin);
}

TEST_F(TorchFiles, ReadsPickleProtocol4) { ReadAndMatch("proto4.pt"); }

TEST_F(TorchFiles, ReadsDeflatedMembers) { ReadAndMatch("deflated.pt"); }

TEST_F(TorchFiles, NamesALoneTensorAfterItsFile) { ReadAndMatch("scalar.pt"); }

TEST_F(TorchFiles, RefusesHostilePicklesWithoutRunningThem) {
  // The fixture folder outlives this run: a marker an earlier, broken build
  // left must not decide this one.
  std::error_code ec;
  fs::remove(dir_ / "MARKER", ec);
  for (const char* name : {"evil.pt", "evil_plain.pt", "evil_plain4.pt"}) {
    SCOPED_TRACE(name);
    std::vector<SourceTensor> got;
    EXPECT_STATUS(Read(name, &got), StatusCode::kUnsupported, "refusing global 'posix.system'");
    EXPECT_TRUE(got.empty());
  }
  EXPECT_FALSE(fs::exists(dir_ / "MARKER"));
}

TEST_F(TorchFiles, RefusesTheLegacyFormat) {
  std::vector<SourceTensor> got;
  EXPECT_STATUS(Read("legacy.pt", &got), StatusCode::kUnsupported, "save it again with a recent torch.save");
}

TEST_F(TorchFiles, EveryTruncationOfARealPickleFails) {
  Members m = MembersOf("convnet.pt");
  ASSERT_EQ(m[0].first, "convnet/data.pkl");
  const std::string pkl = m[0].second;
  for (size_t n = 0; n < pkl.size(); ++n) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(pkl.data()), n);
    auto p = ParsePickle(bytes, "data.pkl", Limits{});
    ASSERT_FALSE(p.ok()) << n;
    ASSERT_EQ(p.status().code(), StatusCode::kFormatError) << n << ": " << p.status().message();
  }
  m[0].second.resize(pkl.size() / 2);
  std::vector<SourceTensor> got;
  EXPECT_STATUS(ReadZip(Zip(m), &got), StatusCode::kFormatError, "truncated");
  // The rebuilt archive itself reads like the original.
  m[0].second = pkl;
  Status s = ReadZip(Zip(m), &got);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(got.size(), 9u);
}

TEST_F(TorchFiles, CorruptedRealPicklesNeverCrash) {
  Members m = MembersOf("views.pt");
  const std::string pkl = m[0].second;
  std::mt19937 rng(11);
  for (int i = 0; i < 1500; ++i) {
    m[0].second = pkl;
    for (int k = 0; k < 1 + i % 3; ++k) m[0].second[rng() % pkl.size()] = static_cast<char>(rng());
    std::vector<SourceTensor> got;
    if (!ReadZip(Zip(m), &got).ok()) continue;
    for (const SourceTensor& t : got) {  // whatever was accepted reads within its storage
      if (t.byte_size() > (1 << 20)) continue;  // a shape corrupted into an expand of millions
      std::vector<uint8_t> b(t.byte_size());
      Status s = t.bytes->ReadAt(0, b);
      EXPECT_TRUE(s.ok()) << s.message();
    }
  }
}

TEST_F(TorchFiles, RefusesAStorageShorterThanItsElementCount) {
  Members m = MembersOf("convnet.pt");
  ASSERT_EQ(m[1].first, "convnet/data/0");
  m[1].second.resize(m[1].second.size() - 4);
  std::vector<SourceTensor> got;
  EXPECT_STATUS(ReadZip(Zip(m), &got), StatusCode::kFormatError, "should hold 108 float32 elements");
}

TEST(TorchPickle, BuildsPlainContainers) {
  const std::string pkl = "\x80\x02("s + Str("a") + "]q\x00("s + Int(-5) + Int(int64_t{1} << 40) +
                          "\x8a\x02\x00\xff"s + "M\x34\x12" + "NG\x3f\xf8\x00\x00\x00\x00\x00\x00\x88\x89"s +
                          "C\x02hi" + "h\x00"s + "e" + Str("b") + "K\x07\x85" + "d.";
  auto p = ParsePickle(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size()), "x", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  const Pickle& r = *p;
  ASSERT_EQ(r.at(r.root).kind, PickleKind::kDict);
  const auto& d = r.items_of(r.root);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(r.string_of(d[0]), "a");
  const auto& l = r.items_of(d[1]);
  ASSERT_EQ(l.size(), 10u);
  EXPECT_EQ(r.at(l[0]).integer, -5);
  EXPECT_EQ(r.at(l[1]).integer, int64_t{1} << 40);
  EXPECT_EQ(r.at(l[2]).integer, -256);
  EXPECT_EQ(r.at(l[3]).integer, 0x1234);
  EXPECT_EQ(r.at(l[4]).kind, PickleKind::kNone);
  EXPECT_EQ(r.at(l[5]).real, 1.5);
  EXPECT_EQ(r.at(l[6]).integer, 1);
  EXPECT_EQ(r.at(l[7]).kind, PickleKind::kBool);
  EXPECT_EQ(r.at(l[8]).kind, PickleKind::kBytes);
  EXPECT_EQ(r.string_of(l[8]), "hi");
  EXPECT_EQ(l[9], d[1]);  // BINGET of the list itself: it holds itself, by index
  EXPECT_EQ(r.at(d[3]).kind, PickleKind::kTuple);
}

TEST(TorchPickle, RefusesOpcodesOutsideTheAllowlist) {
  auto parse = [](const std::string& s) {
    return ParsePickle(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()), "p", {}).status();
  };
  EXPECT_STATUS(parse("\x80\x02\xff."), StatusCode::kFormatError, "byte 0xff is not a pickle opcode");
  EXPECT_STATUS(parse("\x80\x02(iposix\nsystem\n."), StatusCode::kUnsupported, "refusing pickle opcode INST");
  EXPECT_STATUS(parse("\x80\x02(o."), StatusCode::kUnsupported, "opcode OBJ");
  EXPECT_STATUS(parse("\x80\x02\x82\x01."), StatusCode::kUnsupported, "opcode EXT1");
  EXPECT_STATUS(parse("\x80\x02P0\n."), StatusCode::kUnsupported, "opcode PERSID");
  EXPECT_STATUS(parse("\x80\x02I1\n."), StatusCode::kUnsupported, "opcode INT");
  EXPECT_STATUS(parse("\x80\x06N."), StatusCode::kUnsupported, "pickle protocol 6");
  // Globals are refused when read, before anything could call them.
  EXPECT_STATUS(parse("\x80\x02" + Global("builtins", "eval")), StatusCode::kUnsupported, "'builtins.eval'");
  EXPECT_STATUS(parse("\x80\x02" + Global("subprocess", "Popen") + ")R."), StatusCode::kUnsupported,
                "refusing global 'subprocess.Popen': a checkpoint may only rebuild tensors");
  EXPECT_STATUS(parse("\x80\x04\x8c\x02os\x8c\x06system\x93."), StatusCode::kUnsupported, "'os.system'");
  EXPECT_STATUS(parse("\x80\x02" + Global("torch", "ComplexFloatStorage")), StatusCode::kUnsupported, "complex");
  EXPECT_STATUS(parse("\x80\x02" + Global("torch", "load")), StatusCode::kUnsupported, "'torch.load'");
  // Malformed programs.
  EXPECT_STATUS(parse("\x80\x02h\x05."), StatusCode::kFormatError, "never stored");
  EXPECT_STATUS(parse("\x80\x02."), StatusCode::kFormatError, "empty stack");
  EXPECT_STATUS(parse("\x80\x02K\x01K\x02R."), StatusCode::kFormatError, "REDUCE calls a int");
  EXPECT_STATUS(parse("\x80\x02]K\x01s."), StatusCode::kFormatError, "SETITEM");
  EXPECT_STATUS(parse("\x80\x02X\xff\xff\xff\x7f"), StatusCode::kFormatError, "truncated");
  EXPECT_STATUS(parse("\x80\x02\x8b\x09\x00\x00\x00"s), StatusCode::kUnsupported, "64 bits");
  EXPECT_STATUS(parse(""), StatusCode::kFormatError, "empty");
}

TEST(TorchPickle, BoundsObjectsStackAndMemo) {
  Limits small;
  small.weights = 1;  // 64 + 1024 objects
  auto parse = [&](const std::string& s) {
    return ParsePickle(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()), "p", small)
        .status();
  };
  EXPECT_STATUS(parse("\x80\x02" + std::string(5000, ']')), StatusCode::kLimitExceeded, "pickle objects");
  std::string gets = "\x80\x02Nq\x68";
  for (int i = 0; i < 5000; ++i) gets += "h\x68";
  EXPECT_STATUS(parse(gets), StatusCode::kLimitExceeded, "stack entries");
  EXPECT_STATUS(parse("\x80\x02" + std::string(5000, '(')), StatusCode::kLimitExceeded, "marks");
  std::string appends = "\x80\x02]Nq\x01" "a";
  for (int i = 0; i < 5000; ++i) appends += "h\x01" "a";
  EXPECT_STATUS(parse(appends), StatusCode::kLimitExceeded, "container items");
  std::string memo = "\x80\x02N";
  for (int i = 0; i < 5000; ++i) memo += "r" + Le(static_cast<uint64_t>(i), 4);
  EXPECT_STATUS(parse(memo), StatusCode::kLimitExceeded, "memo entries");
}

TEST(TorchArchive, ReadsHandMadeStatesAndGathersStrides) {
  // storage 0..9; "t" is [[1,3,5],[2,4,6]] (shape [2,3], strides [1,2],
  // offset 1), "e" an expand of element 7 (stride 0), "c" a contiguous
  // slice at offset 4.
  std::vector<SourceTensor> got;
  Status s = ReadPickle(DictPickle({{"t", Tensor({2, 3}, {1, 2}, 1, 10)},
                                    {"e", Tensor({2, 2}, {0, 0}, 7, 10)},
                                    {"c", Tensor({3, 2}, {2, 1}, 4, 10)}}),
                        {{"0", FloatRange(10)}}, &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 3u);
  const std::string want[] = {Floats({1, 3, 5, 2, 4, 6}), Floats({7, 7, 7, 7}), Floats({4, 5, 6, 7, 8, 9})};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(got[i].name);
    ASSERT_EQ(got[i].byte_size(), want[i].size());
    for (size_t at = 0; at < want[i].size(); ++at) {  // every partial read
      for (size_t n = 0; at + n <= want[i].size(); n += 3) EXPECT_EQ(ReadBytes(got[i], at, n), want[i].substr(at, n));
    }
  }
}

TEST(TorchArchive, GathersAViewSpanningMoreThanTheWindow) {
  // Rows 5,000,000 elements apart (20 MB of storage): gathered row by row.
  const int64_t gap = 5'000'000;
  std::vector<SourceTensor> got;
  Status s = ReadPickle(DictPickle({{"w", Tensor({2, 3}, {gap, 2}, 1, gap + 8)}}), {{"0", FloatRange(gap + 8)}}, &got);
  ASSERT_TRUE(s.ok()) << s.message();
  const float g = static_cast<float>(gap);
  const std::string want = Floats({1, 3, 5, g + 1, g + 3, g + 5});
  EXPECT_EQ(ReadBytes(got[0], 0, want.size()), want);
  EXPECT_EQ(ReadBytes(got[0], 5, 13), want.substr(5, 13));
}

TEST(TorchArchive, RefusesTensorsThatDisagreeWithTheirStorage) {
  std::vector<SourceTensor> got;
  const Members storage{{"0", FloatRange(10)}};
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({3, 4}, {4, 1}, 0, 10)}}), storage, &got),
                StatusCode::kFormatError, "reaches past its storage '0' of 10 elements");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {1}, 9, 10)}}), storage, &got), StatusCode::kFormatError,
                "reaches past");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2, 2}, {int64_t{1} << 62, 1}, 0, 10)}}), storage, &got),
                StatusCode::kFormatError, "reaches past");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {1}, 0, 12)}}), storage, &got), StatusCode::kFormatError,
                "should hold 12 float32 elements (48 bytes) but holds 40 bytes");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {-1}, 5, 10)}}), storage, &got), StatusCode::kFormatError,
                "negative stride");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {1}, -1, 10)}}), storage, &got), StatusCode::kFormatError,
                "negative storage offset");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({-2}, {1}, 0, 10)}}), storage, &got), StatusCode::kFormatError,
                "negative dimension");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {1}, 0, 10, "7")}}), storage, &got),
                StatusCode::kFormatError, "has no member 'model/data/7'");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2}, {1}, 0, 10, "0", "IntStorage")}}), {{"0", FloatRange(8)}},
                           &got),
                StatusCode::kFormatError, "should hold 10 int32 elements");
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor({2, 3}, {3, 1, 1}, 0, 10)}}), storage, &got),
                StatusCode::kFormatError, "size has 2 dimensions but its stride 3");
  std::vector<int64_t> rank40(40, 1);
  EXPECT_STATUS(ReadPickle(DictPickle({{"w", Tensor(rank40, rank40, 0, 10)}}), storage, &got),
                StatusCode::kLimitExceeded, "rank 40");
  EXPECT_TRUE(got.empty());
}

TEST(TorchArchive, RefusesArchivesThatAreNotTorchSaves) {
  std::vector<SourceTensor> got;
  EXPECT_STATUS(ReadZip("not a zip at all, just text", &got), StatusCode::kFormatError, "zip");
  EXPECT_STATUS(ReadZip(Zip({{"model/other.txt", "x"}}), &got), StatusCode::kFormatError, "without ARCHIVE/data.pkl");
  EXPECT_STATUS(ReadZip(Zip({{"a/data.pkl", "\x80\x02N."}, {"b/data.pkl", "\x80\x02N."}}), &got),
                StatusCode::kFormatError, "two pickles");
  const std::string one = DictPickle({{"w", Tensor({2}, {1}, 0, 2)}});
  EXPECT_STATUS(ReadZip(Zip({{"m/data.pkl", one}, {"m/byteorder", "big"}, {"m/data/0", FloatRange(2)}}), &got),
                StatusCode::kUnsupported, "big-endian");
  Status little = ReadZip(Zip({{"m/data.pkl", one}, {"m/byteorder", "little"}, {"m/data/0", FloatRange(2)}}), &got);
  EXPECT_TRUE(little.ok()) << little.message();
  EXPECT_STATUS(ReadPickle("\x80\x02}.", {}, &got), StatusCode::kFormatError, "no tensors found in 'model.pt'");
  EXPECT_STATUS(ReadPickle(DictPickle({{"a.b", Tensor({2}, {1}, 0, 2)},
                                       {"a", "}" + Str("b") + Tensor({2}, {1}, 0, 2) + "s"}}),
                           {{"0", FloatRange(2)}}, &got),
                StatusCode::kFormatError, "two tensors named 'a.b'");
  EXPECT_STATUS(ReadPickle("\x80\x02}(N" + Tensor({2}, {1}, 0, 2) + "u.", {{"0", FloatRange(2)}}, &got),
                StatusCode::kUnsupported, "key of type None");
}

TEST(TorchArchive, DeepNestingIsWalkedWithoutRecursion) {
  constexpr int kDepth = 100'000;
  // [[[...]]]: nothing to name.
  const std::string lists = "\x80\x02" + std::string(kDepth, ']') + std::string(kDepth - 1, 'a') + ".";
  std::vector<SourceTensor> got;
  EXPECT_STATUS(ReadPickle(lists, {}, &got), StatusCode::kFormatError, "no tensors found");
  Limits small;
  small.weights = 100;
  EXPECT_STATUS(ReadPickle(lists, {}, &got, small), StatusCode::kLimitExceeded, "the limit weights (100)");
  // {"a": {"a": ... {"w": tensor}}}: walked to the bottom, where the
  // tensor's name would be a.a.....a.w, 200,001 bytes: refused before it
  // is built. 2,000 levels (a 4,001-byte name) are read.
  auto nested = [&](int depth) {
    std::string dicts = "\x80\x02";
    for (int i = 0; i < depth; ++i) dicts += "}" + Str("a");
    return dicts + "}" + Str("w") + Tensor({2}, {1}, 0, 2) + "s" + std::string(depth, 's') + ".";
  };
  EXPECT_STATUS(ReadPickle(nested(kDepth), {{"0", FloatRange(2)}}, &got), StatusCode::kUnsupported,
                "a tensor is named by a path of 200001 bytes");
  got.clear();
  Status s = ReadPickle(nested(2000), {{"0", FloatRange(2)}}, &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name.size(), 2u * 2000 + 1);
  EXPECT_EQ(got[0].name.substr(got[0].name.size() - 5), "a.a.w");
}

TEST(TorchArchive, CyclesAndSharedContainersAreBounded) {
  // A list holding itself.
  std::vector<SourceTensor> got;
  EXPECT_STATUS(ReadPickle("\x80\x02]q\x00h\x00" "a."s, {}, &got), StatusCode::kLimitExceeded, "holding itself");
  // Twenty levels of [x, x]: a million paths to one tensor.
  std::string shared = "\x80\x02" + Tensor({2}, {1}, 0, 2) + "q\x00"s;
  for (int i = 0; i < 20; ++i) shared += "h\x00h\x00\x86q\x00"s;
  shared += ".";
  EXPECT_STATUS(ReadPickle(shared, {{"0", FloatRange(2)}}, &got), StatusCode::kLimitExceeded, "weights");
}

}  // namespace
}  // namespace tfq
