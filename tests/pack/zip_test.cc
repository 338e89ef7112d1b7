// SPDX-License-Identifier: Apache-2.0
// ZipArchive over zips written by Python's zipfile (stored, deflated, with
// data descriptors, with ZIP64 records and extra fields) and numpy's
// savez, then over damaged copies of them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "pack/fixtures.h"
#include "pack/zip.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/io.h"

namespace tfq {
namespace {

using pack_test::Slurp;

// The folder of make_numpy.py's fixtures, written once per build (empty,
// with a test failure, when the script fails).
std::string FixtureDir() { return pack_test::WriterFixtures("make_numpy.py").string(); }

std::string FixtureBytes(const std::string& name) { return Slurp(FixtureDir() + "/" + name); }

// What make_numpy.py puts in each test zip.
std::string Content(std::string_view member) {
  std::string s;
  if (member == "a.bin") {
    for (int r = 0; r < 40; ++r)
      for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  } else if (member == "b.txt") {
    for (int r = 0; r < 1000; ++r) s += "hello zip\n";
  }
  return s;
}

// The archive reads `bytes` in place: they must outlive it (a temporary
// would not, hence the deleted overload).
Result<ZipArchive> OpenBytes(std::string&& bytes, const Limits& limits = {}) = delete;
Result<ZipArchive> OpenBytes(const std::string& bytes, const Limits& limits = {}) {
  SpanFiles files;
  files.Add("x.zip", bytes);
  TFQ_ASSIGN_OR_RETURN(auto file, OpenShared(files, "x.zip"));
  return ZipArchive::Open(std::move(file), "'x.zip'", limits);
}

std::string ReadMember(const ZipArchive& zip, const ZipArchive::Member& m, Status* status,
                       uint64_t max_bytes = 1 << 20) {
  auto f = zip.OpenMember(m, max_bytes);
  if (!f.ok()) {
    *status = f.status();
    return {};
  }
  std::string out((*f)->Size(), '\0');
  *status = (*f)->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

// Offset of the central directory entry of `name` in `zip`.
size_t CentralEntry(const std::string& zip, std::string_view name) {
  for (size_t at = zip.find("PK\1\2"); at != std::string::npos; at = zip.find("PK\1\2", at + 1)) {
    const size_t len = static_cast<uint8_t>(zip[at + 28]) | static_cast<uint8_t>(zip[at + 29]) << 8;
    if (zip.compare(at + 46, len, name) == 0 && len == name.size()) return at;
  }
  ADD_FAILURE() << "no central entry " << name;
  return 0;
}

uint32_t Get(const std::string& s, size_t at, int n) {
  uint32_t v = 0;
  for (int i = n; i-- > 0;) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

// Where the data of member `name` starts, from its local header.
size_t DataStart(const std::string& zip, std::string_view name) {
  const size_t local = Get(zip, CentralEntry(zip, name) + 42, 4);
  return local + 30 + Get(zip, local + 26, 2) + Get(zip, local + 28, 2);
}

void Put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

TEST(Zip, ReadsWhatZipfileWrites) {
  const std::string dir = FixtureDir();
  ASSERT_FALSE(dir.empty()) << "make_numpy.py failed";
  auto source = DiskSource::Create(dir);
  ASSERT_TRUE(source.ok()) << source.status().message();
  for (const char* name : {"stored.zip", "deflated.zip", "descriptor.zip", "zip64.zip"}) {
    SCOPED_TRACE(name);
    auto file = OpenShared(**source, name);
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto zip = ZipArchive::Open(*file, name, Limits{});
    ASSERT_TRUE(zip.ok()) << zip.status().message();
    ASSERT_EQ(zip->members().size(), 3u);
    const char* names[] = {"a.bin", "b.txt", "empty"};
    for (int i = 0; i < 3; ++i) {
      const ZipArchive::Member& m = zip->members()[i];
      EXPECT_EQ(m.name, names[i]);
      EXPECT_EQ(m.size, Content(names[i]).size());
      EXPECT_EQ(m.method, std::string_view(name) == "stored.zip" ? 0 : 8);
      EXPECT_EQ(zip->Find(names[i]), &m);
      Status st;
      EXPECT_EQ(ReadMember(*zip, m, &st), Content(names[i]));
      EXPECT_TRUE(st.ok()) << st.message();
    }
    EXPECT_EQ(zip->Find("missing"), nullptr);
    // A read inside a member, at an odd offset, and one past its end.
    auto f = zip->OpenMember(*zip->Find("a.bin"), 1 << 20);
    ASSERT_TRUE(f.ok());
    uint8_t buf[5];
    ASSERT_TRUE((*f)->ReadAt(257, buf).ok());
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), Content("a.bin").substr(257, 5));
    EXPECT_EQ((*f)->ReadAt(10240 - 4, buf).code(), StatusCode::kIOError);
  }
}

TEST(Zip, StoredMembersAreWindowsOnTheArchive) {
  ASSERT_FALSE(FixtureDir().empty());
  const std::string bytes = FixtureBytes("stored.zip");
  auto zip = OpenBytes(bytes);
  ASSERT_TRUE(zip.ok()) << zip.status().message();
  auto f = zip->OpenMember(*zip->Find("b.txt"), 0);  // max_bytes binds deflated members only
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::span<const uint8_t> mem = (*f)->InMemory();
  ASSERT_EQ(mem.size(), 10000u);
  EXPECT_GE(reinterpret_cast<const char*>(mem.data()), bytes.data());
  EXPECT_LT(reinterpret_cast<const char*>(mem.data()), bytes.data() + bytes.size());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mem.data()), mem.size()), Content("b.txt"));
}

