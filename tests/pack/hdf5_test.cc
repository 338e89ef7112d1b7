// SPDX-License-Identifier: Apache-2.0
// The Keras/HDF5 reader against files written by h5py in Keras's layouts
// (tests/pack/make_keras_h5.py), then against hostile and damaged ones.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "pack/fixtures.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/hdf5.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

// Under AddressSanitizer: libhdf5 answers some damaged files with a huge
// malloc, which fails and is handled in a normal build (ASan would stop
// instead), and leaks a few bytes of its own on them (not ours to find).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#define TFQ_LIBHDF5_LEAKS_IGNORED __lsan::ScopedDisabler libhdf5_leaks_ignored
#endif
#endif
#ifndef TFQ_LIBHDF5_LEAKS_IGNORED
#define TFQ_LIBHDF5_LEAKS_IGNORED
#endif

namespace tfq {
namespace {

namespace fs = std::filesystem;
using pack_test::Slurp;

void Spit(const fs::path& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool Has(const Status& s, std::string_view phrase) { return s.message().find(phrase) != std::string::npos; }

// The fixtures, written by h5py and zipfile once per build (fixtures.h).
class Hdf5Fixtures : public pack_test::WriterTest {
 protected:
  Hdf5Fixtures() : WriterTest("make_keras_h5.py") {}

  Status H5(const std::string& rel, std::vector<SourceTensor>* out, const Limits& limits = {}) {
    return ReadHdf5((dir_ / rel).string(), rel, limits, out);
  }
  Status Keras(const std::string& rel, std::vector<SourceTensor>* out, const Limits& limits = {}) {
    return ReadKeras(*source_, rel, limits, out);
  }

  // Checks the tensors against `folder`/expected.json and its .raw files
  // (pack_test::ExpectTensors); a read past a tensor's end fails.
  void ExpectMatches(const std::vector<SourceTensor>& got, const fs::path& folder) {
    pack_test::ExpectTensors(got, pack_test::LoadExpected(dir_ / folder));
    for (const SourceTensor& t : got) {
      ASSERT_NE(t.bytes, nullptr);
      std::vector<uint8_t> past(2);
      EXPECT_FALSE(t.bytes->ReadAt(t.byte_size() - 1, past).ok()) << t.name;
    }
  }
};

TEST_F(Hdf5Fixtures, ReadsSaveWeightsInLayerNamesOrder) {
  std::vector<SourceTensor> got;
  Status s = H5("weights/weights.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectMatches(got, "weights");
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got[0].origin, "weights/weights.h5: dataset '/conv2d/conv2d/kernel:0'");
  EXPECT_EQ(got[9].name, "dense/step");  // int64 scalar, named as written
  EXPECT_TRUE(got[9].shape.empty() && got[9].num_elements == 1);
  EXPECT_EQ(got[10].name, "dense/offsets:1");  // only ":0" is dropped
}

TEST_F(Hdf5Fixtures, ReadsWholeModelFilesInTheConvertersOrder) {
  std::vector<SourceTensor> got;
  Status s = H5("model/model.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectMatches(got, "model");
  EXPECT_EQ(got[0].origin, "model/model.h5: dataset '/model_weights/batch_normalization/batch_normalization/gamma:0'");
}

TEST_F(Hdf5Fixtures, ReadsKeras3ArchivesStoredAndDeflated) {
  for (const char* name : {"keras/model.keras", "keras/deflated.keras"}) {
    SCOPED_TRACE(name);
    std::vector<SourceTensor> got;
    Status s = Keras(name, &got);
    ASSERT_TRUE(s.ok()) << s.message();
    ExpectMatches(got, "keras");
    for (const auto& t : got) EXPECT_EQ(t.name.find("optimizer"), std::string::npos) << t.name;
    EXPECT_NE(got[0].origin.find("model.weights.h5: dataset '/layers/conv2d/vars/0'"), std::string::npos)
        << got[0].origin;
  }
}

TEST_F(Hdf5Fixtures, ReadsKeras3SaveWeightsFiles) {
  std::vector<SourceTensor> got;
  Status s = H5("keras/model.weights.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectMatches(got, "keras");
}

TEST_F(Hdf5Fixtures, ReadsAKerasArchiveFromMemory) {
  MemoryFiles files;
  files.Put("m.keras", Slurp(dir_ / "keras/model.keras"));
  std::vector<SourceTensor> got;
  Status s = ReadKeras(files, "m.keras", {}, &got);
  files.files.clear();  // the tensors hold libhdf5's copy, not the source
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectMatches(got, "keras");
}

TEST_F(Hdf5Fixtures, TensorsOutliveTheListAndReadFromThreads) {
  std::vector<SourceTensor> got;
  ASSERT_TRUE(H5("weights/weights.h5", &got).ok());
  const std::string want = Slurp(dir_ / "weights/0.raw");
  std::shared_ptr<const SourceBytes> kernel = got[0].bytes;
  got.clear();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < 20; ++r) {
        std::vector<uint8_t> buf(want.size() - 5);
        ok[i] += kernel->ReadAt(5, buf).ok() && std::string(buf.begin(), buf.end()) == want.substr(5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(4, 20));
}

TEST_F(Hdf5Fixtures, ReadsVariableLengthNames) {
  std::vector<SourceTensor> got;
  Status s = H5("bad/vlen_names.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "dense/kernel");
}

TEST_F(Hdf5Fixtures, ReadsNamesSplitOverAttributes) {
  std::vector<SourceTensor> got;
  Status s = H5("bad/split_names.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "b/w");
  EXPECT_EQ(got[1].name, "a/w");
}

TEST_F(Hdf5Fixtures, RefusesNonNumericDatasets) {
  std::vector<SourceTensor> got;
  Status str = H5("bad/string.h5", &got);
  EXPECT_EQ(str.code(), StatusCode::kUnsupported) << str.message();
  EXPECT_TRUE(Has(str, "bad/string.h5: '/dense/dense/kernel:0': holds strings (H5T_STRING)")) << str.message();
  Status comp = H5("bad/compound.h5", &got);
  EXPECT_EQ(comp.code(), StatusCode::kUnsupported) << comp.message();
  EXPECT_TRUE(Has(comp, "'/dense/dense/kernel:0': holds compound records (H5T_COMPOUND)")) << comp.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, RefusesAListedWeightWithoutDataset) {
  std::vector<SourceTensor> got;
  Status s = H5("bad/missing.h5", &got);
  EXPECT_EQ(s.code(), StatusCode::kFormatError) << s.message();
  EXPECT_TRUE(Has(s, "'/dense/dense/bias:0': no such dataset, though '/dense' lists it")) << s.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, RefusesFilesThatAreNotKerasWeights) {
  std::vector<SourceTensor> got;
  Status text = H5("bad/not_hdf5.h5", &got);
  EXPECT_EQ(text.code(), StatusCode::kFormatError) << text.message();
  EXPECT_TRUE(Has(text, "bad/not_hdf5.h5 is not an HDF5 file")) << text.message();
  Status plain = H5("bad/no_layer_names.h5", &got);
  EXPECT_EQ(plain.code(), StatusCode::kFormatError) << plain.message();
  EXPECT_TRUE(Has(plain, "is not a Keras weights file: its root has no 'layer_names' attribute")) << plain.message();
  Status missing = H5("bad/nothere.h5", &got);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.message();
  Status folder = H5("bad", &got);
  EXPECT_EQ(folder.code(), StatusCode::kUnsafePath) << folder.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, ReadsNoOtherFile) {
  // bad/other.h5 holds /kernel: an external link to it must not be followed.
  std::vector<SourceTensor> got;
  Status link = H5("bad/external_link.h5", &got);
  EXPECT_EQ(link.code(), StatusCode::kUnsupported) << link.message();
  EXPECT_TRUE(Has(link, "'/dense/dense/kernel:0': is reached through an external link")) << link.message();
  Status raw = H5("bad/external_storage.h5", &got);
  EXPECT_EQ(raw.code(), StatusCode::kUnsupported) << raw.message();
  EXPECT_TRUE(Has(raw, "keeps its data in external files")) << raw.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, RefusesUnreadableStorage) {
  std::vector<SourceTensor> got;
  Status filter = H5("bad/scaleoffset.h5", &got);
  EXPECT_EQ(filter.code(), StatusCode::kUnsupported) << filter.message();
  EXPECT_TRUE(Has(filter, "is stored through HDF5 filter 6 ('scaleoffset')")) << filter.message();
  Status empty = H5("bad/null_space.h5", &got);
  EXPECT_EQ(empty.code(), StatusCode::kUnsupported) << empty.message();
  EXPECT_TRUE(Has(empty, "null dataspace")) << empty.message();
  EXPECT_TRUE(got.empty());
  // Listed fine; the chunk that inflates short fails the read.
  Status s = H5("bad/short_chunk.h5", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 1u);
  std::vector<uint8_t> buf(got[0].byte_size());
  Status r = got[0].bytes->ReadAt(0, buf);
  EXPECT_EQ(r.code(), StatusCode::kFormatError) << r.message();
  EXPECT_TRUE(Has(r, "'/dense/dense/kernel:0': a stored chunk does not decode to 16 bytes")) << r.message();
}

TEST_F(Hdf5Fixtures, BoundsLinkedGroupTrees) {
  std::vector<SourceTensor> got;
  Limits limits;
  limits.weights = 64;
  Status dag = H5("bad/dag.weights.h5", &got, limits);
  EXPECT_EQ(dag.code(), StatusCode::kLimitExceeded) << dag.message();
  EXPECT_TRUE(Has(dag, "groups and datasets")) << dag.message();
  Status cycle = H5("bad/cycle.weights.h5", &got);
  EXPECT_EQ(cycle.code(), StatusCode::kLimitExceeded) << cycle.message();
  EXPECT_TRUE(Has(cycle, "groups nested more than 64 deep")) << cycle.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, RefusesKerasArchivesWithoutHdf5Weights) {
  std::vector<SourceTensor> got;
  Status none = Keras("bad/no_weights.keras", &got);
  EXPECT_EQ(none.code(), StatusCode::kFormatError) << none.message();
  EXPECT_TRUE(Has(none, "is not a Keras 3 archive: it has no model.weights.h5 member")) << none.message();
  Status text = Keras("bad/not_hdf5.keras", &got);
  EXPECT_EQ(text.code(), StatusCode::kFormatError) << text.message();
  EXPECT_TRUE(Has(text, "model.weights.h5 is not a readable HDF5 file")) << text.message();
  Status h5 = Keras("weights/weights.h5", &got);  // not a zip at all
  EXPECT_NE(h5.code(), StatusCode::kOk);
  EXPECT_TRUE(got.empty());
}

TEST_F(Hdf5Fixtures, KeepsToLimits) {
  std::vector<SourceTensor> got;
  Limits few;
  few.weights = 4;
  Status s = H5("weights/weights.h5", &got, few);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.message();
  EXPECT_TRUE(Has(s, "'/batch_normalization/batch_normalization/moving_mean:0': one dataset more than the limit "
                     "weights (4)"))
      << s.message();
  few.weights = 3;
  s = H5("weights/weights.h5", &got, few);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.message();
  EXPECT_TRUE(Has(s, "attribute 'layer_names': 4 names exceed the limit weights (3)")) << s.message();
  Limits flat;
  flat.rank = 2;
  s = H5("weights/weights.h5", &got, flat);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.message();
  EXPECT_TRUE(Has(s, "'/conv2d/conv2d/kernel:0': rank 4")) << s.message();
  Limits small;
  small.tensor_elements = 10;
  s = Keras("keras/model.keras", &got, small);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.message();
  EXPECT_TRUE(Has(s, "model.weights.h5: '/layers/conv2d/vars/0': shape [3,3,1,2]")) << s.message();
  EXPECT_TRUE(got.empty());
}

// Truncated and byte-flipped copies: each fails cleanly or reads; none
// crashes (libhdf5 decodes them, this reader bounds what it is told). The
// copies are written to a folder of this test's own, not the shared one.
TEST_F(Hdf5Fixtures, SurvivesDamagedFiles) {
  TFQ_LIBHDF5_LEAKS_IGNORED;
  const std::string good = Slurp(dir_ / "weights/weights.h5");
  const pack_test::ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  const fs::path damaged = scratch.path() / "damaged.h5";
  auto read_damaged = [&](std::vector<SourceTensor>* out) { return ReadHdf5(damaged.string(), "damaged.h5", {}, out); };
  int failed = 0;
  for (size_t cut : {size_t{0}, size_t{8}, size_t{96}, good.size() / 3, good.size() / 2, good.size() - 1}) {
    Spit(damaged, good.substr(0, cut));
    std::vector<SourceTensor> got;
    Status s = read_damaged(&got);
    failed += !s.ok();
    for (const auto& t : got) {
      std::vector<uint8_t> buf(t.byte_size());
      failed += !t.bytes->ReadAt(0, buf).ok();
    }
  }
  EXPECT_GE(failed, 5);
  uint32_t seed = 1;
  for (int round = 0; round < 60; ++round) {
    std::string bad = good;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 1103515245u + 12345u;
      bad[(seed >> 8) % bad.size()] ^= static_cast<char>(1u << (seed % 8));
    }
    Spit(damaged, bad);
    std::vector<SourceTensor> got;
    (void)read_damaged(&got);
    for (const auto& t : got) {
      std::vector<uint8_t> buf(t.byte_size());
      (void)t.bytes->ReadAt(0, buf);
    }
  }
}

}  // namespace
}  // namespace tfq