TEST(Zip, ReadsNumpyArchives) {
  ASSERT_FALSE(FixtureDir().empty());
  for (const char* name : {"savez.npz", "savez_compressed.npz", "savez_zip64.npz"}) {
    SCOPED_TRACE(name);
    const std::string bytes = FixtureBytes(name);
    auto zip = OpenBytes(bytes);
    ASSERT_TRUE(zip.ok()) << zip.status().message();
    ASSERT_GE(zip->members().size(), 4u);
    EXPECT_EQ(zip->members()[0].name, "w.npy");
    for (const auto& m : zip->members()) {
      Status st;
      std::string data = ReadMember(*zip, m, &st);
      ASSERT_TRUE(st.ok()) << st.message();
      EXPECT_EQ(data.substr(0, 6), "\x93NUMPY");
    }
  }
}

TEST(Zip, RefusesMethodsEncryptionAndOversizedMembers) {
  ASSERT_FALSE(FixtureDir().empty());
  {
    const std::string bytes = FixtureBytes("bzip2.zip");
    auto zip = OpenBytes(bytes);
    ASSERT_TRUE(zip.ok()) << zip.status().message();  // listing is fine; opening is not
    auto f = zip->OpenMember(zip->members()[0], 1 << 20);
    EXPECT_EQ(f.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(f.status().message().find("'a.bin' is compressed with method 12"), std::string::npos)
        << f.status().message();
  }
  {
    std::string bytes = FixtureBytes("stored.zip");
    bytes[6] |= 1;  // the first local header's "encrypted" flag
    auto zip = OpenBytes(bytes);
    ASSERT_TRUE(zip.ok());
    auto f = zip->OpenMember(zip->members()[0], 1 << 20);
    EXPECT_EQ(f.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(f.status().message().find("'a.bin' is encrypted"), std::string::npos) << f.status().message();
  }
  {
    const std::string deflated = FixtureBytes("deflated.zip");
    auto zip = OpenBytes(deflated);
    ASSERT_TRUE(zip.ok());
    auto f = zip->OpenMember(*zip->Find("b.txt"), 9999);
    EXPECT_EQ(f.status().code(), StatusCode::kLimitExceeded);
    EXPECT_NE(f.status().message().find("inflates to 10000 bytes"), std::string::npos) << f.status().message();
  }
  {
    Limits limits;
    limits.weights = 20;  // 40 members > 20 + 16
    const std::string many = FixtureBytes("many.zip");
    auto zip = OpenBytes(many, limits);
    EXPECT_EQ(zip.status().code(), StatusCode::kLimitExceeded);
    EXPECT_NE(zip.status().message().find("40 zip members"), std::string::npos) << zip.status().message();
    limits.weights = 24;
    EXPECT_TRUE(OpenBytes(many, limits).ok());
  }
}

TEST(Zip, RefusesDamagedDeflatedMembers) {
  ASSERT_FALSE(FixtureDir().empty());
  const std::string good = FixtureBytes("deflated.zip");
  auto open_b = [](const std::string& bytes, Status* st) {
    auto zip = OpenBytes(bytes);
    if (!zip.ok()) {
      *st = zip.status();
      return;
    }
    ReadMember(*zip, *zip->Find("b.txt"), st);
  };
  const size_t b = CentralEntry(good, "b.txt");
  Status st;
  std::string bytes = good;
  Put32(bytes, b + 16, 0x12345678);  // CRC-32
  open_b(bytes, &st);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("CRC-32"), std::string::npos) << st.message();

  bytes = good;
  Put32(bytes, b + 24, 100);  // uncompressed size smaller than the data
  open_b(bytes, &st);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("inflates to more than the 100 bytes"), std::string::npos) << st.message();

  bytes = good;
  Put32(bytes, b + 24, 20000);  // larger than the data
  open_b(bytes, &st);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("inflates to 10000 bytes, not the 20000 bytes"), std::string::npos) << st.message();

  bytes = good;
  Put32(bytes, b + 20, 10);  // the compressed data cut short
  open_b(bytes, &st);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("ends early"), std::string::npos) << st.message();

  bytes = good;
  bytes[DataStart(good, "b.txt")] = static_cast<char>(0xFF);  // an invalid block type
  open_b(bytes, &st);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("invalid deflate data"), std::string::npos) << st.message();
}

TEST(Zip, RefusesBrokenDirectories) {
  ASSERT_FALSE(FixtureDir().empty());
  const std::string good = FixtureBytes("stored.zip");
  const size_t end = good.size() - 22;
  ASSERT_EQ(good.compare(end, 4, "PK\5\6"), 0);
  auto expect_error = [](const std::string& bytes, StatusCode code, std::string_view phrase) {
    auto zip = OpenBytes(bytes);
    ASSERT_FALSE(zip.ok());
    EXPECT_EQ(zip.status().code(), code) << zip.status().message();
    EXPECT_NE(zip.status().message().find(phrase), std::string::npos) << zip.status().message();
  };
  expect_error("PK\5\6", StatusCode::kFormatError, "shorter than an end of central directory record");
  expect_error(std::string(100, 'x'), StatusCode::kFormatError, "no end of central directory record");
  expect_error(good.substr(0, good.size() - 1), StatusCode::kFormatError, "no end of central directory record");

  std::string bytes = good;
  Put32(bytes, end + 16, 1u << 30);  // directory offset past the file
  expect_error(bytes, StatusCode::kFormatError, "does not end before its end record");

  bytes = good;
  Put32(bytes, end + 16, 0xFFFFFFFF);
  expect_error(bytes, StatusCode::kFormatError, "no ZIP64 locator");

  bytes = good;
  bytes[end + 10] = 5;  // five members claimed, three present
  bytes[end + 8] = 5;
  expect_error(bytes, StatusCode::kFormatError, "5 zip members cannot fit in a central directory");

  bytes = good;  // a directory too short for its third entry
  Put32(bytes, end + 12, 140);
  expect_error(bytes, StatusCode::kFormatError, "entry 2 at offset");

  bytes = good;
  bytes[end + 4] = 1;  // disk 1
  expect_error(bytes, StatusCode::kUnsupported, "split over several disks");

  bytes = good;  // the second member renamed to the first's name
  bytes.replace(CentralEntry(good, "b.txt") + 46, 5, "a.bin");
  expect_error(bytes, StatusCode::kFormatError, "'a.bin' appears twice");

  bytes = good;  // a member's data said to run into the central directory
  Put32(bytes, CentralEntry(good, "empty") + 20, 1000);
  expect_error(bytes, StatusCode::kFormatError, "do not fit before the central directory");

  bytes = good;  // a size marked as ZIP64 without the extra field
  Put32(bytes, CentralEntry(good, "b.txt") + 24, 0xFFFFFFFF);
  expect_error(bytes, StatusCode::kFormatError, "no ZIP64 extra field");

  // A comment that holds the end record's signature does not mislead.
  bytes = good;
  const std::string comment = "PK\5\6 not the end";
  bytes[end + 20] = static_cast<char>(comment.size());
  bytes += comment;
  auto zip = OpenBytes(bytes);
  ASSERT_TRUE(zip.ok()) << zip.status().message();
  EXPECT_EQ(zip->members().size(), 3u);
}

TEST(Zip, RefusesBrokenZip64Records) {
  ASSERT_FALSE(FixtureDir().empty());
  const std::string good = FixtureBytes("zip64.zip");
  const size_t end = good.size() - 22, locator = end - 20;
  ASSERT_EQ(good.compare(locator, 4, "PK\6\7"), 0);
  std::string bytes = good;
  Put32(bytes, locator + 8, static_cast<uint32_t>(locator));  // the ZIP64 end record said to overlap the locator
  auto zip = OpenBytes(bytes);
  EXPECT_EQ(zip.status().code(), StatusCode::kFormatError);
  EXPECT_NE(zip.status().message().find("is not before its locator"), std::string::npos) << zip.status().message();

  bytes = good;
  Put32(bytes, locator + 8, 0);  // pointing at a local header
  zip = OpenBytes(bytes);
  EXPECT_EQ(zip.status().code(), StatusCode::kFormatError);
  EXPECT_NE(zip.status().message().find("no ZIP64 end of central directory record"), std::string::npos);

  bytes = good;  // a ZIP64 extra field cut short: it claims 4 bytes, holds no 8-byte value
  const size_t b = CentralEntry(good, "b.txt");
  const size_t extra = b + 46 + 5;
  ASSERT_EQ(bytes[extra], 1);
  bytes[extra + 2] = 4;
  zip = OpenBytes(bytes);
  EXPECT_EQ(zip.status().code(), StatusCode::kFormatError);
  EXPECT_NE(zip.status().message().find("ZIP64 extra field is too short"), std::string::npos)
      << zip.status().message();

  bytes = good;  // an extra field running past the header's extra bytes
  bytes[extra + 2] = 100;
  zip = OpenBytes(bytes);
  EXPECT_EQ(zip.status().code(), StatusCode::kFormatError);
  EXPECT_NE(zip.status().message().find("runs past the header"), std::string::npos) << zip.status().message();
}

// Every truncation of an archive, and every byte of its directory flipped:
// each either opens and reads or fails with a Status, never crashes.
TEST(Zip, SurvivesTruncationAndCorruption) {
  ASSERT_FALSE(FixtureDir().empty());
  for (const char* name : {"zip64.zip", "descriptor.zip", "savez_compressed.npz"}) {
    const std::string good = FixtureBytes(name);
    auto exercise = [](const std::string& bytes) {
      auto zip = OpenBytes(bytes);
      if (!zip.ok()) {
        EXPECT_NE(zip.status().code(), StatusCode::kInternal) << zip.status().message();
        return;
      }
      for (const auto& m : zip->members()) {
        Status st;
        ReadMember(*zip, m, &st);
        EXPECT_NE(st.code(), StatusCode::kInternal) << st.message();
      }
    };
    for (size_t n = 0; n < good.size(); ++n) exercise(good.substr(0, n));
    const size_t dir = good.find("PK\1\2");
    for (size_t i = dir; i < good.size(); ++i) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(bytes[i] ^ 0xA5);
      exercise(bytes);
    }
  }
}

}  // namespace
}  // namespace tfq
